"""Pooling over NHWC windows: max_pool2d, avg_pool2d. (Global average pooling is `mean` over axes
(1, 2), in reduction.py.)"""
import numpy as np

from .. import quant_math
from .registry import register
from .base import (
    OpDef,
    check_rank,
    float_or_int8,
    explicit_padding,
    int_pair,
    normalize_padding,
    per_tensor_quant,
    spatial_output_size,
    strided_windows,
)


class _Pool2D(OpDef):
    options_table = "Pool2DOptions"
    quantizable = True

    def build(self, g, x, pool_size, strides=None, padding="valid", **extra):
        attrs = {
            "pool_size": int_pair(pool_size, "pool_size"),
            # Like Keras: windows do not overlap unless strides are given.
            "strides": int_pair(pool_size if strides is None else strides, "strides"),
            "padding": normalize_padding(padding),
        }
        attrs.update(extra)
        return g.add_node(self.name, [x], attrs)[0]

    def geometry(self, x_shape, attrs):
        """(pads, out_hw) for x (N, H, W, C)."""
        in_hw = x_shape[1:3]
        pads = explicit_padding(attrs["padding"], in_hw, attrs["pool_size"], attrs["strides"])
        return pads, spatial_output_size(in_hw, attrs["pool_size"], attrs["strides"], (1, 1), pads)

    def explicit_pads(self, inputs, attrs):
        """The padding as ((top, bottom), (left, right)), "same" / "valid" resolved."""
        return self.geometry(inputs[0].shape, attrs)[0]

    def infer(self, inputs, attrs):
        x = inputs[0]
        dtype = float_or_int8(("x", x))
        check_rank("x", x, 4)
        pads, out_hw = self.geometry(x.shape, attrs)
        for (before, after), size in zip(pads, attrs["pool_size"]):
            if before >= size or after >= size:
                # Otherwise a window could hold padding only and have no defined value.
                raise ValueError(f"padding {pads} must be smaller than the pool size {attrs['pool_size']}")
        return [((x.shape[0],) + out_hw + (x.shape[3],), dtype)]

    def windows(self, x, attrs, pad_value):
        """The padded input's window taps, plus a same-shaped 0/1 mask of real (non-padding) cells."""
        pads, out_hw = self.geometry(x.shape, attrs)
        spatial_pads = ((0, 0),) + tuple(pads) + ((0, 0),)
        x_padded = np.pad(x, spatial_pads, constant_values=pad_value)
        mask = np.pad(np.ones((1,) + x.shape[1:3] + (1,)), spatial_pads)
        taps = strided_windows(x_padded, attrs["pool_size"], attrs["strides"], (1, 1), out_hw)
        mask_taps = strided_windows(mask, attrs["pool_size"], attrs["strides"], (1, 1), out_hw)
        return [(patch, m) for (_, _, patch), (_, _, m) in zip(taps, mask_taps)]

    def options(self, node):
        (pt, pb), (pl, pr) = self.geometry(node.inputs[0].shape, node.attrs)[0]
        (fh, fw), (sh, sw) = node.attrs["pool_size"], node.attrs["strides"]
        return {
            "filter_h": fh, "filter_w": fw, "stride_h": sh, "stride_w": sw,
            "pad_top": pt, "pad_bottom": pb, "pad_left": pl, "pad_right": pr,
            "count_include_pad": bool(node.attrs.get("count_include_pad", False)),
            "tflite_int8_average": bool(node.attrs.get("tflite_int8_average", False)),
        }


@register
class MaxPool2D(_Pool2D):
    name = "max_pool2d"
    opcode = "MAX_POOL_2D"
    quant_pass_through = True

    def build(self, g, x, pool_size, strides=None, padding="valid"):
        """Max over (pool_size) windows of x (N, H, W, C); padding cells are ignored."""
        return super().build(g, x, pool_size, strides, padding)

    def reference(self, inputs, attrs):
        # Padding with -inf makes padded cells lose every max.
        patches = [patch for patch, _ in self.windows(inputs[0], attrs, pad_value=-np.inf)]
        return [np.max(np.stack(patches), axis=0)]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        # Max is order-preserving, so it runs on the int8 values; output quant == input quant.
        return [self.reference([inputs[0].astype(np.float64)], attrs)[0].astype(np.int64)]


@register
class AvgPool2D(_Pool2D):
    name = "avg_pool2d"
    opcode = "AVG_POOL_2D"

    def build(self, g, x, pool_size, strides=None, padding="valid", count_include_pad=False, tflite_int8_average=False):
        """Average over (pool_size) windows of x (N, H, W, C). Padding cells are not counted
        (TFLite/ONNX default) unless count_include_pad=True. tflite_int8_average: in int8, TFLite's
        arithmetic (models imported from .tflite; see reference_int8)."""
        if count_include_pad and tflite_int8_average:
            raise ValueError("tflite_int8_average does not apply with count_include_pad")
        return super().build(g, x, pool_size, strides, padding, count_include_pad=bool(count_include_pad),
                             tflite_int8_average=bool(tflite_int8_average))

    def reference(self, inputs, attrs):
        windows = self.windows(inputs[0], attrs, pad_value=0.0)
        total = sum(patch for patch, _ in windows)
        if attrs["count_include_pad"]:
            count = attrs["pool_size"][0] * attrs["pool_size"][1]
        else:
            count = sum(m for _, m in windows)
        return [total / count]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        # acc = sum (x - zp_in) over the window's real cells (padding adds 0), then M = s_in / (s_out * count).
        s_in, zp_in = per_tensor_quant(in_quants[0], "x")
        s_out, zp_out = per_tensor_quant(out_quants[0], "output")
        if attrs.get("tflite_int8_average"):
            # TFLite: the raw int8 values summed, divided by the count rounding half away from zero
            # (input and output share scale and zero point).
            if (s_in, zp_in) != (s_out, zp_out):
                raise ValueError("tflite_int8_average needs the same input and output quantization")
            windows = self.windows(inputs[0].astype(np.int64), attrs, pad_value=0)
            acc = sum(patch for patch, _ in windows).astype(np.int64)
            count = np.broadcast_to(sum(m for _, m in windows).astype(np.int64), acc.shape)
            half = count // 2
            return [np.where(acc > 0, (acc + half) // count, -((-acc + half) // count))]
        windows = self.windows(inputs[0] - zp_in, attrs, pad_value=0)
        acc = sum(patch for patch, _ in windows)
        if attrs["count_include_pad"]:
            count = np.full(acc.shape, attrs["pool_size"][0] * attrs["pool_size"][1], dtype=np.int64)
        else:
            count = np.broadcast_to(sum(m for _, m in windows).astype(np.int64), acc.shape)
        return [quant_math.requantize_mean(acc, count, s_in, s_out, zp_out)]
