"""Elementwise ops: binary arithmetic with numpy broadcasting, and unary activations."""
import numpy as np

from .. import quant_math
from .registry import register
from .base import OpDef, broadcast_shapes, check_activation, check_float32, float_or_int8, per_tensor_quant


class _Binary(OpDef):
    """a <op> b with numpy broadcasting; either side may be a Tensor, numpy array or scalar."""

    input_names = ("a", "b")
    numpy_fn = None
    quantizable = True
    scalar_operand_table = True

    def build(self, g, a, b, activation=None):
        return g.add_node(self.name, [a, b], {"activation": check_activation(activation)})[0]

    def infer(self, inputs, attrs):
        a, b = inputs
        dtype = float_or_int8(("a", a), ("b", b))
        return [(broadcast_shapes(a.shape, b.shape), dtype)]

    def reference(self, inputs, attrs):
        return [self.numpy_fn(inputs[0], inputs[1])]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        (s_a, zp_a), (s_b, zp_b) = per_tensor_quant(in_quants[0], "a"), per_tensor_quant(in_quants[1], "b")
        s_out, zp_out = per_tensor_quant(out_quants[0], "output")
        a, b = inputs[0] - zp_a, inputs[1] - zp_b
        if self.name == "mul" and attrs.get("requantization") == "float32":  # from .tflite: LiteRT's arithmetic
            q = quant_math.requantize_float32(a * b, s_a, s_b, s_out)
        elif self.name == "mul":
            multiplier, shift = quant_math.quantize_multiplier(s_a * s_b / s_out)
            q = quant_math.requantize(a * b, multiplier, shift)
        else:  # add / sub: both inputs scaled to a common 2^-S fixed point, summed, rounded once
            m_a, m_b, shift = quant_math.add_multipliers(s_a, s_b, s_out)
            acc = self.numpy_fn(a * m_a, b * m_b)
            q = (acc + (1 << (shift - 1))) >> shift
        lo, hi = quant_math.activation_range(attrs.get("activation"), s_out, zp_out)
        return [np.clip(q + zp_out, lo, hi)]


@register
class Add(_Binary):
    """a + b (also `a + b` on tensors)."""

    name = "add"
    opcode = "ADD"
    numpy_fn = np.add
    fuses_activation = True


@register
class Sub(_Binary):
    """a - b (also `a - b` on tensors)."""

    name = "sub"
    opcode = "SUB"
    numpy_fn = np.subtract
    fuses_activation = True


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
        if len(inputs) != 1:
            raise ValueError(f"{self.name} takes one input, got {len(inputs)}")
        check_float32(("x", inputs[0]))
        return [(inputs[0].shape, "float32")]

    def reference(self, inputs, attrs):
        return [self.fn(inputs[0])]


def lookup_table(fn, input_scale, input_zero_point, output_scale, output_zero_point):
    """The int8 table of a unary function: table[q + 128] = the int8 output for input q.

    Computed once by the converter in float64 (so no platform's libm is involved at run
    time): y = fn(s_in * (q - zp_in)), out = clamp(round_half_away(y / s_out) + zp_out)."""
    q = np.arange(quant_math.INT8_MIN, quant_math.INT8_MAX + 1, dtype=np.int64)
    with np.errstate(all="ignore"):
        y = fn(float(np.float32(input_scale)) * (q - int(input_zero_point)))
    # Outside a function's domain (log(0), sqrt(-1)) int8 has no inf/nan: nan -> 0, +-inf saturate.
    y = np.nan_to_num(np.asarray(y, dtype=np.float64), nan=0.0, posinf=1e30, neginf=-1e30)
    out = quant_math.round_half_away(y / float(np.float32(output_scale))) + int(output_zero_point)
    return quant_math.saturate_int8(np.clip(out, -512, 512))


class _TableUnary(_Unary):
    """A unary op that is a 256-entry lookup table in int8: inputs (x, table), out = table[x + 128].

    Every elementwise function of one int8 input is exactly such a table, so this one
    mechanism (one C kernel) gives every unary op an int8 form.
    `output_quant` is the fixed output (scale, zero_point), or None when calibration decides."""

    input_names = ("x", "table")
    quantizable = True

    def infer(self, inputs, attrs):
        if len(inputs) == 1 and inputs[0].dtype == "int8":
            raise ValueError(f"int8 {self.name} needs a second input, its int8 lookup table "
                             f"(see {self.name}_table in edgenet/ops/elementwise.py)")
        if len(inputs) != 2:
            return super().infer(inputs, attrs)
        x, table = inputs
        if x.dtype != "int8" or table.dtype != "int8" or tuple(table.shape) != (256,) or not table.is_constant:
            raise ValueError(f"int8 {self.name} takes x int8 and a constant int8 table of shape (256,), got x "
                             f"{x.dtype} and table {table.dtype} {table.shape}")
        return [(x.shape, "int8")]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        x, table = inputs
        return [table[x + 128]]

    def table(self, input_scale, input_zero_point, output_scale=None, output_zero_point=None, attrs=None):
        """The int8 lookup table (256,) for this op, its attrs and these quantization parameters."""
        if self.output_quant is not None and output_scale is None:
            output_scale, output_zero_point = self.output_quant
        return lookup_table(lambda x: self.reference([x], attrs or {})[0], input_scale, input_zero_point,
                            output_scale, output_zero_point)


