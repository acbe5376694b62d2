"""Normalizations added for the ONNX importer: log_softmax, layer_norm, instance_norm.

(softmax and batch_norm live in normalization.py.)
"""
import numpy as np

from . import register
from .base import OpDef, check_float32, check_rank, fmt_shape, normalize_axis


@register
class LogSoftmax(OpDef):
    """x - max - log(sum(exp(x - max))) along `axis` (log of softmax, computed stably)."""

    name = "log_softmax"
    opcode = "LOG_SOFTMAX"
    options_table = "SoftmaxOptions"

    def build(self, g, x, axis=-1):
        return g.add_node(self.name, [x], {"axis": axis})[0]

    def infer(self, inputs, attrs):
        x = inputs[0]
        check_float32(("x", x))
        attrs["axis"] = normalize_axis(attrs["axis"], len(x.shape))
        return [(x.shape, "float32")]

    def reference(self, inputs, attrs):
        x, axis = inputs[0], attrs["axis"]
        shifted = x - np.max(x, axis=axis, keepdims=True)
        return [shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))]

    def options(self, node):
        return {"axis": node.attrs["axis"], "beta": 1.0}


def _check_param(role, t, shape):
    if t is not None and tuple(t.shape) != tuple(shape):
        raise ValueError(f"{role} must have shape {fmt_shape(shape)}, got {fmt_shape(t.shape)}")


@register
class LayerNorm(OpDef):
    """Normalize over dims axis..rank-1: (x - mean) / sqrt(var + epsilon) * scale + bias, with the
    biased variance. scale and bias (optional) have shape x.shape[axis:]."""

    name = "layer_norm"
    input_names = ("x", "scale", "bias")
    opcode = "LAYER_NORM"
    options_table = "LayerNormOptions"

    def build(self, g, x, scale, bias=None, axis=-1, epsilon=1e-5):
        return g.add_node(self.name, [x, scale, bias], {"axis": axis, "epsilon": float(epsilon)})[0]

    def infer(self, inputs, attrs):
        x, scale, bias = inputs
        check_float32(("x", x), ("scale", scale), ("bias", bias))
        axis = attrs["axis"] = normalize_axis(attrs["axis"], len(x.shape))
        if None in x.shape[axis:]:
            raise ValueError(f"normalized dims of x {fmt_shape(x.shape)} must be static")
        _check_param("scale", scale, x.shape[axis:])
        _check_param("bias", bias, x.shape[axis:])
        return [(x.shape, "float32")]

    def reference(self, inputs, attrs):
        x, scale, bias = inputs
        axes = tuple(range(attrs["axis"], x.ndim))
        mean = np.mean(x, axis=axes, keepdims=True)
        var = np.mean((x - mean) ** 2, axis=axes, keepdims=True)
        y = (x - mean) / np.sqrt(var + attrs["epsilon"]) * scale
        return [y if bias is None else y + bias]

    def options(self, node):
        return {"axis": node.attrs["axis"], "epsilon": node.attrs["epsilon"]}


@register
class InstanceNorm(OpDef):
    """x (N, H, W, C): each (n, c) plane normalized over H, W (biased variance), then
    * scale[c] + bias[c]."""

    name = "instance_norm"
    input_names = ("x", "scale", "bias")
    opcode = "INSTANCE_NORM"
    options_table = "InstanceNormOptions"

    def build(self, g, x, scale, bias, epsilon=1e-5):
        return g.add_node(self.name, [x, scale, bias], {"epsilon": float(epsilon)})[0]

    def infer(self, inputs, attrs):
        x, scale, bias = inputs
        check_float32(("x", x), ("scale", scale), ("bias", bias))
        check_rank("x", x, 4)
        _check_param("scale", scale, x.shape[3:])
        _check_param("bias", bias, x.shape[3:])
        return [(x.shape, "float32")]

    def reference(self, inputs, attrs):
        x, scale, bias = inputs
        mean = np.mean(x, axis=(1, 2), keepdims=True)
        var = np.mean((x - mean) ** 2, axis=(1, 2), keepdims=True)
        return [(x - mean) / np.sqrt(var + attrs["epsilon"]) * scale + bias]

    def options(self, node):
        return {"epsilon": node.attrs["epsilon"]}
