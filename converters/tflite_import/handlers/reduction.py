"""MEAN, SUM, REDUCE_MAX, REDUCE_MIN, ARG_MAX, ARG_MIN, L2_NORMALIZATION."""
import numpy as np

from ..registry import Unsupported, handles, option

REDUCTIONS = {"MEAN": "mean", "SUM": "reduce_sum", "REDUCE_MAX": "reduce_max", "REDUCE_MIN": "reduce_min"}


def axes_input(imp, op, rank):
    axes = [int(a) for a in np.atleast_1d(imp.require_const(op.inputs[1], "axis"))]
    if any(not -rank <= a < rank for a in axes):
        raise Unsupported(f"axis {axes} out of range for rank {rank}")
    return tuple(sorted({a % rank for a in axes}))


@handles(*REDUCTIONS)
def reduce(imp, op):
    x = imp.tensor(op.inputs[0])
    axes = axes_input(imp, op, x.ndim)
    y = getattr(imp.graph, REDUCTIONS[op.name])(x, axes, keepdims=bool(option(op, "keepDims", False)))
    imp.set(op.outputs[0], y)


@handles("ARG_MAX", "ARG_MIN")
def arg_max(imp, op):
    x = imp.tensor(op.inputs[0])
    (axis,) = axes_input(imp, op, x.ndim)
    y = (imp.graph.arg_max if op.name == "ARG_MAX" else imp.graph.arg_min)(x, axis, keepdims=False)
    to = "int32" if imp.dtype(op.outputs[0]) == "INT32" else "int64"
    imp.set(op.outputs[0], y if y.dtype == to else imp.graph.cast(y, to))


@handles("L2_NORMALIZATION")
def l2_normalization(imp, op):
    """x / sqrt(max(sum(x^2, last axis), 1e-6)) (TFLite's epsilon)."""
    g = imp.graph
    x = imp.tensor(op.inputs[0])
    norm = g.sqrt(g.maximum(g.reduce_sum(g.mul(x, x), (x.ndim - 1,), keepdims=True), np.float32(1e-6)))
    imp.set(op.outputs[0], g.div(x, norm))
