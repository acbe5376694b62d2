"""Reshape, Flatten, Squeeze / Unsqueeze, Transpose, Concat, Pad, Shape / Size."""
import numpy as np

from ..registry import OPEN_DIM_STANDINS, Unsupported, axes_arg, common_layout, edge_axis, handles, input_name, ints, inverse


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
    """The target shape is evaluated once per open-dim stand-in (see registry.OPEN_DIM_STANDINS),
    with 0 copying the input's dim and -1 inferred from the element count: a dim equal in both
    evaluations is static, and at most one dim may depend on the open ones (it becomes -1)."""
    v = imp.value(node.input[0])
    target = imp.value(node.input[1])
    evaluations = []
    for k, standin in enumerate(OPEN_DIM_STANDINS):
        in_shape = [standin if d is None else d for d in v.shape]
        shape = [int(d) for d in np.asarray(target.shape_value[k] if target.is_shape_value else
                                            imp.require_const(node.input[1], "shape")).reshape(-1)]
        if not attrs.get("allowzero", 0):
            shape = [in_shape[i] if d == 0 else d for i, d in enumerate(shape)]
        if -1 in shape:
            rest = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
            shape[shape.index(-1)] = int(np.prod(in_shape, dtype=np.int64)) // max(rest, 1)
        evaluations.append(shape)
    shape = [a if a == b else None for a, b in zip(*evaluations)]
    if shape.count(None) > 1:
        raise Unsupported(f"reshape of {v.shape} to {tuple(shape)} (None: sizes known only at run time) "
                          "needs more than one inferred size; pin the open dims")
    imp.set(node.output[0], _reshape_to(imp, node.input[0], [-1 if d is None else d for d in shape]))


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
    """A reshape; with more than one open dim (one reshape can infer only one) a gather per axis
    instead: taking index 0 of a size-1 dim drops it, indices of shape (1, n) or (n, 1) along a
    static neighbour of size n insert one."""
    v = imp.value(node.input[0])
    shape = list(v.shape)
    if node.op_type == "Squeeze":
        axes = axes_arg(imp, node, attrs, 1, v.rank)
        axes = [i for i, d in enumerate(shape) if d == 1] if axes is None else axes
        if any(shape[a] is None for a in axes):
            raise Unsupported(f"squeezes open dim(s) {[a for a in axes if shape[a] is None]} of {tuple(shape)}; "
                              "edgenet cannot check at conversion time that they will be 1: pin the open dims")
        if any(shape[a] != 1 for a in axes):
            raise Unsupported(f"squeeze of non-1 dims {axes} of {tuple(shape)}")
        new = [d for i, d in enumerate(shape) if i not in axes]
    else:
        out_rank = v.rank + len(attrs.get("axes", []) or ints(imp.require_const(input_name(node, 1), "axes")))
        axes = sorted(a % out_rank for a in axes_arg(imp, node, attrs, 1, out_rank))
        new = list(shape)
        for a in axes:
            new.insert(a, 1)
    if shape.count(None) <= 1:
        imp.set(node.output[0], _reshape_to(imp, node.input[0], [-1 if d is None else d for d in new]))
        return
    x = imp.tensor(node.input[0])
    if node.op_type == "Squeeze":
        for a in sorted(axes, reverse=True):
            x = imp.graph.gather(x, imp.constant(np.array(0, np.int64), name="squeeze_index"), axis=a)
    else:
        for a in axes:  # x has rank a or more; the new dim goes before x's dim a
            static = [d for d, size in enumerate(x.shape) if size is not None]
            if not static:
                raise Unsupported(f"unsqueeze of {tuple(x.shape)}: every dim is open; pin the open dims")
            # Next to a static dim when there is one there; else before any static dim, then moved.
            at = a if a in static else a - 1 if a - 1 in static else static[0]
            before = at != a - 1  # the new dim goes before dim `at` (else after it)
            indices = np.arange(x.shape[at]).reshape((1, -1) if before else (-1, 1))
            x = imp.graph.gather(x, imp.constant(indices.astype(np.int64), name="unsqueeze_indices"), axis=at)
            new_dim = at if before else at + 1
            if new_dim != a:
                order = [d for d in range(x.ndim) if d != new_dim]
                x = imp.graph.transpose(x, order[:a] + [new_dim] + order[a:])
    imp.set(node.output[0], x)


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
    """A constant when the shape is static, else a shape value (importer.Value) that the shape
    arithmetic after it carries to a Reshape, where the open dims become -1."""
    v = imp.value(node.input[0])
    evaluations = []
    for standin in OPEN_DIM_STANDINS:
        dims = np.array([standin if d is None else d for d in v.shape], np.int64)
        if node.op_type == "Size":
            evaluations.append(np.array(np.prod(dims), np.int64))
        else:
            evaluations.append(dims[attrs.get("start", 0):attrs.get("end", len(dims))])
    imp.set_shape_value(node.output[0], evaluations)
