"""Conv and ConvTranspose (1-D and 2-D, channels-last), and the spatial helpers pooling shares."""
import numpy as np

from edgenet.ops.base import explicit_padding

from ..registry import Unsupported, channels_last, handles, input_name


def spatial_input(imp, name, what):
    """(tensor NHWC, was_1d): the value as channels-last 4-D; rank-3 (N, C, L) values get H = 1."""
    v = imp.value(name)
    if v.is_const:
        raise Unsupported(f"{what} input must be computed at run time")
    if v.rank == 4:
        return imp.tensor(name, channels_last(4)), False
    if v.rank == 3:
        x = imp.tensor(name, channels_last(3))  # (N, L, C) -> (N, 1, L, C) is a pure reshape
        n, length, c = x.shape
        return imp.graph.reshape(x, _target(n, 1, length, c)), True
    raise Unsupported(f"{what} on rank-{v.rank} input (only 1-D and 2-D spatial inputs are supported)")


def _target(*dims):
    """A reshape target adding or removing the size-1 H of a 1-D value: its one open dim (batch or length)
    becomes -1."""
    if dims.count(None) > 1:
        raise Unsupported(f"a 1-D convolution over {tuple(dims)} (None: known only at run time) with both the "
                          "batch and the length open; pin the open dims")
    return tuple(-1 if d is None else d for d in dims)


def set_spatial_output(imp, name, y, was_1d):
    if was_1d:
        n, _, length, c = y.shape
        imp.set(name, imp.graph.reshape(y, _target(n, length, c)), channels_last(3))
    else:
        imp.set(name, y, channels_last(4))


def pair(values, was_1d, default):
    values = list(values) if values is not None else None
    if values is None:
        return (default, default)
    return (default, values[0]) if was_1d else tuple(values)


def window_padding(attrs, in_hw, kernel_hw, strides, dilations, was_1d):
    """ONNX pads/auto_pad -> ((top, bottom), (left, right)) or "same"/"valid"."""
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad == "VALID":
        return ((0, 0), (0, 0))
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads = explicit_padding("same", in_hw, kernel_hw, strides, dilations)  # the extra cell at the end
        return pads if auto_pad == "SAME_UPPER" else tuple((after, before) for before, after in pads)
    pads = attrs.get("pads")
    if pads is None:
        return ((0, 0), (0, 0))
    if was_1d:
        return ((0, 0), (pads[0], pads[1]))
    return ((pads[0], pads[2]), (pads[1], pads[3]))


@handles("Conv")
def conv(imp, node, attrs):
    x, was_1d = spatial_input(imp, node.input[0], "Conv")
    w = imp.require_const(node.input[1], "weights").astype(np.float32)
    b = imp.require_const(input_name(node, 2), "bias")
    b = None if b is None else b.astype(np.float32)
    if was_1d:
        w = w[:, :, None, :]
    group = attrs.get("group", 1)
    strides = pair(attrs.get("strides"), was_1d, 1)
    dilations = pair(attrs.get("dilations"), was_1d, 1)
    padding = window_padding(attrs, x.shape[1:3], w.shape[2:4], strides, dilations, was_1d)
    g = imp.graph
    cin, cout = x.shape[3], w.shape[0]
    if group == 1:
        y = g.conv2d(x, w.transpose(0, 2, 3, 1), b, strides=strides, padding=padding, dilation=dilations)
    elif group == cin and w.shape[1] == 1:
        # Depthwise: ONNX output channel o reads input channel o // M, as edgenet's c*M + m.
        y = g.depthwise_conv2d(x, w.transpose(1, 2, 3, 0), b, strides=strides, padding=padding,
                               dilation=dilations)
    else:
        # Grouped: one conv per group on its slice of channels, concatenated.
        per_in, per_out = cin // group, cout // group
        pieces = g.split(x, [per_in] * group, axis=3)
        outs = []
        for k, piece in enumerate(pieces):
            wk = w[k * per_out:(k + 1) * per_out].transpose(0, 2, 3, 1)
            bk = None if b is None else b[k * per_out:(k + 1) * per_out]
            outs.append(g.conv2d(piece, wk, bk, strides=strides, padding=padding, dilation=dilations))
        y = g.concat(outs, axis=3)
    set_spatial_output(imp, node.output[0], y, was_1d)


@handles("ConvTranspose")
def conv_transpose(imp, node, attrs):
    x, was_1d = spatial_input(imp, node.input[0], "ConvTranspose")
    w = imp.require_const(node.input[1], "weights").astype(np.float32)  # (Ci, Co/group, kh, kw)
    b = imp.require_const(input_name(node, 2), "bias")
    b = None if b is None else b.astype(np.float32)
    if was_1d:
        w = w[:, :, None, :]
    group = attrs.get("group", 1)
    strides = pair(attrs.get("strides"), was_1d, 1)
    dilations = pair(attrs.get("dilations"), was_1d, 1)
    output_padding = pair(attrs.get("output_padding"), was_1d, 0)
    kernel = w.shape[2:4]
    in_hw = x.shape[1:3]
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if "output_shape" in attrs or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        wanted = pair(attrs.get("output_shape")[-2:] if not was_1d else attrs["output_shape"][-1:], was_1d, 1) \
            if "output_shape" in attrs else tuple(size * s for size, s in zip(in_hw, strides))
        pads = []
        for size, k, s, d, extra, out in zip(in_hw, kernel, strides, dilations, output_padding, wanted):
            total = s * (size - 1) + extra + (k - 1) * d + 1 - out
            if total < 0:
                raise Unsupported(f"output_shape {out} larger than the full transposed-conv output")
            half = total // 2
            pads.append((half, total - half) if auto_pad == "SAME_UPPER" else (total - half, half))
        padding = tuple(pads)
    else:
        padding = window_padding({"pads": attrs.get("pads")}, in_hw, kernel, strides, dilations, was_1d)
    g = imp.graph

    def deconv(xk, wk, bk):
        return g.conv2d_transpose(xk, wk.transpose(1, 2, 3, 0), bk, strides=strides, padding=padding,
                                  dilation=dilations, output_padding=output_padding)

    if group == 1:
        y = deconv(x, w, b)
    else:
        per_in, per_out = x.shape[3] // group, w.shape[1]
        pieces = g.split(x, [per_in] * group, axis=3)
        y = g.concat([deconv(piece, w[k * per_in:(k + 1) * per_in],
                             None if b is None else b[k * per_out:(k + 1) * per_out])
                      for k, piece in enumerate(pieces)], axis=3)
    set_spatial_output(imp, node.output[0], y, was_1d)
