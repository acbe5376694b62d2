"""RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR with TF's align_corners / half_pixel_centers conventions."""
from ..registry import Unsupported, handles, option


@handles("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR")
def resize(imp, op):
    x = imp.tensor(op.inputs[0])
    size = [int(s) for s in imp.require_const(op.inputs[1], "size")]
    align, half = bool(option(op, "alignCorners", False)), bool(option(op, "halfPixelCenters", False))
    if align and half:
        raise Unsupported("align_corners together with half_pixel_centers")
    if op.name == "RESIZE_BILINEAR":
        coords = "align_corners" if align else "half_pixel" if half else "asymmetric"
        y = imp.graph.resize(x, size, mode="linear", coordinate_mode=coords)
    else:  # TF: floor(x * scale), floor((x + 0.5) * scale), or round-half-up(x * (in-1)/(out-1)) with align_corners
        coords = "align_corners" if align else "tf_half_pixel_for_nn" if half else "asymmetric"
        y = imp.graph.resize(x, size, mode="nearest", coordinate_mode=coords,
                             nearest_mode="round_prefer_ceil" if align else "floor")
    imp.set(op.outputs[0], y)
