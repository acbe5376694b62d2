"""Data movement: RESHAPE, SQUEEZE, EXPAND_DIMS, TRANSPOSE, CONCATENATION, PACK, UNPACK, SPLIT,
SPLIT_V, SLICE, STRIDED_SLICE, GATHER, PAD, PADV2, MIRROR_PAD, DEPTH_TO_SPACE, SPACE_TO_DEPTH,
SHAPE, BROADCAST_TO."""
import numpy as np

from ..registry import S, Unsupported, handles, option
from .elementwise import set_activated


def dims(shape):
    return tuple(-1 if d is None else int(d) for d in shape)


def ints(array):
    return [int(v) for v in np.asarray(array).reshape(-1)]


def out_shape(imp, op):
    """The output's shape from the file, with the batch kept dynamic when the input's is."""
    shape = list(imp.shape(op.outputs[0]))
    x = imp.tensor(op.inputs[0])
    if x.shape and x.shape[0] is None and shape:
        shape[0] = -1
    return tuple(shape)


@handles("RESHAPE")
def reshape(imp, op):
    x = imp.tensor(op.inputs[0])
    shape = None
    if len(op.inputs) > 1 and op.inputs[1] >= 0:
        shape = ints(imp.require_const(op.inputs[1], "shape"))
    elif option(op, "newShape") is not None:
        shape = ints(option(op, "newShape"))
    if shape is None or (x.shape and x.shape[0] is None and shape and shape[0] not in (-1,) and -1 not in shape):
        shape = out_shape(imp, op)
    imp.set(op.outputs[0], imp.graph.reshape(x, shape))


@handles("SQUEEZE", "EXPAND_DIMS")
def squeeze(imp, op):
    imp.set(op.outputs[0], imp.graph.reshape(imp.tensor(op.inputs[0]), out_shape(imp, op)))


@handles("TRANSPOSE")
def transpose(imp, op):
    perm = ints(imp.require_const(op.inputs[1], "perm"))
    imp.set(op.outputs[0], imp.graph.transpose(imp.tensor(op.inputs[0]), perm))


@handles("CONCATENATION")
def concatenation(imp, op):
    tensors = [imp.tensor(i) for i in op.inputs]
    set_activated(imp, op, imp.graph.concat(tensors, axis=option(op, "axis", 0) % tensors[0].ndim))


@handles("PACK")
def pack(imp, op):
    g = imp.graph
    tensors = [imp.tensor(i) for i in op.inputs]
    axis = option(op, "axis", 0) % (tensors[0].ndim + 1)
    expanded = [g.reshape(t, dims(t.shape[:axis] + (1,) + t.shape[axis:])) for t in tensors]
    imp.set(op.outputs[0], expanded[0] if len(expanded) == 1 else g.concat(expanded, axis=axis))


@handles("UNPACK")
def unpack(imp, op):
    g = imp.graph
    x = imp.tensor(op.inputs[0])
    axis = option(op, "axis", 0) % x.ndim
    pieces = g.split(x, [1] * x.shape[axis], axis=axis) if x.shape[axis] > 1 else [x]
    for i, piece in zip(op.outputs, pieces):
        imp.set(i, g.reshape(piece, dims(x.shape[:axis] + x.shape[axis + 1:])))


def set_split(imp, op, x, sizes, axis):
    pieces = imp.graph.split(x, sizes, axis=axis) if len(sizes) > 1 else [imp.graph.reshape(x, dims(x.shape))]
    for i, piece in zip(op.outputs, pieces):
        imp.set(i, piece)


