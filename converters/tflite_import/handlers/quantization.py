"""QUANTIZE, DEQUANTIZE, DENSIFY (of sparse constant weights, expanded at import). An int8 value is held as its float meaning with the tensor's quantization
recorded (as a QDQ ONNX model's, converters/onnx_import/qdq.py); the int8 rewrite at convert time
(converters/qdq.py) gives it back its int8 form. DEQUANTIZE of a constant (fp16 / int8 weights) is
folded: the float32 weights are stored."""
from ..registry import Unsupported, handles

QUANTIZED = ("INT8", "UINT8", "INT16")


@handles("QUANTIZE")
def quantize(imp, op):
    src, dst = op.inputs[0], op.outputs[0]
    if imp.dtype(src) in QUANTIZED:
        raise Unsupported(f"requantizing {imp.dtype(src).lower()} -> {imp.dtype(dst).lower()} (QUANTIZE between two "
                          "quantized grids) is not supported")
    imp.alias(dst, imp.tensor(src))


@handles("DEQUANTIZE")
def dequantize(imp, op):
    src, dst = op.inputs[0], op.outputs[0]
    array = imp.const(src)
    if array is not None:
        imp.consts[dst] = array  # fp16 or int8 weights: dequantized once, here
        return
    imp.alias(dst, imp.tensor(src))


@handles("DENSIFY")
def densify(imp, op):
    imp.consts[op.outputs[0]] = imp.require_const(op.inputs[0], "sparse weights")  # reader.densify expanded them
