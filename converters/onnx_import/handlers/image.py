"""Resize / Upsample."""
import numpy as np

from ..registry import Unsupported, channels_last, handles, input_name, ints
from .data import decode_mode


@handles("Resize", "Upsample")
def resize(imp, node, attrs):
    v = imp.value(node.input[0])
    if v.rank != 4:
        raise Unsupported(f"resizing a rank-{v.rank} tensor (only N, C, H, W)")
    mode = decode_mode(attrs.get("mode"), "nearest")
    if mode not in ("nearest", "linear", "bilinear"):
        raise Unsupported(f"mode {mode!r}")
    mode = "linear" if mode == "bilinear" else mode
    in_shape = v.shape
    if node.op_type == "Upsample":
        scales = attrs.get("scales")
        if scales is None:
            scales = list(imp.require_const(node.input[1], "scales").astype(float))
        coordinate_mode, nearest_mode, sizes = "asymmetric", "floor", None
    else:
        if attrs.get("antialias", 0):
            raise Unsupported("antialias")
        if decode_mode(attrs.get("keep_aspect_ratio_policy"), "stretch") != "stretch":
            raise Unsupported("keep_aspect_ratio_policy other than stretch")
        coordinate_mode = decode_mode(attrs.get("coordinate_transformation_mode"), "half_pixel")
        nearest_mode = decode_mode(attrs.get("nearest_mode"), "round_prefer_floor")
        if coordinate_mode == "tf_crop_and_resize":
            raise Unsupported("coordinate_transformation_mode tf_crop_and_resize")
        scales_in = imp.require_const(input_name(node, 2), "scales") if len(node.input) > 2 else None
        sizes = imp.require_const(input_name(node, 3), "sizes") if len(node.input) > 3 else None
        if imp.opset < 11:
            scales_in = imp.require_const(node.input[1], "scales")
        axes = attrs.get("axes")
        full_axes = list(range(4)) if axes is None else [a % 4 for a in axes]
        scales, size_list = [1.0] * 4, None
        if sizes is not None and sizes.size:
            size_list = list(in_shape)
            for a, s in zip(full_axes, ints(sizes)):
                size_list[a] = s
            scales = [s / i for s, i in zip(size_list, in_shape)]
        elif scales_in is not None and scales_in.size:
            for a, s in zip(full_axes, scales_in.astype(float)):
                scales[a] = float(s)
        else:
            raise Unsupported("neither scales nor sizes given")
        sizes = size_list
    if float(scales[0]) != 1.0 or float(scales[1]) != 1.0:
        raise Unsupported("resizing the batch or channel dim")
    out_hw = tuple(sizes[2:]) if sizes is not None else \
        tuple(int(np.floor(i * s)) for i, s in zip(in_shape[2:], scales[2:]))
    x = imp.tensor(node.input[0], channels_last(4))
    y = imp.graph.resize(x, out_hw, mode=mode, coordinate_mode=coordinate_mode, nearest_mode=nearest_mode,
                         scales=tuple(float(s) for s in scales[2:]))
    imp.set(node.output[0], y, channels_last(4))