@handles("SPLIT")
def split(imp, op):
    x = imp.tensor(op.inputs[1])
    axis = ints(imp.require_const(op.inputs[0], "axis"))[0] % x.ndim
    n = len(op.outputs)
    if x.shape[axis] is None or x.shape[axis] % n:
        raise Unsupported(f"splitting dim {x.shape[axis]} into {n} equal parts")
    set_split(imp, op, x, [x.shape[axis] // n] * n, axis)


@handles("SPLIT_V")
def split_v(imp, op):
    x = imp.tensor(op.inputs[0])
    sizes = ints(imp.require_const(op.inputs[1], "size_splits"))
    axis = ints(imp.require_const(op.inputs[2], "axis"))[0] % x.ndim
    if -1 in sizes:
        sizes[sizes.index(-1)] = x.shape[axis] - (sum(sizes) + 1)
    set_split(imp, op, x, sizes, axis)


@handles("SLICE")
def slice_(imp, op):
    x = imp.tensor(op.inputs[0])
    begin = ints(imp.require_const(op.inputs[1], "begin"))
    size = ints(imp.require_const(op.inputs[2], "size"))
    end = [x.shape[d] if s == -1 else b + s for d, (b, s) in enumerate(zip(begin, size))]
    imp.set(op.outputs[0], imp.graph.slice(x, begin, end))


@handles("STRIDED_SLICE")
def strided_slice(imp, op):
    g = imp.graph
    x = imp.tensor(op.inputs[0])
    begin, end = ints(imp.require_const(op.inputs[1], "begin")), ints(imp.require_const(op.inputs[2], "end"))
    strides = ints(imp.require_const(op.inputs[3], "strides")) if len(op.inputs) > 3 else [1] * len(begin)
    if option(op, "ellipsisMask", 0) or option(op, "newAxisMask", 0) or option(op, "offset", False):
        raise Unsupported("ellipsis_mask, new_axis_mask and offset are not supported")
    begin_mask, end_mask, shrink = (option(op, f, 0) for f in ("beginMask", "endMask", "shrinkAxisMask"))
    n = len(begin)
    big = np.iinfo(np.int64).max
    b, e, s = [], [], []
    for d in range(x.ndim):
        if d >= n:
            b.append(0), e.append(big), s.append(1)
            continue
        stride = strides[d]
        lo, hi = (0, big) if stride > 0 else (-1, -big)
        bd = lo if begin_mask >> d & 1 else begin[d]
        ed = hi if end_mask >> d & 1 else end[d]
        if shrink >> d & 1:
            ed, stride = (bd + 1) if bd != -1 else big, 1
        b.append(bd), e.append(ed), s.append(stride)
    y = g.slice(x, b, e, s)
    if shrink:
        y = g.reshape(y, dims(d for k, d in enumerate(y.shape) if not (k < n and shrink >> k & 1)))
    imp.set(op.outputs[0], y)


@handles("GATHER")
def gather(imp, op):
    x = imp.tensor(op.inputs[0])
    if option(op, "batchDims", 0):
        raise Unsupported("batch_dims != 0")
    indices = imp.const(op.inputs[1])
    indices = imp.tensor(op.inputs[1]) if indices is None else indices.astype(np.int64)
    imp.set(op.outputs[0], imp.graph.gather(x, indices, axis=option(op, "axis", 0) % x.ndim))


@handles("PAD", "PADV2")
def pad(imp, op):
    x = imp.tensor(op.inputs[0])
    paddings = np.asarray(imp.require_const(op.inputs[1], "paddings")).reshape(-1, 2)
    value = 0.0
    if op.name == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        value = float(np.asarray(imp.require_const(op.inputs[2], "constant_values")).reshape(-1)[0])
    imp.set(op.outputs[0], imp.graph.pad(x, paddings.astype(np.int64), constant_value=value))


@handles("MIRROR_PAD")
def mirror_pad(imp, op):
    if option(op, "mode", 0) != S.MirrorPadMode.REFLECT:
        raise Unsupported("SYMMETRIC mirror padding (edgenet pads with reflect or edge)")
    x = imp.tensor(op.inputs[0])
    paddings = np.asarray(imp.require_const(op.inputs[1], "paddings")).reshape(-1, 2)
    imp.set(op.outputs[0], imp.graph.border_pad(x, tuple(map(tuple, paddings.astype(int).tolist())), "reflect"))


@handles("DEPTH_TO_SPACE")
def depth_to_space(imp, op):
    imp.set(op.outputs[0], imp.graph.depth_to_space(imp.tensor(op.inputs[0]), option(op, "blockSize", 2), "DCR"))


@handles("SPACE_TO_DEPTH")
def space_to_depth(imp, op):
    imp.set(op.outputs[0], imp.graph.space_to_depth(imp.tensor(op.inputs[0]), option(op, "blockSize", 2)))


@handles("SHAPE")
def shape(imp, op):
    x = imp.tensor(op.inputs[0])
    if None in x.shape:
        raise Unsupported("SHAPE of a value with a dynamic dim (only static shapes are folded)")
    dtype = np.int64 if imp.dtype(op.outputs[0]) == "INT64" else np.int32
    imp.consts[op.outputs[0]] = np.array(x.shape, dtype)


@handles("BROADCAST_TO")
def broadcast_to(imp, op):
    shape = ints(imp.require_const(op.inputs[1], "shape"))
    imp.set(op.outputs[0], imp.graph.broadcast_to(imp.tensor(op.inputs[0]), shape))