@register
class Table(OpDef):
    """int8 only: y = table[x + 128]. The quantizer's form of a chain of elementwise ops on one int8
    tensor (hard_swish, then * a scalar, then + a scalar; or a lone scalar mul / add): the whole chain
    is one function of the int8 input, so one table computes it with one rounding instead of one per op
    (converters/quantize/tables.py: table_chains). It has no float form."""

    name = "table"
    opcode = "TABLE"
    input_names = ("x", "table")
    quantizable = True

    def build(self, g, x, table):
        return g.add_node(self.name, [x, table], {})[0]

    def infer(self, inputs, attrs):
        if len(inputs) != 2:
            raise ValueError(f"table takes x and its table, got {len(inputs)} inputs")
        x, table = inputs
        if x.dtype != "int8" or table.dtype != "int8" or tuple(table.shape) != (256,) or not table.is_constant:
            raise ValueError(f"table takes x int8 and a constant int8 table of shape (256,), got x {x.dtype} and "
                             f"table {table.dtype} {table.shape}")
        return [(x.shape, "int8")]

    def reference(self, inputs, attrs):
        raise ValueError("table is an int8-only op (a quantized model's lookup); it has no float form")

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        x, table = inputs
        return [table[x + 128]]


@register
class Relu(_TableUnary):
    name = "relu"
    opcode = "RELU"
    saturates_outside = (0.0, np.inf)

    def fn(self, x):
        return np.maximum(x, 0.0)


@register
class Relu6(_TableUnary):
    name = "relu6"
    opcode = "RELU6"
    saturates_outside = (0.0, 6.0)

    def fn(self, x):
        return np.minimum(np.maximum(x, 0.0), 6.0)


@register
class Sigmoid(_TableUnary):
    name = "sigmoid"
    opcode = "SIGMOID"
    output_quant = (1.0 / 256, -128)
    saturates_outside = (-6.5, 6.5)  # its int8 end levels (step 1/256) are reached inside

    def fn(self, x):
        return 1.0 / (1.0 + np.exp(-x))


@register
class Tanh(_TableUnary):
    name = "tanh"
    opcode = "TANH"
    output_quant = (1.0 / 128, 0)
    saturates_outside = (-3.5, 3.5)  # its int8 end levels (step 1/128) are reached inside

    def fn(self, x):
        return np.tanh(x)


@register
class HardSwish(_TableUnary):
    name = "hard_swish"
    opcode = "HARD_SWISH"
    saturates_outside = (-3.0, np.inf)

    def fn(self, x):
        return x * np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0


@register
class Clip(_TableUnary):
    name = "clip"
    opcode = "CLIP"
    options_table = "ClipOptions"

    def build(self, g, x, min=-np.inf, max=np.inf):  # noqa: A002 - names match the schema
        """y = min(max(x, min), max)."""
        lo, hi = float(min), float(max)
        if np.isnan(lo) or np.isnan(hi) or lo > hi:
            raise ValueError(f"clip needs min <= max, got min={min!r}, max={max!r}")
        return g.add_node(self.name, [x], {"min": lo, "max": hi})[0]

    def reference(self, inputs, attrs):
        return [np.minimum(np.maximum(inputs[0], attrs["min"]), attrs["max"])]

    def saturating_input_range(self, attrs):
        return attrs["min"], attrs["max"]

    def options(self, node):
        return {"min": node.attrs["min"], "max": node.attrs["max"]}


def sigmoid_table(input_scale, input_zero_point):
    """int8 sigmoid table; the output is quantized with scale 1/256, zero point -128."""
    return Sigmoid().table(input_scale, input_zero_point)


def tanh_table(input_scale, input_zero_point):
    """int8 tanh table; the output is quantized with scale 1/128, zero point 0."""
    return Tanh().table(input_scale, input_zero_point)


def hard_swish_table(input_scale, input_zero_point, output_scale, output_zero_point):
    """int8 hard_swish table for a calibrated output scale and zero point."""
    return HardSwish().table(input_scale, input_zero_point, output_scale, output_zero_point)
