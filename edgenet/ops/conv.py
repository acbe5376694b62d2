"""Convolutions and fully connected layers (NHWC activations, OHWI weights)."""
import numpy as np

from .. import quant_math
from .registry import register
from .base import (
    FUSED_ACTIVATIONS,
    OpDef,
    check_activation,
    check_rank,
    float_or_int8,
    per_tensor_quant,
    explicit_padding,
    fmt_shape,
    int_pair,
    normalize_padding,
    spatial_output_size,
    strided_windows,
)


def _window_attrs(strides, padding, dilation, activation):
    return {
        "strides": int_pair(strides, "strides"),
        "dilation": int_pair(dilation, "dilation"),
        "padding": normalize_padding(padding),
        "activation": check_activation(activation),
    }


def _conv_geometry(x_shape, w_shape, attrs):
    """(pads, out_hw) of a conv over x (N,H,W,C) with weights (_,KH,KW,_)."""
    in_hw, kernel_hw = x_shape[1:3], w_shape[1:3]
    pads = explicit_padding(attrs["padding"], in_hw, kernel_hw, attrs["strides"], attrs["dilation"])
    return pads, spatial_output_size(in_hw, kernel_hw, attrs["strides"], attrs["dilation"], pads)


def _conv_options(node, depth_multiplier=1):
    """Conv2DOptions fields shared by conv2d and depthwise_conv2d (padding made explicit)."""
    x, w = node.inputs[0], node.inputs[1]
    (pt, pb), (pl, pr) = _conv_geometry(x.shape, w.shape, node.attrs)[0]
    (sh, sw), (dh, dw) = node.attrs["strides"], node.attrs["dilation"]
    return {
        "stride_h": sh, "stride_w": sw, "dilation_h": dh, "dilation_w": dw,
        "pad_top": pt, "pad_bottom": pb, "pad_left": pl, "pad_right": pr,
        "depth_multiplier": depth_multiplier,
    }


class _WeightedOp(OpDef):
    """conv2d, depthwise_conv2d, fully_connected: y = x (*) weights + bias[c], c the output channel
    (`weight_axis` of the weights). What the converter needs to know about the weights' layout is here."""

    input_names = ("x", "weights", "bias")
    quantizable = True
    fuses_activation = True

    def weights_by_input_channel(self, w, channels):
        """(view, restore): view (channels, -1) holds every weight that reads input channel c;
        restore(view) gives the weights' own layout back."""
        raise NotImplementedError

    def input_offset_effect(self, w, offsets):
        """Per output channel: what adding offsets[c] to every element of input channel c adds to
        the output (sum of the weights reading channel c, times offsets[c]; padding ignored)."""
        raise NotImplementedError

    def explicit_pads(self, inputs, attrs):
        """The padding as ((top, bottom), (left, right)), "same" / "valid" resolved."""
        return ((0, 0), (0, 0))


class _SpatialConv(_WeightedOp):
    def explicit_pads(self, inputs, attrs):
        return _conv_geometry(inputs[0].shape, inputs[1].shape, attrs)[0]


def _check_bias(bias, channels):
    if bias is not None and tuple(bias.shape) != (channels,):
        raise ValueError(f"bias must have shape ({channels},), got {fmt_shape(bias.shape)}")


def _compute_dtype(x, w, b):
    """float32, or int8 with an int32 bias."""
    return float_or_int8(("x", x), ("weights", w), ("bias", b), int32_roles=("bias",))


def is_hybrid(x, w):
    """A conv, depthwise conv or fully connected layer with float activations and int8 weights (the
    file says so by dtypes alone): each run quantizes x with its own range (hybrid_quantize)."""
    return x.dtype == "float32" and w.dtype == "int8"


def _output_dtype(x, w, b):
    """float32 for a hybrid layer (whose bias must be float32), else float_or_int8."""
    if not is_hybrid(x, w):
        return _compute_dtype(x, w, b)
    if b is not None and b.dtype != "float32":
        raise ValueError(f"bias has dtype {b.dtype}; int8 weights with a float input take a float32 bias")
    return "float32"


# Operator.hybrid_quantization (schema HybridQuantization, lower case): how a hybrid layer quantizes
# its input at each run and scales its int32 sums back. "onnx_tensor" (the default): onnxruntime's
# dynamic quantization; the others are LiteRT's, measured against it (tests/test_tflite_dynamic_range.py):
# "xnnpack_row" its fully connected (and 1x1 stride-1 conv) kernels, "xnnpack_batch" its conv, and
# "tflite_batch" its builtin hybrid depthwise conv.
HYBRID_QUANTIZATIONS = ("onnx_tensor", "xnnpack_row", "xnnpack_batch", "tflite_batch")

