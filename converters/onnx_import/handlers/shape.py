"""Reshape, Flatten, Squeeze / Unsqueeze, Transpose, Concat, Pad, Shape / Size."""
import numpy as np

from ..registry import Unsupported, axes_arg, common_layout, edge_axis, handles, input_name, ints, inverse


def _reshape_to(imp, name, shape):
    """Reshape a value (in ONNX order) to `shape` (ints, one may be -1)."""
    x = imp.tensor(name)
    shape = [int(d) for d in shape]
    if None in x.shape and -1 not in shape:
        # Keep a dynamic batch dynamic: the dim that matches it becomes -1.
        batch = x.shape.index(None)
        if batch < len(shape):
            shape[batch] = -1
    return imp.graph.reshape(x, tuple(shape))


@handles("Reshape")
def reshape(imp, node, attrs):
    v = imp.value(node.input[0])
    shape = ints(imp.require_const(node.input[1], "shape"))
    if not attrs.get("allowzero", 0):
        shape = [v.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    if None in shape:
        if -1 in shape or shape.count(None) > 1:
            raise Unsupported("reshape copying a dynamic dim together with -1; pin input_shapes")
        shape = [-1 if d is None else d for d in shape]
    imp.set(node.output[0], _reshape_to(imp, node.input[0], shape))


@handles("Flatten")
def flatten(imp, node, attrs):
    v = imp.value(node.input[0])
    axis = attrs.get("axis", 1)
    axis = axis + v.rank if axis < 0 else axis  # range [-rank, rank]
    head, tail = v.shape[:axis], v.shape[axis:]
    size = lambda dims: -1 if None in dims else int(np.prod(dims, dtype=np.int64))  # noqa: E731
    imp.set(node.output[0], _reshape_to(imp, node.input[0], (size(head), size(tail))))


@handles("Squeeze", "Unsqueeze")
def squeeze(imp, node, attrs):
    v = imp.value(node.input[0])
    shape = list(v.shape)
    if node.op_type == "Squeeze":
        axes = axes_arg(imp, node, attrs, 1, v.rank)
        axes = [i for i, d in enumerate(shape) if d == 1] if axes is None else axes
        if any(shape[a] != 1 for a in axes):
            raise Unsupported(f"squeeze of non-1 dims {axes} of {tuple(shape)}")
        new = [d for i, d in enumerate(shape) if i not in axes]
    else:
        out_rank = v.rank + len(attrs.get("axes", []) or ints(imp.require_const(input_name(node, 1), "axes")))
        axes = sorted(a % out_rank for a in axes_arg(imp, node, attrs, 1, out_rank))
        new = list(shape)
        for a in axes:
            new.insert(a, 1)
    if not new:
        raise Unsupported("a rank-0 (scalar) result")
    imp.set(node.output[0], _reshape_to(imp, node.input[0], [-1 if d is None else d for d in new]))


@handles("Transpose")
def transpose(imp, node, attrs):
    v = imp.value(node.input[0])
    perm = tuple(attrs.get("perm", range(v.rank - 1, -1, -1)))
    # out = transpose(in, perm): hold the output as the input tensor itself in a new layout
    # when possible, so no data moves (out dim i = in dim perm[i]).
    src = inverse(v.perm) if v.perm else tuple(range(v.rank))  # in ONNX dim -> tensor dim
    tensor_of_out = [src[p] for p in perm]  # out ONNX dim i -> tensor dim
    new_perm = inverse(tensor_of_out)  # tensor dim -> out ONNX dim
    imp.set_value(node.output[0], v.tensor, new_perm)


@handles("Concat")
def concat(imp, node, attrs):
    names = [n for n in node.input if n]
    perm, rank = common_layout(imp, names)
    axis = attrs["axis"] % rank
    tensors = [imp.tensor(n, perm) for n in names]
    if len(tensors) == 1:
        imp.alias(node.output[0], names[0])
        return
    imp.set(node.output[0], imp.graph.concat(tensors, axis=edge_axis(perm, axis)), perm)


@handles("Pad")
def pad(imp, node, attrs):
    v = imp.value(node.input[0])
    rank = v.rank
    mode = attrs.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if "pads" in attrs:  # opset < 11
        pads, value = list(attrs["pads"]), attrs.get("value", 0.0)
        axes = list(range(rank))
    else:
        pads = ints(imp.require_const(node.input[1], "pads"))
        value = imp.require_const(input_name(node, 2), "constant_value")
        value = 0.0 if value is None or value.size == 0 else float(value.reshape(-1)[0])
        axes = ints(imp.require_const(input_name(node, 3), "axes")) if input_name(node, 3) else list(range(rank))
        axes = [a % rank for a in axes]
    if min(pads) < 0:
        raise Unsupported("negative pads (cropping)")
    pairs = [(0, 0)] * rank
    for k, a in enumerate(axes):
        pairs[a] = (pads[k], pads[k + len(axes)])
    order = v.perm or tuple(range(rank))
    edge_pairs = [pairs[p] for p in order]
    g = imp.graph
    if mode == "constant":
        y = g.pad(v.tensor, edge_pairs, constant_value=value)
    elif mode in ("reflect", "edge"):
        y = g.border_pad(v.tensor, edge_pairs, mode)
    else:
        raise Unsupported(f"pad mode {mode!r}")
    imp.set(node.output[0], y, v.perm)


@handles("Shape", "Size")
def shape(imp, node, attrs):
    v = imp.value(node.input[0])
    if None in v.shape:
        raise Unsupported(f"the input shape {v.shape} is not static; pin it with input_shapes=")
    if node.op_type == "Size":
        imp.set_const(node.output[0], np.array(int(np.prod(v.shape)), np.int64))
        return
    dims = np.array(v.shape, np.int64)
    start, end = attrs.get("start", 0), attrs.get("end", len(dims))
    imp.set_const(node.output[0], dims[start:end])
