"""Split, Slice, Gather, Expand, DepthToSpace / SpaceToDepth."""
import numpy as np

from ..registry import Unsupported, channels_last, edge_axis, handles, input_name, ints


@handles("Split")
def split(imp, node, attrs):
    v = imp.value(node.input[0])
    axis = attrs.get("axis", 0) % v.rank
    size = v.shape[axis]
    if "split" in attrs:
        sizes = list(attrs["split"])
    elif input_name(node, 1):
        sizes = ints(imp.require_const(node.input[1], "split"))
    else:
        parts = attrs.get("num_outputs", len(node.output))
        chunk = -(-size // parts)
        sizes = [chunk] * (parts - 1) + [size - chunk * (parts - 1)]
    outputs = imp.graph.split(v.tensor, sizes, axis=edge_axis(v.perm, axis))
    for name, t in zip(node.output, outputs):
        imp.set(name, t, v.perm)


@handles("Slice")
def slice_(imp, node, attrs):
    v = imp.value(node.input[0])
    rank = v.rank
    if "starts" in attrs:  # opset < 10
        starts, ends, axes, steps = attrs["starts"], attrs["ends"], attrs.get("axes"), None
    else:
        starts = ints(imp.require_const(node.input[1], "starts"))
        ends = ints(imp.require_const(node.input[2], "ends"))
        axes = ints(imp.require_const(input_name(node, 3), "axes")) if input_name(node, 3) else None
        steps = ints(imp.require_const(input_name(node, 4), "steps")) if input_name(node, 4) else None
    axes = list(range(len(starts))) if axes is None else [a % rank for a in axes]
    steps = steps or [1] * len(starts)
    whole = np.iinfo(np.int32).max
    begin, end, stride = [0] * rank, [whole] * rank, [1] * rank
    for a, s, e, st in zip(axes, starts, ends, steps):
        size = v.shape[a]
        if size is None:  # an open dim can be taken whole (0 or below -2^31 up to 2^31 - 1 or beyond)
            if st == 1 and (s == 0 or s <= -whole - 1) and e >= whole:
                continue
            raise Unsupported(f"slicing open dim {a} from {s} to {e} (step {st}) needs its size; pin input_shapes")
        b, e2, _ = slice(int(np.clip(s, -2**62, 2**62)), int(np.clip(e, -2**62, 2**62)), int(st)).indices(size)
        begin[a], end[a], stride[a] = b, (e2 if e2 >= 0 else -1), int(st)
    for a in range(rank):
        if a not in axes and v.shape[a] is not None:
            end[a] = v.shape[a]
    order = v.perm or tuple(range(rank))
    y = imp.graph.slice(v.tensor, [begin[p] for p in order], [end[p] for p in order], [stride[p] for p in order])
    imp.set(node.output[0], y, v.perm)


@handles("Gather")
def gather(imp, node, attrs):
    v = imp.value(node.input[0])
    axis = attrs.get("axis", 0) % v.rank
    index_value = imp.value(node.input[1])
    if not index_value.is_const:  # run-time indices (token ids into an embedding table, ...)
        indices = imp.tensor(node.input[1])
        if indices.dtype not in ("int32", "int64"):
            raise Unsupported(f"indices of dtype {indices.dtype}")
        imp.set(node.output[0], imp.graph.gather(imp.tensor(node.input[0]), indices, axis=axis))
        return
    # A scalar index drops the axis (numpy.take); a rank-0 result is a rank-0 tensor.
    indices = imp.constant(index_value.const.astype(np.int64), name=node.input[1])
    imp.set(node.output[0], imp.graph.gather(imp.tensor(node.input[0]), indices, axis=axis))


@handles("Expand")
def expand(imp, node, attrs):
    v = imp.value(node.input[0])
    shape = ints(imp.require_const(node.input[1], "shape"))
    if None in v.shape:
        raise Unsupported("expanding a dynamic dim; pin input_shapes")
    target = np.broadcast_shapes(v.shape, tuple(shape))
    if tuple(target) == tuple(v.shape):
        imp.alias(node.output[0], node.input[0])
        return
    x = imp.tensor(node.input[0])
    if len(target) > v.rank:
        x = imp.graph.reshape(x, (1,) * (len(target) - v.rank) + tuple(v.shape))
    imp.set(node.output[0], imp.graph.broadcast_to(x, target))


@handles("DepthToSpace", "SpaceToDepth")
def depth_space(imp, node, attrs):
    v = imp.value(node.input[0])
    if v.rank != 4:
        raise Unsupported(f"rank-{v.rank} input")
    x = imp.tensor(node.input[0], channels_last(4))
    g = imp.graph
    if node.op_type == "DepthToSpace":
        mode = attrs.get("mode", b"DCR")
        y = g.depth_to_space(x, attrs["blocksize"], mode.decode() if isinstance(mode, bytes) else mode)
    else:
        if decode_mode(attrs.get("mode"), "DCR") != "DCR":
            raise Unsupported("SpaceToDepth mode CRD")
        y = g.space_to_depth(x, attrs["blocksize"])
    imp.set(node.output[0], y, channels_last(4))


def decode_mode(value, default):
    value = value if value is not None else default
    return value.decode() if isinstance(value, bytes) else value
