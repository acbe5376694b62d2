"""quantize and dequantize: the bridges between float and int8 tensors.

    q = g.quantize(x, scale=0.05, zero_point=-3)    # float32 (or int8) -> int8
    y = g.dequantize(q)                              # int8 -> float32

The output quantization is the output tensor's `quant` (set by the builder or the
quantizer); the arithmetic is in docs/QUANTIZATION.md and edgenet/quant_math.py.
"""
import numpy as np

from .. import quant_math
from ..quant_math import QuantParams
from .registry import register
from .base import OpDef, per_tensor_quant


@register
class Quantize(OpDef):
    name = "quantize"
    opcode = "QUANTIZE"
    quantizable = True

    def build(self, g, x, scale, zero_point=0):
        """float32 -> int8 (q = clamp(round_half_away(x / scale) + zero_point)); on an int8
        input, requantize it to this scale and zero point."""
        scale = float(np.float32(scale))
        if not (np.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be positive and finite, got {scale!r}")
        if not quant_math.INT8_MIN <= int(zero_point) <= quant_math.INT8_MAX:
            raise ValueError(f"zero_point must be in [-128, 127], got {zero_point!r}")
        y = g.add_node(self.name, [x], {})[0]
        y.quant = QuantParams(np.array([scale], np.float32), np.array([int(zero_point)], np.int64))
        return y

    def infer(self, inputs, attrs):
        x = inputs[0]
        if x.dtype not in ("float32", "int8"):
            raise ValueError(f"x must be float32 or int8, got {x.dtype}")
        return [(x.shape, "int8")]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        x = inputs[0]
        scale_out, zp_out = per_tensor_quant(out_quants[0], "output")
        if in_quants[0] is None:  # float input
            return [quant_math.quantize_float(x, scale_out, zp_out).astype(np.int64)]
        scale_in, zp_in = per_tensor_quant(in_quants[0], "x")
        multiplier, shift = quant_math.rescale_multiplier(scale_in, scale_out)
        q = quant_math.requantize(x - zp_in, multiplier, shift) + zp_out
        return [np.clip(q, quant_math.INT8_MIN, quant_math.INT8_MAX)]


@register
class Dequantize(OpDef):
    name = "dequantize"
    opcode = "DEQUANTIZE"
    quantizable = True

    def build(self, g, x):
        """int8 -> float32: (q - zero_point) * scale, in float32."""
        return g.add_node(self.name, [x], {})[0]

    def infer(self, inputs, attrs):
        if inputs[0].dtype != "int8":
            raise ValueError(f"x must be int8, got {inputs[0].dtype}")
        return [(inputs[0].shape, "float32")]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        scale, zero_point = per_tensor_quant(in_quants[0], "x")
        return [quant_math.dequantize_int8(inputs[0], scale, zero_point).astype(np.float64)]
