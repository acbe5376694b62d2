"""Pre-quantized ONNX models in QDQ form (QuantizeLinear -> DequantizeLinear around ops, as
onnxruntime.quantization.quantize_static writes them) become real int8 edgenet models that use
the ONNX model's own scales and zero points.

How (two steps, so the int8 rewrite is edgenet's one quantizer, converters/quantize/):
  1. Import (the handlers below): a QuantizeLinear -> DequantizeLinear pair on a run-time value is
     imported as the float value itself, and its (scale, zero point) are recorded for that edgenet
     tensor; a DequantizeLinear of constant int8 weights is folded to float weights (exact:
     w = q * s) and its per-channel scales are recorded. The imported graph is the float model,
     carrying `graph.qdq` (a QDQParams).
  2. convert (pipeline.convert calls converters/qdq.py's quantize_and_serialize after the
     optimization passes):
     QDQQuantizer is the calibration-based Quantizer with the model's parameters instead of
     calibrated ranges: activations take the recorded (scale, zero point); weights get back their
     exact int8 values and per-channel scales; bias is recomputed as int32 at s_in * s_w (which
     reproduces the model's int32 bias when it was made at that scale).

uint8 activations map to int8 exactly: q8 = q_u8 - 128 with zero point zp - 128, same scale.
What stays float (with quantize / dequantize around it, listed in model.quantization):
  - ops whose values have no QDQ pair in the model (onnxruntime runs them in float too);
  - weights quantized asymmetrically (zero point != 0) or using -128 (edgenet's int8 weights
    are symmetric in [-127, 127]), or not found as an exact multiple of any of the model's scales
    (e.g. after a graph rewrite changed them);
  - ops whose int8 output quantization is fixed in edgenet (sigmoid 1/256, tanh 1/128, softmax)
    or passed through (max pool, reshape, ...) when the model gives them different parameters;
  - 16-bit or per-axis activation quantization.
A float op that produces a model output keeps its float result: the model's last QuantizeLinear ->
DequantizeLinear rounding of that output is not repeated (the value differs by under 1 LSB).
"""
import dataclasses

import numpy as np

from edgenet.graph import QuantParams

from .registry import Unsupported, handles, input_name

INT8_RANGE = (-128, 127)


@dataclasses.dataclass
class WeightQuant:
    """A constant DequantizeLinear of the ONNX model: w = scale[c] * (q - zero_point[c]) along axis."""

    values: np.ndarray  # the stored integers (int8 / uint8 ...)
    scale: np.ndarray
    zero_point: np.ndarray
    axis: int


@dataclasses.dataclass
class QDQParams:
    """What a QDQ model says about quantization, attached to the imported graph as `graph.qdq`."""

    activations: dict = dataclasses.field(default_factory=dict)  # edgenet tensor name -> QuantParams (int8)
    weights: list = dataclasses.field(default_factory=list)  # WeightQuant per constant DequantizeLinear
    float_values: dict = dataclasses.field(default_factory=dict)  # ONNX value name -> why it stays float
    io_dtype: str = "float32"  # "int8": the model's inputs and outputs are int8 (TFLite models can be)
    # Round values an int8 model holds in int8 to their grid also where edgenet computes in float (TFLite:
    # every tensor of an int8 model is int8, so a float-fallback op reads saturated, rounded inputs).
    round_float_values: bool = False
    # "float32": int8 conv / depthwise / FC / mul requantize like LiteRT's default kernels (schema
    # Operator.requantization); "fixed_point": edgenet's own (docs/QUANTIZATION.md).
    requantization: str = "fixed_point"

    def __bool__(self):
        return bool(self.activations)


def _scale_and_zero_point(imp, node):
    scale = imp.require_const(node.input[1], "scale")
    zp_name = input_name(node, 2)
    zero_point = imp.require_const(zp_name, "zero_point") if zp_name else np.zeros((), np.uint8)
    return np.asarray(scale), np.asarray(zero_point)


def activation_params(scale, zero_point):
    """The int8 QuantParams of a per-tensor (u)int8 QuantizeLinear, or a reason it has none."""
    if scale.size != 1:
        return None, "per-axis activation quantization (edgenet activations are per tensor)"
    if zero_point.dtype not in (np.int8, np.uint8):
        return None, f"{zero_point.dtype} activation quantization (edgenet runs 8-bit activations)"
    zp = int(zero_point.reshape(-1)[0]) - (128 if zero_point.dtype == np.uint8 else 0)  # uint8 -> int8, exact
    s = np.float32(scale.reshape(-1)[0])
    if not (np.isfinite(s) and s > 0):
        return None, f"scale {s} is not positive"
    return QuantParams(np.array([s], np.float32), np.array([zp], np.int64)), None


@handles("QuantizeLinear")
def quantize_linear(imp, node, attrs):
    """A run-time value about to be quantized: remember its parameters; the ONNX integer value is
    represented by the float value itself (only a DequantizeLinear may read it, see below)."""
    v = imp.value(node.input[0])
    if v.tensor.dtype != "float32":
        raise Unsupported(f"quantizing a {v.tensor.dtype} value")
    if attrs.get("saturate", 1) != 1 or attrs.get("output_dtype"):
        raise Unsupported("QuantizeLinear with output_dtype / saturate attributes")
    scale, zero_point = _scale_and_zero_point(imp, node)
    params, reason = activation_params(scale, zero_point)
    imp.quantized[node.output[0]] = (node.input[0], scale, zero_point)
    imp.values[node.output[0]] = v
    if params is None:
        imp.qdq.float_values[node.input[0]] = reason
    else:
        imp.qdq_tensors[id(v.tensor)] = (v.tensor, params)


@handles("DequantizeLinear")
def dequantize_linear(imp, node, attrs):
    """The float value again: an alias of the value the matching QuantizeLinear read."""
    name = node.input[0]
    if name not in imp.quantized:
        raise Unsupported("dequantizing a run-time integer value that no QuantizeLinear made (int8 model inputs "
                          "are not supported)")
    source, q_scale, q_zero_point = imp.quantized[name]
    scale, zero_point = _scale_and_zero_point(imp, node)
    if not (np.array_equal(scale, q_scale) and np.array_equal(zero_point, q_zero_point)):
        raise Unsupported("DequantizeLinear parameters differ from its QuantizeLinear's (a requantization)")
    imp.alias(node.output[0], source)


def record_constant_dequantize(imp, node):
    """Before a constant DequantizeLinear (weights, bias) is folded: remember its integers and scales."""
    attrs = imp.attributes(node)
    values = imp.const(node.input[0])
    scale, zero_point = _scale_and_zero_point(imp, node)
    if values.dtype.kind not in "iu" or values.ndim == 0:
        return
    axis = attrs.get("axis", 1) % values.ndim if scale.size > 1 else 0
    imp.qdq.weights.append(WeightQuant(values, scale.reshape(-1).astype(np.float32),
                                       np.broadcast_to(zero_point.reshape(-1), scale.reshape(-1).shape), axis))


def finish(imp):
    """graph.qdq from what the import recorded (tensor names are final now)."""
    imp.qdq.activations = {t.name: params for t, params in imp.qdq_tensors.values()}
    imp.graph.qdq = imp.qdq if imp.qdq_tensors else None
