"""Normalizations: softmax and batch_norm (which has no opcode: lowered to mul + add before
serializing), and, added for the ONNX importer, log_softmax, layer_norm, instance_norm (float32)."""
import numpy as np

from .. import quant_math
from .registry import register
from .base import OpDef, check_float32, check_rank, fmt_shape, normalize_axis


def softmax_table(input_scale, beta=1.0):
    """int8 softmax's int32 table (256,): T[d] = floor(exp(beta * s_in * -d) * 2^16 + 0.5), the
    weight of an element d quantization steps below its row's max (docs/QUANTIZATION.md)."""
    d = np.arange(256, dtype=np.float64)
    return np.floor(np.exp(float(beta) * float(np.float32(input_scale)) * -d) * 2.0**16 + 0.5).astype(np.int32)


@register
class Softmax(OpDef):
    name = "softmax"
    opcode = "SOFTMAX"
    options_table = "SoftmaxOptions"
    quantizable = True
    output_quant = (1.0 / 256, -128)

    def build(self, g, x, axis=-1, beta=1.0):
        """exp(beta * (x - max)) / sum, along `axis`."""
        return g.add_node(self.name, [x], {"axis": axis, "beta": float(beta)})[0]

    def infer(self, inputs, attrs):
        x = inputs[0]
        attrs["axis"] = normalize_axis(attrs["axis"], len(x.shape))
        if len(inputs) == 2:  # int8: (x, table), see softmax_table
            table = inputs[1]
            if x.dtype != "int8" or table.dtype != "int32" or tuple(table.shape) != (256,) or not table.is_constant:
                raise ValueError(f"int8 softmax takes x int8 and a constant int32 table of shape (256,), got x "
                                 f"{x.dtype} and table {table.dtype} {fmt_shape(table.shape)}")
            return [(x.shape, "int8")]
        check_float32(("x", x))
        return [(x.shape, "float32")]

    def reference(self, inputs, attrs):
        x, axis = inputs[0], attrs["axis"]
        # Subtracting the max changes nothing mathematically and avoids overflow.
        e = np.exp(attrs["beta"] * (x - np.max(x, axis=axis, keepdims=True)))
        return [e / np.sum(e, axis=axis, keepdims=True)]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        # Output quantization is fixed: scale 1/256, zero point -128 (the table holds beta and s_in).
        x, table = inputs
        weights = table[np.max(x, axis=attrs["axis"], keepdims=True) - x]
        total = np.sum(weights, axis=attrs["axis"], keepdims=True)
        q = (weights * 256 + total // 2) // total - 128
        return [np.clip(q, quant_math.INT8_MIN, quant_math.INT8_MAX)]

    def options(self, node):
        return {"axis": node.attrs["axis"], "beta": node.attrs["beta"]}


@register
class BatchNorm(OpDef):
    name = "batch_norm"
    input_names = ("x", "mean", "variance", "scale", "offset")
    opcode = None  # lowered to MUL + ADD by lower(); a later pass folds it into a preceding conv
    quantizable = False  # folded into a conv, or lowered to mul + add first

    def build(self, g, x, mean, variance, scale=None, offset=None, epsilon=1e-5):
        """Inference batch norm over the last (channel) axis:
        (x - mean) / sqrt(variance + epsilon) * scale + offset. Parameters are per-channel constants;
        scale defaults to 1 and offset to 0."""
        channels = np.shape(mean)[0] if np.ndim(mean) == 1 else None
        if channels is not None:  # a wrong-shaped mean is reported by infer
            scale = np.ones(channels, np.float32) if scale is None else scale
            offset = np.zeros(channels, np.float32) if offset is None else offset
        if not float(epsilon) >= 0:
            raise ValueError(f"epsilon must be >= 0, got {epsilon!r}")
        return g.add_node(self.name, [x, mean, variance, scale, offset], {"epsilon": float(epsilon)})[0]

    def infer(self, inputs, attrs):
        x = inputs[0]
        check_float32(*zip(self.input_names, inputs))
        channels = x.shape[-1]
        for role, t in zip(self.input_names[1:], inputs[1:]):
            if t is None or t.data is None:
                raise ValueError(f"{role} must be a constant (numpy array)")
            if tuple(t.shape) != (channels,):
                raise ValueError(f"{role} must have shape ({channels},) to match x {fmt_shape(x.shape)}, "
                                 f"got {fmt_shape(t.shape)}")
        if (inputs[2].data + attrs["epsilon"] <= 0).any():
            raise ValueError("variance + epsilon must be positive")
        return [(x.shape, "float32")]

    def reference(self, inputs, attrs):
        x, mean, variance, scale, offset = inputs
        return [(x - mean) / np.sqrt(variance + attrs["epsilon"]) * scale + offset]

    def lower(self, g, node):
        """x * multiplier + shift, with per-channel constants computed in float64."""
        x, mean, variance, scale, offset = node.inputs
        multiplier = scale.data.astype(np.float64) / np.sqrt(variance.data.astype(np.float64) + node.attrs["epsilon"])
        shift = offset.data.astype(np.float64) - mean.data.astype(np.float64) * multiplier
        scaled = g.make_node("mul", [x, multiplier.astype(np.float32)], {"activation": None},
                             name=node.name + "/mul")
        shifted = g.make_node("add", [scaled.outputs[0], shift.astype(np.float32)], {"activation": None},
                              name=node.name + "/add", outputs=node.outputs)
        return [scaled, shifted]


@register
class LogSoftmax(OpDef):
    """x - max - log(sum(exp(x - max))) along `axis` (log of softmax, computed stably)."""

    name = "log_softmax"
    opcode = "LOG_SOFTMAX"
    options_table = "SoftmaxOptions"
    quantizable = False

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
    quantizable = False

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
    quantizable = False

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
