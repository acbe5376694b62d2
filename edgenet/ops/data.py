"""Data movement added for the ONNX importer: split, slice, gather, broadcast_to,
depth_to_space, space_to_depth (the last two NHWC)."""
import numpy as np

from .registry import register
from .base import OpDef, check_rank, fmt_shape, normalize_axis


class _DataMovement(OpDef):
    """Ops that only move values: an int8 input gives the same movement on the integers
    (output quant == input quant), and integer-typed plain tensors behave the same."""
    quantizable = True
    quant_pass_through = True
    moves_data = True

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        return self.reference(inputs, attrs)


@register
class Split(_DataMovement):
    """Cut x along `axis` into consecutive pieces of the given sizes (one output per size)."""

    name = "split"
    opcode = "SPLIT"
    options_table = "SplitOptions"

    def build(self, g, x, sizes, axis=0):
        return g.add_node(self.name, [x], {"sizes": tuple(int(s) for s in sizes), "axis": axis})

    def infer(self, inputs, attrs):
        x = inputs[0]
        axis = attrs["axis"] = normalize_axis(attrs["axis"], len(x.shape))
        sizes = attrs["sizes"]
        if not sizes or min(sizes) < 1 or (x.shape[axis] is not None and sum(sizes) != x.shape[axis]):
            raise ValueError(f"split sizes {sizes} must be positive and sum to dim {axis} of {fmt_shape(x.shape)}")
        return [(x.shape[:axis] + (s,) + x.shape[axis + 1:], x.dtype) for s in sizes]

    def reference(self, inputs, attrs):
        return np.split(inputs[0], np.cumsum(attrs["sizes"])[:-1], axis=attrs["axis"])

    def options(self, node):
        return {"axis": node.attrs["axis"], "sizes": list(node.attrs["sizes"])}


def normalize_slice(begin, end, stride, size):
    """Python-slice semantics for one dim -> (begin, end) in the schema's canonical form:
    stride > 0: 0 <= begin <= end <= size; stride < 0: -1 <= end <= begin <= size - 1."""
    b, e, _ = slice(begin, end, stride).indices(size)
    if stride > 0:
        return b, max(e, b)
    return b, min(e, b)


@register
class Slice(_DataMovement):
    """x[begin0:end0:stride0, begin1:end1:stride1, ...] with one (begin, end, stride) per dim, as
    in numpy. Stored canonical (see normalize_slice), so the C kernel needs no clamping."""

    name = "slice"
    opcode = "SLICE"
    options_table = "SliceOptions"

    def build(self, g, x, begin, end, strides=None):
        strides = (1,) * len(begin) if strides is None else strides
        attrs = {"begin": tuple(int(v) for v in begin), "end": tuple(int(v) for v in end),
                 "strides": tuple(int(v) for v in strides)}
        return g.add_node(self.name, [x], attrs)[0]

    def infer(self, inputs, attrs):
        x = inputs[0]
        rank = len(x.shape)
        if not len(attrs["begin"]) == len(attrs["end"]) == len(attrs["strides"]) == rank:
            raise ValueError(f"begin/end/strides need one entry per dim of x {fmt_shape(x.shape)}")
        if 0 in attrs["strides"]:
            raise ValueError("slice strides must be non-zero")
        begin, end, shape = [], [], []
        for d, (size, b, e, s) in enumerate(zip(x.shape, attrs["begin"], attrs["end"], attrs["strides"])):
            if size is None:  # a dynamic dim can only be taken whole
                if (b, e, s) != (0, np.iinfo(np.int32).max, 1):
                    raise ValueError(f"dim {d} of x {fmt_shape(x.shape)} is dynamic; it cannot be sliced")
                begin.append(b), end.append(e), shape.append(None)
                continue
            b, e = normalize_slice(b, e, s, size)
            begin.append(b), end.append(e), shape.append(len(range(b, e, s)))
        if 0 in shape:
            raise ValueError(f"slice of x {fmt_shape(x.shape)} is empty: {tuple(shape)}")
        attrs["begin"], attrs["end"] = tuple(begin), tuple(end)
        return [(tuple(shape), x.dtype)]

    def reference(self, inputs, attrs):
        index = tuple(slice(b, None if e < 0 else e, s) for b, e, s in
                      zip(attrs["begin"], attrs["end"], attrs["strides"]))
        return [inputs[0][index]]

    def options(self, node):
        return {"begin": list(node.attrs["begin"]), "end": list(node.attrs["end"]),
                "strides": list(node.attrs["strides"])}


