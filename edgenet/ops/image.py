"""resize (NHWC): nearest and bilinear, with the ONNX Resize coordinate mappings."""
import numpy as np

from .registry import register
from .base import OpDef, check_float32, check_rank, fmt_shape

MODES = ("nearest", "linear")
COORDINATE_MODES = ("half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel", "tf_half_pixel_for_nn",
                    "half_pixel_symmetric")  # order = schema CoordinateMode values
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")  # order = schema NearestMode


def source_coordinates(out_size, in_size, scale, coordinate_mode):
    """Input coordinate (float) of each output index along one axis (ONNX Resize formulas)."""
    x = np.arange(out_size, dtype=np.float64)
    if coordinate_mode == "half_pixel":
        return (x + 0.5) / scale - 0.5
    if coordinate_mode == "align_corners":
        # ONNX divides by the unrounded output length scale * in_size (= out_size unless the model
        # gives scales whose product with in_size is not an integer, e.g. 4 * 0.6 = 2.4).
        length = scale * in_size
        return np.zeros_like(x) if length == 1 else x * (in_size - 1) / (length - 1)
    if coordinate_mode == "asymmetric":
        return x / scale
    if coordinate_mode == "pytorch_half_pixel":
        return (x + 0.5) / scale - 0.5 if out_size > 1 else np.zeros_like(x)
    if coordinate_mode == "tf_half_pixel_for_nn":
        return (x + 0.5) / scale
    if coordinate_mode == "half_pixel_symmetric":
        center = in_size / 2.0
        offset = center * (1.0 - out_size / (scale * in_size))
        return offset + (x + 0.5) / scale - 0.5
    raise ValueError(f"unknown coordinate mode {coordinate_mode!r}")


def nearest_indices(coords, in_size, nearest_mode):
    if nearest_mode == "round_prefer_floor":
        index = np.ceil(coords - 0.5)
    elif nearest_mode == "round_prefer_ceil":
        index = np.floor(coords + 0.5)
    elif nearest_mode == "floor":
        index = np.floor(coords)
    else:
        index = np.ceil(coords)
    return np.clip(index, 0, in_size - 1).astype(np.int64)


def _linear_axis(x, axis, out_size, scale, coordinate_mode):
    """Linear interpolation of x along one axis: clamp the coordinate, blend the two neighbours."""
    in_size = x.shape[axis]
    coords = np.clip(source_coordinates(out_size, in_size, scale, coordinate_mode), 0, in_size - 1)
    low = np.floor(coords).astype(np.int64)
    high = np.minimum(low + 1, in_size - 1)
    frac_shape = [1] * x.ndim
    frac_shape[axis] = out_size
    frac = (coords - low).reshape(frac_shape)
    return np.take(x, low, axis=axis) * (1 - frac) + np.take(x, high, axis=axis) * frac


@register
class Resize(OpDef):
    """Resize H and W of x (N, H, W, C) to `size` (out_h, out_w).

    Output index o maps to input coordinate c(o) by `coordinate_mode` (see source_coordinates;
    `scales` = (scale_h, scale_w) are the output/input ratios the formulas use, default
    out/in). mode "nearest": c rounded by `nearest_mode`, clamped to [0, in - 1].
    mode "linear": c clamped to [0, in - 1], then the two neighbours along each axis blended
    (H first, then W; bilinear)."""

    name = "resize"
    opcode = "RESIZE"
    options_table = "ResizeOptions"
    quantizable = False

    def build(self, g, x, size, mode="nearest", coordinate_mode="half_pixel", nearest_mode="round_prefer_floor",
              scales=None):
        for what, value, allowed in (("mode", mode, MODES), ("coordinate_mode", coordinate_mode, COORDINATE_MODES),
                                     ("nearest_mode", nearest_mode, NEAREST_MODES)):
            if value not in allowed:
                raise ValueError(f"{what} must be one of {allowed}, got {value!r}")
        size = tuple(int(s) for s in size)
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f"size must be (out_h, out_w) of positive ints, got {size!r}")
        attrs = {"size": size, "mode": mode, "coordinate_mode": coordinate_mode, "nearest_mode": nearest_mode,
                 "scales": None if scales is None else tuple(float(s) for s in scales)}
        return g.add_node(self.name, [x], attrs)[0]

    def infer(self, inputs, attrs):
        x = inputs[0]
        check_float32(("x", x))
        check_rank("x", x, 4)
        if None in x.shape[1:3]:
            raise ValueError(f"H and W of x {fmt_shape(x.shape)} must be static")
        if attrs["scales"] is None:  # canonical form stores the ratios the coordinate formulas use
            attrs["scales"] = tuple(o / i for o, i in zip(attrs["size"], x.shape[1:3]))
        return [((x.shape[0],) + attrs["size"] + (x.shape[3],), "float32")]

    def reference(self, inputs, attrs):
        x = inputs[0]
        if attrs["mode"] == "nearest":
            for axis, out_size, scale in zip((1, 2), attrs["size"], attrs["scales"]):
                coords = source_coordinates(out_size, x.shape[axis], scale, attrs["coordinate_mode"])
                x = np.take(x, nearest_indices(coords, x.shape[axis], attrs["nearest_mode"]), axis=axis)
            return [x]
        for axis, out_size, scale in zip((1, 2), attrs["size"], attrs["scales"]):
            x = _linear_axis(x, axis, out_size, scale, attrs["coordinate_mode"])
        return [x]

    def options(self, node):
        a = node.attrs
        return {"mode": MODES.index(a["mode"]), "coordinate_mode": COORDINATE_MODES.index(a["coordinate_mode"]),
                "nearest_mode": NEAREST_MODES.index(a["nearest_mode"]), "scale_h": a["scales"][0],
                "scale_w": a["scales"][1]}
