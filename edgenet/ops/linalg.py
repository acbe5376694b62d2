"""matmul (batched, both operands may be activations) and conv2d_transpose (NHWC)."""
import numpy as np

from .registry import register
from .base import OpDef, broadcast_shapes, check_float32, check_rank, fmt_shape, int_pair


@register
class MatMul(OpDef):
    """numpy.matmul for rank >= 2: a (..., M, K) @ b (..., K, N) -> (..., M, N), batch dims broadcast.
    (A constant 2-D b is better written as fully_connected, which has int8 kernels.)"""

    name = "matmul"
    input_names = ("a", "b")
    opcode = "MATMUL"
    quantizable = False

    def build(self, g, a, b):
        return g.add_node(self.name, [a, b], {})[0]

    def infer(self, inputs, attrs):
        a, b = inputs
        check_float32(("a", a), ("b", b))
        if len(a.shape) < 2 or len(b.shape) < 2:
            raise ValueError(f"a {fmt_shape(a.shape)} and b {fmt_shape(b.shape)} must have rank >= 2")
        if a.shape[-1] != b.shape[-2]:
            raise ValueError(f"a {fmt_shape(a.shape)} has {a.shape[-1]} columns but b {fmt_shape(b.shape)} "
                             f"has {b.shape[-2]} rows")
        batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
        return [(batch + (a.shape[-2], b.shape[-1]), "float32")]

    def reference(self, inputs, attrs):
        return [np.matmul(inputs[0], inputs[1])]


def _transpose_geometry(x_shape, w_shape, attrs):
    """(full_hw, out_hw): the uncropped scatter size (incl. output padding) and the output size."""
    full, out = [], []
    for size, k, s, d, (before, after), extra in zip(x_shape[1:3], w_shape[1:3], attrs["strides"],
                                                      attrs["dilation"], attrs["padding"],
                                                      attrs["output_padding"]):
        f = (size - 1) * s + (k - 1) * d + 1 + extra
        if f - before - after < 1:
            raise ValueError(f"padding ({before}, {after}) crops away the whole output of size {f}")
        full.append(f)
        out.append(f - before - after)
    return tuple(full), tuple(out)


@register
class Conv2DTranspose(OpDef):
    """Transposed convolution ("deconvolution"), the gradient of conv2d w.r.t. its input.

    x: (N, H, W, Ci); weights: (Co, KH, KW, Ci); bias: (Co,). Every input pixel (h, w) adds
    x[n, h, w, :] @ weights[:, i, j, :].T at full-output position (h*stride + i*dilation,
    w*stride + j*dilation); the full output, extended by `output_padding` zeros at the
    bottom/right, is cropped by padding ((top, bottom), (left, right)); bias is added everywhere.
    Output size per dim: (in - 1)*stride + (k - 1)*dilation + 1 + output_padding - before - after."""

    name = "conv2d_transpose"
    input_names = ("x", "weights", "bias")
    opcode = "CONV_2D_TRANSPOSE"
    options_table = "Conv2DTransposeOptions"
    quantizable = False

    def build(self, g, x, weights, bias=None, strides=1, padding=((0, 0), (0, 0)), dilation=1,
              output_padding=(0, 0)):
        pads = np.asarray(padding).reshape(-1)
        if pads.size != 4 or (pads < 0).any():
            raise ValueError(f"padding must be ((top, bottom), (left, right)) of non-negative ints, got {padding!r}")
        extra = (output_padding, output_padding) if np.isscalar(output_padding) else tuple(output_padding)
        if len(extra) != 2 or min(extra) < 0:
            raise ValueError(f"output_padding must be a non-negative int or pair, got {output_padding!r}")
        attrs = {
            "strides": int_pair(strides, "strides"),
            "dilation": int_pair(dilation, "dilation"),
            "padding": ((int(pads[0]), int(pads[1])), (int(pads[2]), int(pads[3]))),
            "output_padding": (int(extra[0]), int(extra[1])),
        }
        return g.add_node(self.name, [x, weights, bias], attrs)[0]

    def infer(self, inputs, attrs):
        x, w, b = inputs
        check_float32(("x", x), ("weights", w), ("bias", b))
        check_rank("x", x, 4)
        check_rank("weights", w, 4)
        if w.shape[3] != x.shape[3]:
            raise ValueError(f"weights {fmt_shape(w.shape)} (O, KH, KW, I) expect {w.shape[3]} input channels, "
                             f"but x {fmt_shape(x.shape)} has {x.shape[3]}")
        if b is not None and tuple(b.shape) != (w.shape[0],):
            raise ValueError(f"bias must have shape ({w.shape[0]},), got {fmt_shape(b.shape)}")
        out_hw = _transpose_geometry(x.shape, w.shape, attrs)[1]
        return [((x.shape[0],) + out_hw + (w.shape[0],), "float32")]

    def reference(self, inputs, attrs):
        x, w, b = inputs
        (fh, fw), _ = _transpose_geometry(x.shape, w.shape, attrs)
        (sh, sw), (dh, dw) = attrs["strides"], attrs["dilation"]
        h, wd = x.shape[1:3]
        full = np.zeros((x.shape[0], fh, fw, w.shape[0]))
        for i in range(w.shape[1]):
            for j in range(w.shape[2]):
                top, left = i * dh, j * dw
                full[:, top: top + (h - 1) * sh + 1: sh, left: left + (wd - 1) * sw + 1: sw, :] += x @ w[:, i, j, :].T
        (pt, pb), (pl, pr) = attrs["padding"]
        y = full[:, pt: fh - pb, pl: fw - pr, :]
        return [y if b is None else y + b]

    def options(self, node):
        (sh, sw), (dh, dw) = node.attrs["strides"], node.attrs["dilation"]
        (pt, pb), (pl, pr) = node.attrs["padding"]
        oh, ow = node.attrs["output_padding"]
        return {"stride_h": sh, "stride_w": sw, "dilation_h": dh, "dilation_w": dw, "pad_top": pt,
                "pad_bottom": pb, "pad_left": pl, "pad_right": pr, "output_pad_h": oh, "output_pad_w": ow}
