"""ReduceMean / Sum / Max / Min, ArgMax / ArgMin."""
from ..registry import Unsupported, axes_arg, edge_axis, handles, perm_after_dropping


REDUCE = {"ReduceMean": "mean", "ReduceSum": "reduce_sum", "ReduceMax": "reduce_max", "ReduceMin": "reduce_min"}


def reduction_args(imp, node, attrs):
    """(value, ONNX axes, keepdims) of a Reduce* node, or None when it is a no-op (empty axes with
    noop_with_empty_axes)."""
    v = imp.value(node.input[0])
    if v.tensor.dtype != "float32":
        raise Unsupported(f"input has dtype {v.tensor.dtype}; only float32 is supported")
    axes_input_since = 13 if node.op_type == "ReduceSum" else 18
    axes = axes_arg(imp, node, attrs, 1, v.rank) if imp.opset >= axes_input_since or "axes" in attrs else None
    if not axes:
        if attrs.get("noop_with_empty_axes", 0):
            return None
        axes = list(range(v.rank))
    return v, axes, bool(attrs.get("keepdims", 1))


def set_reduced(imp, name, v, axes, keepdims, reduce_fn):
    """Record reduce_fn(tensor, edge axes, keepdims) as `name`, in v's layout."""
    y = reduce_fn(v.tensor, tuple(edge_axis(v.perm, a) for a in axes), keepdims)
    imp.set(name, y, v.perm if keepdims else perm_after_dropping(v.perm, axes))


@handles(*REDUCE)
def reduce(imp, node, attrs):
    args = reduction_args(imp, node, attrs)
    if args is None:
        imp.alias(node.output[0], node.input[0])
        return
    op = getattr(imp.graph, REDUCE[node.op_type])
    set_reduced(imp, node.output[0], *args, lambda x, axes, keepdims: op(x, axes, keepdims=keepdims))


@handles("ArgMax", "ArgMin")
def arg(imp, node, attrs):
    v = imp.value(node.input[0])
    axis = attrs.get("axis", 0) % v.rank
    keepdims = bool(attrs.get("keepdims", 1))
    op = imp.graph.arg_max if node.op_type == "ArgMax" else imp.graph.arg_min
    y = op(v.tensor, edge_axis(v.perm, axis), keepdims=keepdims,
           select_last_index=bool(attrs.get("select_last_index", 0)))
    imp.set(node.output[0], y, v.perm if keepdims else perm_after_dropping(v.perm, [axis]))
