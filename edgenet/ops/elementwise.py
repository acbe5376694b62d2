"""Elementwise ops: binary arithmetic with numpy broadcasting, and unary activations."""
import numpy as np

from . import register
from .base import OpDef, broadcast_shapes, check_activation, check_float32


class _Binary(OpDef):
    """a <op> b with numpy broadcasting; either side may be a Tensor, numpy array or scalar."""

    input_names = ("a", "b")
    numpy_fn = None

    def build(self, g, a, b, activation=None):
        return g.add_node(self.name, [a, b], {"activation": check_activation(activation)})[0]

    def infer(self, inputs, attrs):
        a, b = inputs
        check_float32(("a", a), ("b", b))
        return [(broadcast_shapes(a.shape, b.shape), "float32")]

    def reference(self, inputs, attrs):
        return [self.numpy_fn(inputs[0], inputs[1])]


@register
class Add(_Binary):
    """a + b (also `a + b` on tensors)."""

    name = "add"
    opcode = "ADD"
    numpy_fn = np.add


@register
class Sub(_Binary):
    """a - b (also `a - b` on tensors)."""

    name = "sub"
    opcode = "SUB"
    numpy_fn = np.subtract


@register
class Mul(_Binary):
    """a * b (also `a * b` on tensors)."""

    name = "mul"
    opcode = "MUL"
    numpy_fn = np.multiply


class _Unary(OpDef):
    """y = f(x) elementwise; shape and dtype unchanged."""

    def build(self, g, x):
        return g.add_node(self.name, [x], {})[0]

    def infer(self, inputs, attrs):
        check_float32(("x", inputs[0]))
        return [(inputs[0].shape, "float32")]

    def reference(self, inputs, attrs):
        return [self.fn(inputs[0])]


@register
class Relu(_Unary):
    name = "relu"
    opcode = "RELU"

    def fn(self, x):
        return np.maximum(x, 0.0)


@register
class Relu6(_Unary):
    name = "relu6"
    opcode = "RELU6"

    def fn(self, x):
        return np.minimum(np.maximum(x, 0.0), 6.0)


@register
class Sigmoid(_Unary):
    name = "sigmoid"
    opcode = "SIGMOID"

    def fn(self, x):
        return 1.0 / (1.0 + np.exp(-x))


@register
class Tanh(_Unary):
    name = "tanh"
    opcode = "TANH"

    def fn(self, x):
        return np.tanh(x)


@register
class HardSwish(_Unary):
    name = "hard_swish"
    opcode = "HARD_SWISH"

    def fn(self, x):
        return x * np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0


@register
class Clip(OpDef):
    name = "clip"
    opcode = "CLIP"
    options_table = "ClipOptions"

    def build(self, g, x, min=-np.inf, max=np.inf):  # noqa: A002 - names match the schema
        """y = min(max(x, min), max)."""
        lo, hi = float(min), float(max)
        if np.isnan(lo) or np.isnan(hi) or lo > hi:
            raise ValueError(f"clip needs min <= max, got min={min!r}, max={max!r}")
        return g.add_node(self.name, [x], {"min": lo, "max": hi})[0]

    def infer(self, inputs, attrs):
        check_float32(("x", inputs[0]))
        return [(inputs[0].shape, "float32")]

    def reference(self, inputs, attrs):
        return [np.minimum(np.maximum(inputs[0], attrs["min"]), attrs["max"])]

    def options(self, node):
        return {"min": node.attrs["min"], "max": node.attrs["max"]}