F32 = np.float32


def dynamic_quantize_uint8(x):
    """onnxruntime's DynamicQuantizeLinear: (q uint8 as int64, scale float32, zero point) over the
    whole tensor, on [min(x, 0), max(x, 0)] (docs/QUANTIZATION.md, "Hybrid layers")."""
    x = np.asarray(x, np.float32)
    lo = np.float32(min(np.nanmin(x, initial=0.0), 0.0)) if x.size else np.float32(0)
    hi = np.float32(max(np.nanmax(x, initial=0.0), 0.0)) if x.size else np.float32(0)
    scale = np.float32(1.0) if hi == lo else np.float32((hi - lo) / np.float32(255.0))
    if not np.isfinite(scale):
        scale = np.float32(1.0)
    zero_point = int(np.rint(np.clip(-lo / scale, 0, 255)))
    with np.errstate(invalid="ignore"):
        q = np.nan_to_num(np.rint(x / scale) + np.float32(zero_point), nan=0.0)
    return np.clip(q, 0, 255).astype(np.int64), scale, zero_point


def _clamp_int(v, lo, hi):
    """v clamped to [lo, hi] as int64; NaN gives lo (as the C kernels do)."""
    with np.errstate(invalid="ignore"):
        return np.where(v > hi, hi, np.where(v >= lo, v, lo)).astype(np.int64)


def _quantize_xnnpack(x):
    """XNNPACK's qd8 of one block (kernels/reference/reference_s8.h): every step in float32."""
    lo, hi = F32(min(np.fmin.reduce(x, initial=0.0), 0)), F32(max(np.fmax.reduce(x, initial=0.0), 0))
    with np.errstate(all="ignore"):
        m = F32(1) if lo == hi else F32(255) / (hi - lo)
        low, high = lo * m, hi * m
        zp = int(_clamp_int(np.rint(F32(-128) - low if (F32(-128) + low) + (F32(127) + high) > 0 else F32(127) - high),
                            -128, 127))
        return _clamp_int(np.rint(x * m) + F32(zp), -128, 127), F32(1) / m, zp


def _quantize_tflite(x):
    """TFLite's AsymmetricQuantizeFloats of one block: the range in float32, scale and zero point in
    double, q = round_half_away(zp + x * (1 / scale)) in float32."""
    lo, hi = F32(min(np.fmin.reduce(x, initial=0.0), 0)), F32(max(np.fmax.reduce(x, initial=0.0), 0))
    if lo == hi:
        return np.zeros(x.shape, np.int64), F32(1), 0
    with np.errstate(all="ignore"):
        scale = float(hi - lo) / 255.0
        from_min, from_max = -128.0 - float(lo) / scale, 127.0 - float(hi) / scale
        z = from_min if 128.0 + abs(float(lo) / scale) < 127.0 + abs(float(hi) / scale) else from_max
        zp = 127 if z >= 127 else (int(quant_math.round_half_away(z)) if z > -128 else -128)
        inverse = F32(1) / F32(scale)
        return _clamp_int(quant_math.round_half_away(F32(zp) + x * inverse), -128, 127), F32(scale), zp


def _quantize_onnx(x):
    q, scale, zero_point = dynamic_quantize_uint8(x)
    return q, scale, zero_point


def hybrid_quantize(x, mode):
    """x (float32) quantized per block of `mode` (HYBRID_QUANTIZATIONS): (q (blocks, values) int64,
    scale (blocks,) float32, zero point (blocks,) int64); q - zero point is what the sums read."""
    if mode not in HYBRID_QUANTIZATIONS:
        raise ValueError(f"hybrid_quantization must be one of {HYBRID_QUANTIZATIONS}, got {mode!r}")
    x = np.asarray(x, np.float32)
    if mode == "onnx_tensor" or x.ndim < 2:
        blocks = x.reshape(1, -1)
    else:
        blocks = x.reshape(-1, x.shape[-1]) if mode == "xnnpack_row" else x.reshape(x.shape[0], -1)
    quantize = {"onnx_tensor": _quantize_onnx, "tflite_batch": _quantize_tflite}.get(mode, _quantize_xnnpack)
    results = [quantize(b) for b in blocks]
    q = np.stack([r[0] for r in results]) if results else np.zeros(blocks.shape, np.int64)
    return (q, np.array([r[1] for r in results], np.float32).reshape(-1),
            np.array([r[2] for r in results], np.int64).reshape(-1))


