"""Convolutions and fully connected layers (NHWC activations, OHWI weights)."""
import numpy as np

from .. import quant_math
from .registry import register
from .base import (
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


def _reference_int8(opdef, inputs, attrs, in_quants, out_quants):
    """Shared int8 semantics of conv2d, depthwise_conv2d and fully_connected:
    acc = bias[c] + sum (x - zp_x) * w  (padding reads zp_x, i.e. adds 0), requantized per
    output channel (the last output axis) with M[c] = s_in * s_w[c] / s_out, then clamped.

    The float reference computes the sums: on integer-valued float64 it is exact (every
    partial sum of an int8 model stays far below 2^53)."""
    x, w, b = inputs
    s_in, zp_in = per_tensor_quant(in_quants[0], "x")
    s_out, zp_out = per_tensor_quant(out_quants[0], "output")
    if in_quants[1] is None:
        raise ValueError("weights are int8 without quantization parameters")
    acc = opdef.reference([(x - zp_in).astype(np.float64), w.astype(np.float64),
                           None if b is None else b.astype(np.float64)], attrs)[0]
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
        dtype = _compute_dtype(x, w, b)
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
        dtype = _compute_dtype(x, w, b)
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

    def weights_by_input_channel(self, w, channels):
        return w.T, lambda v: v.T

    def input_offset_effect(self, w, offsets):
        return w @ offsets

    def build(self, g, x, weights, bias=None, activation=None):
        """y = x @ weights.T + bias. x: (..., In); weights: (Out, In); bias: (Out,)."""
        return g.add_node(self.name, [x, weights, bias], {"activation": check_activation(activation)})[0]

    def infer(self, inputs, attrs):
        x, w, b = inputs
        dtype = _compute_dtype(x, w, b)
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