@register
class Gather(_DataMovement):
    """numpy.take(x, indices, axis): output shape x.shape[:axis] + indices.shape + x.shape[axis+1:].
    indices are int32/int64; a negative index counts from the end; out of range is an error."""

    name = "gather"
    input_names = ("x", "indices")
    opcode = "GATHER"
    options_table = "GatherOptions"

    def build(self, g, x, indices, axis=0):
        return g.add_node(self.name, [x, indices], {"axis": axis})[0]

    def infer(self, inputs, attrs):
        x, indices = inputs
        if indices.dtype not in ("int32", "int64"):
            raise ValueError(f"indices must be int32 or int64, got {indices.dtype}")
        axis = attrs["axis"] = normalize_axis(attrs["axis"], len(x.shape))
        if indices.data is not None and x.shape[axis] is not None:
            size = x.shape[axis]
            if ((indices.data < -size) | (indices.data >= size)).any():
                raise ValueError(f"indices out of range for dim {axis} of size {size}")
        return [(x.shape[:axis] + tuple(indices.shape) + x.shape[axis + 1:], x.dtype)]

    def reference(self, inputs, attrs):
        x, indices = inputs
        indices = np.asarray(indices).astype(np.int64)
        size = x.shape[attrs["axis"]]
        if ((indices < -size) | (indices >= size)).any():
            raise ValueError(f"gather: indices out of range for dim {attrs['axis']} of size {size}")
        return [np.take(x, indices, axis=attrs["axis"])]

    def options(self, node):
        return {"axis": node.attrs["axis"]}


@register
class BroadcastTo(_DataMovement):
    """numpy.broadcast_to(x, shape) (ONNX Expand: shape may also have 1s where x is larger,
    which the importer resolves by numpy broadcasting of the two shapes)."""

    name = "broadcast_to"
    opcode = "BROADCAST_TO"

    def build(self, g, x, shape):
        return g.add_node(self.name, [x], {"shape": tuple(int(d) for d in shape)})[0]

    def infer(self, inputs, attrs):
        x, shape = inputs[0], attrs["shape"]
        if len(shape) < len(x.shape) or min(shape, default=1) < 1:
            raise ValueError(f"cannot broadcast {fmt_shape(x.shape)} to {shape}")
        padded = (1,) * (len(shape) - len(x.shape)) + tuple(x.shape)
        for have, want in zip(padded, shape):
            if have not in (1, want):
                raise ValueError(f"cannot broadcast {fmt_shape(x.shape)} to {shape}")
        return [(tuple(shape), x.dtype)]

    def reference(self, inputs, attrs):
        return [np.broadcast_to(inputs[0], attrs["shape"]).copy()]