def _hybrid_output(acc, mode, x_scale, w_scale, bias, activation):
    """float32 y from the int32 sums, in the float operations of `mode` (reference_s8.h)."""
    a = np.asarray(acc).astype(np.int32).astype(np.float32)
    b = np.zeros_like(w_scale) if bias is None else np.asarray(bias, np.float32)
    if mode == "onnx_tensor":
        y = a * (x_scale * w_scale) + b
    elif mode == "tflite_batch":
        y = a * x_scale * w_scale + b
    else:  # fmaf(a * x_scale, w_scale, bias): the product of two float32 is exact in float64
        y = ((a * x_scale).astype(np.float64) * w_scale + b).astype(np.float32)
    return (FUSED_ACTIVATIONS[activation](y) if activation else y).astype(np.float32)


def _weight_quant(w_quant, channels):
    if w_quant is None:
        raise ValueError("int8 weights without quantization parameters")
    return (np.broadcast_to(np.asarray(w_quant.scale, np.float32).reshape(-1), (channels,)),
            np.broadcast_to(np.asarray(w_quant.zero_point, np.int64).reshape(-1), (channels,)))


def hybrid_fully_connected(x, w, w_quant, bias, activation, mode="onnx_tensor"):
    """float y = acc * s_x * s_w[o] + bias[o] (float32, in the order of `mode`), acc = int32 sum
    (q_x - zp_x) * (w - zp_w) with x quantized per block of `mode` (hybrid_quantize)."""
    out = w.shape[0]
    w_scale, w_zp = _weight_quant(w_quant, out)
    x = np.asarray(x, np.float32)
    q, s_x, zp_x = hybrid_quantize(x, mode)
    rows = q.reshape(-1, x.shape[-1])
    per_block = len(rows) // max(len(zp_x), 1)  # rows sharing one block's scale and zero point
    acc = (rows - np.repeat(zp_x, per_block)[:, None]) @ (np.asarray(w, np.int64) - w_zp[:, None]).T
    s_row = np.repeat(s_x, per_block)[:, None]
    return _hybrid_output(acc, mode, s_row, w_scale, bias, activation).reshape(x.shape[:-1] + (out,))


def _hybrid_conv(opdef, inputs, attrs, w_quant):
    """conv2d / depthwise_conv2d with float x and int8 weights: x quantized per image (or as a whole),
    the exact integer sums over (q - zp) (padding adds 0), scaled back as hybrid_fully_connected."""
    x, w, b = inputs
    mode = attrs.get("hybrid_quantization", "onnx_tensor")
    if mode == "xnnpack_row":
        raise ValueError("hybrid_quantization 'xnnpack_row' is for fully connected layers: a convolution window "
                         "mixes rows ('xnnpack_batch' quantizes each image)")
    channels = w.shape[opdef.weight_axis]
    w_scale, w_zp = _weight_quant(w_quant, channels)
    x = np.asarray(x, np.float32)
    q, s_x, zp_x = hybrid_quantize(x, mode)
    centered = (q - zp_x[:, None]).reshape(x.shape)
    shape = [1] * w.ndim
    shape[opdef.weight_axis] = -1
    acc = opdef.reference([centered.astype(np.float64), (np.asarray(w, np.int64) - w_zp.reshape(shape)).astype(
        np.float64), None], attrs)[0]  # integer sums, exact in float64
    s_image = np.repeat(s_x, x.shape[0] // max(len(s_x), 1)).reshape(-1, 1, 1, 1)
    return _hybrid_output(np.rint(acc).astype(np.int64), mode, s_image, w_scale, b, attrs.get("activation"))


def _reference_int8(opdef, inputs, attrs, in_quants, out_quants):
    """Shared int8 semantics of conv2d, depthwise_conv2d and fully_connected:
    acc = bias[c] + sum (x - zp_x) * w  (padding reads zp_x, i.e. adds 0), requantized per
    output channel (the last output axis) with M[c] = s_in * s_w[c] / s_out, then clamped.

    The float reference computes the sums: on integer-valued float64 it is exact (every
    partial sum of an int8 model stays far below 2^53)."""
    x, w, b = inputs
    if np.asarray(x).dtype.kind == "f":  # float x, int8 weights: the hybrid kernels
        if opdef.name == "fully_connected":
            return [hybrid_fully_connected(x, w, in_quants[1], b, attrs.get("activation"),
                                           attrs.get("hybrid_quantization", "onnx_tensor"))]
        return [_hybrid_conv(opdef, inputs, attrs, in_quants[1])]
    s_in, zp_in = per_tensor_quant(in_quants[0], "x")
    s_out, zp_out = per_tensor_quant(out_quants[0], "output")
    if in_quants[1] is None:
        raise ValueError("weights are int8 without quantization parameters")
    acc = opdef.reference([(x - zp_in).astype(np.float64), w.astype(np.float64),
                           None if b is None else b.astype(np.float64)], attrs)[0]
    if attrs.get("requantization") == "float32":  # models from .tflite: LiteRT's arithmetic
        q = quant_math.requantize_float32(acc.astype(np.int64), s_in, in_quants[1].scale, s_out) + zp_out
    else:
        multiplier, shift = quant_math.conv_multipliers(s_in, in_quants[1].scale, s_out)
        q = quant_math.requantize(acc.astype(np.int64), multiplier, shift) + zp_out
    lo, hi = quant_math.activation_range(attrs.get("activation"), s_out, zp_out)
    return [np.clip(q, lo, hi)]


def _pad_input(x, pads):
    (pt, pb), (pl, pr) = pads
    return np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))