@register
class DepthToSpace(_DataMovement):
    """NHWC: out[n, h*b + i, w*b + j, c] = x[n, h, w, k] with k = (i*b + j)*C_out + c (mode "DCR",
    TFLite/ONNX default) or k = c*b*b + i*b + j (mode "CRD", PyTorch PixelShuffle)."""

    name = "depth_to_space"
    opcode = "DEPTH_TO_SPACE"
    options_table = "DepthSpaceOptions"

    def build(self, g, x, block_size, mode="DCR"):
        if mode not in ("DCR", "CRD"):
            raise ValueError(f"mode must be 'DCR' or 'CRD', got {mode!r}")
        return g.add_node(self.name, [x], {"block_size": int(block_size), "mode": mode})[0]

    def infer(self, inputs, attrs):
        x, b = inputs[0], attrs["block_size"]
        check_rank("x", x, 4)
        if b < 1 or x.shape[3] % (b * b):
            raise ValueError(f"channels of x {fmt_shape(x.shape)} must be a multiple of block_size^2 = {b * b}")
        n, h, w, c = x.shape
        return [((n, h * b, w * b, c // (b * b)), x.dtype)]

    def reference(self, inputs, attrs):
        x, b = inputs[0], attrs["block_size"]
        n, h, w, c = x.shape
        if attrs["mode"] == "DCR":
            y = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
        else:
            y = x.reshape(n, h, w, c // (b * b), b, b).transpose(0, 1, 4, 2, 5, 3)
        return [y.reshape(n, h * b, w * b, c // (b * b))]

    def options(self, node):
        return {"block_size": node.attrs["block_size"], "crd": node.attrs["mode"] == "CRD"}


@register
class SpaceToDepth(_DataMovement):
    """NHWC inverse of depth_to_space (DCR): out[n, h, w, (i*b + j)*C + c] = x[n, h*b + i, w*b + j, c]."""

    name = "space_to_depth"
    opcode = "SPACE_TO_DEPTH"
    options_table = "DepthSpaceOptions"

    def build(self, g, x, block_size):
        return g.add_node(self.name, [x], {"block_size": int(block_size)})[0]

    def infer(self, inputs, attrs):
        x, b = inputs[0], attrs["block_size"]
        check_rank("x", x, 4)
        n, h, w, c = x.shape
        if b < 1 or h % b or w % b:
            raise ValueError(f"H and W of x {fmt_shape(x.shape)} must be multiples of block_size {b}")
        return [((n, h // b, w // b, c * b * b), x.dtype)]

    def reference(self, inputs, attrs):
        x, b = inputs[0], attrs["block_size"]
        n, h, w, c = x.shape
        y = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
        return [y.reshape(n, h // b, w // b, c * b * b)]

    def options(self, node):
        return {"block_size": node.attrs["block_size"], "crd": False}


@register
class BorderPad(_DataMovement):
    """Pad with copies of x's own values: mode "reflect" mirrors without repeating the edge
    (numpy.pad "reflect"), "edge" repeats the edge value. paddings: ((before, after), ...) per dim.
    Written as PAD with PadOptions.mode; a separate IR op so that passes folding zero `pad`
    into convolutions can never mistake it for constant padding."""

    name = "border_pad"
    opcode = "PAD"
    options_table = "PadOptions"
    moves_data = False  # not followed by the quantizer's element tracing (clip_to_consumers)

    def build(self, g, x, paddings, mode):
        if mode not in ("reflect", "edge"):
            raise ValueError(f"mode must be 'reflect' or 'edge', got {mode!r}")
        pairs = np.asarray(paddings)
        if pairs.ndim != 2 or pairs.shape[1] != 2 or (pairs < 0).any():
            raise ValueError(f"paddings must be ((before, after), ...) of non-negative ints, got {paddings!r}")
        attrs = {"paddings": tuple((int(a), int(b)) for a, b in pairs), "mode": mode}
        return g.add_node(self.name, [x], attrs)[0]

    def infer(self, inputs, attrs):
        x, pads = inputs[0], attrs["paddings"]
        if len(pads) != len(x.shape):
            raise ValueError(f"paddings has {len(pads)} pairs but x {fmt_shape(x.shape)} has {len(x.shape)} dims")
        for d, (size, (before, after)) in enumerate(zip(x.shape, pads)):
            # An open dim (None) is checked against its run-time size when the C core prepares.
            limit = None if size is None else (size - 1 if attrs["mode"] == "reflect" else None)
            if limit is not None and max(before, after) > limit:
                raise ValueError(f"reflect padding ({before}, {after}) of dim {d} must be < its size {size}")
        return [(tuple(None if d is None else d + a + b for d, (a, b) in zip(x.shape, pads)), x.dtype)]

    def reference(self, inputs, attrs):
        return [np.pad(inputs[0], attrs["paddings"], mode=attrs["mode"])]

    def options(self, node):
        flat = [v for pair in node.attrs["paddings"] for v in pair]
        return {"paddings": flat, "constant_value": 0.0, "mode": 1 if node.attrs["mode"] == "reflect" else 2}