@register
class Conv2D(_SpatialConv):
    name = "conv2d"
    opcode = "CONV_2D"
    options_table = "Conv2DOptions"
    weight_axis = 0  # OHWI
    hybrid_int8_weights = {1: 0}  # float x, int8 weights: see is_hybrid (from LiteRT's dynamic-range models)

    def weights_by_input_channel(self, w, channels):
        return np.moveaxis(w, 3, 0).reshape(channels, -1), \
            lambda v: np.moveaxis(v.reshape((channels,) + w.shape[:3]), 0, 3)

    def input_offset_effect(self, w, offsets):
        return np.einsum("ohwi,i->o", w, offsets)

    def build(self, g, x, weights, bias=None, strides=1, padding="valid", dilation=1, groups=1, activation=None):
        """2-D convolution. x: (N, H, W, Cin); weights: (Cout, KH, KW, Cin) OHWI; bias: (Cout,).

        padding: "same" (TFLite convention), "valid", ((top, bottom), (left, right)) or 4 ints.
        activation: None, "relu" or "relu6" (fused)."""
        if groups != 1:
            raise ValueError(f"groups={groups} is not supported (only groups=1); use depthwise_conv2d "
                             "when groups equals the channel count")
        attrs = _window_attrs(strides, padding, dilation, activation)
        return g.add_node(self.name, [x, weights, bias], attrs)[0]

    def infer(self, inputs, attrs):
        x, w, b = inputs
        dtype = _output_dtype(x, w, b)
        check_rank("x", x, 4)
        check_rank("weights", w, 4)
        if w.shape[3] != x.shape[3]:
            raise ValueError(f"weights {fmt_shape(w.shape)} (OHWI) expect {w.shape[3]} input channels, but x "
                             f"{fmt_shape(x.shape)} has {x.shape[3]}")
        _check_bias(b, w.shape[0])
        out_hw = _conv_geometry(x.shape, w.shape, attrs)[1]
        return [((x.shape[0],) + out_hw + (w.shape[0],), dtype)]

    def reference(self, inputs, attrs):
        x, w, b = inputs
        pads, out_hw = _conv_geometry(x.shape, w.shape, attrs)
        y = np.zeros((x.shape[0],) + out_hw + (w.shape[0],), dtype=np.float64)
        # Sum over kernel taps: each tap is a matrix product over input channels.
        for i, j, patch in strided_windows(_pad_input(x, pads), w.shape[1:3], attrs["strides"],
                                           attrs["dilation"], out_hw):
            y += patch @ w[:, i, j, :].T
        return [y if b is None else y + b]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        return _reference_int8(self, inputs, attrs, in_quants, out_quants)

    def options(self, node):
        return _conv_options(node)


@register
class DepthwiseConv2D(_SpatialConv):
    name = "depthwise_conv2d"
    opcode = "DEPTHWISE_CONV_2D"
    options_table = "Conv2DOptions"
    weight_axis = 3  # (1, KH, KW, C * multiplier)
    hybrid_int8_weights = {1: 3}  # float x, int8 weights: see is_hybrid (from LiteRT's dynamic-range models)

    def weights_by_input_channel(self, w, channels):
        multiplier = w.shape[3] // channels  # output k reads input k // multiplier
        grouped = np.moveaxis(w.reshape(w.shape[:3] + (channels, multiplier)), 3, 0)
        return grouped.reshape(channels, -1), \
            lambda v: np.moveaxis(v.reshape(grouped.shape), 0, 3).reshape(w.shape)

    def input_offset_effect(self, w, offsets):
        multiplier = w.shape[3] // offsets.size  # output k reads input k // multiplier
        return w.sum(axis=(0, 1, 2)) * np.repeat(offsets, multiplier)

    def build(self, g, x, weights, bias=None, strides=1, padding="valid", dilation=1, activation=None):
        """Depthwise 2-D convolution. x: (N, H, W, C); weights: (1, KH, KW, C*M); bias: (C*M,).

        Output channel c*M + m reads input channel c (M = depth multiplier = weights.shape[3] / C)."""
        attrs = _window_attrs(strides, padding, dilation, activation)
        return g.add_node(self.name, [x, weights, bias], attrs)[0]

    def infer(self, inputs, attrs):
        x, w, b = inputs
        dtype = _output_dtype(x, w, b)
        check_rank("x", x, 4)
        check_rank("weights", w, 4)
        channels = x.shape[3]
        if w.shape[0] != 1 or w.shape[3] % channels != 0:
            raise ValueError(f"depthwise weights must have shape (1, KH, KW, {channels}*multiplier) for x "
                             f"{fmt_shape(x.shape)}, got {fmt_shape(w.shape)}")
        _check_bias(b, w.shape[3])
        out_hw = _conv_geometry(x.shape, w.shape, attrs)[1]
        return [((x.shape[0],) + out_hw + (w.shape[3],), dtype)]

    def reference(self, inputs, attrs):
        x, w, b = inputs
        multiplier = w.shape[3] // x.shape[3]
        pads, out_hw = _conv_geometry(x.shape, w.shape, attrs)
        y = np.zeros((x.shape[0],) + out_hw + (w.shape[3],), dtype=np.float64)
        for i, j, patch in strided_windows(_pad_input(x, pads), w.shape[1:3], attrs["strides"],
                                           attrs["dilation"], out_hw):
            # np.repeat puts input channel c at output channels c*M .. c*M+M-1.
            y += np.repeat(patch, multiplier, axis=-1) * w[0, i, j, :]
        return [y if b is None else y + b]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        return _reference_int8(self, inputs, attrs, in_quants, out_quants)

    def options(self, node):
        x, w = node.inputs[0], node.inputs[1]
        return _conv_options(node, depth_multiplier=w.shape[3] // x.shape[3])


@register
class FullyConnected(_WeightedOp):
    name = "fully_connected"
    opcode = "FULLY_CONNECTED"
    weight_axis = 0  # (out, in)
    hybrid_int8_weights = {1: 0}  # float x, int8 weights: see is_hybrid
    dynamic_quantization = True  # quantize="dynamic" makes its weights int8

    def weights_by_input_channel(self, w, channels):
        return w.T, lambda v: v.T

    def input_offset_effect(self, w, offsets):
        return w @ offsets

    def build(self, g, x, weights, bias=None, activation=None):
        """y = x @ weights.T + bias. x: (..., In); weights: (Out, In); bias: (Out,)."""
        return g.add_node(self.name, [x, weights, bias], {"activation": check_activation(activation)})[0]

    def infer(self, inputs, attrs):
        x, w, b = inputs
        dtype = _output_dtype(x, w, b)
        check_rank("weights", w, 2)
        if len(x.shape) < 1 or x.shape[-1] != w.shape[1]:
            raise ValueError(f"weights {fmt_shape(w.shape)} (Out, In) expect {w.shape[1]} input features, but x "
                             f"{fmt_shape(x.shape)} has {x.shape[-1] if x.shape else 'none'}")
        _check_bias(b, w.shape[0])
        return [(tuple(x.shape[:-1]) + (w.shape[0],), dtype)]

    def reference(self, inputs, attrs):
        x, w, b = inputs
        y = x @ w.T
        return [y if b is None else y + b]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        return _reference_int8(self, inputs, attrs, in_quants, out_quants)
