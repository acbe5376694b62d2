"""The ONNX import registry: ONNX op type -> handler, and what every handler family shares.

A handler gets (importer, node, attrs), reads inputs with `imp.tensor(name, perm)` (runtime
values in the layout it wants) or `imp.const(name)` (numpy constants), emits nodes with the
Graph builders and records results with `imp.set(output_name, tensor, perm)`. It raises
Unsupported(reason) for anything it cannot translate exactly. Handlers live in handlers/<family>.py
(the families of edgenet/ops) and register with `@handles("OnnxOp", ...)`; importing the
`handlers` package fills HANDLERS. This module imports nothing of the importer's, so handlers
never depend on it.
"""
import numpy as np


class Unsupported(Exception):
    """Raised by a handler: this node cannot be imported (reason in the message). `runtime`: the
    values computed at run time that it needs known at conversion (an If's condition, an integer
    operand); the importer's error then suggests freezing the model inputs they come from
    (constant_inputs=)."""

    def __init__(self, message, runtime=()):
        super().__init__(message)
        self.runtime = tuple(runtime)


def channels_last(rank):
    """The perm that holds an (N, C, spatial...) value as (N, spatial..., C)."""
    return (0,) + tuple(range(2, rank)) + (1,)


def inverse(perm):
    return tuple(int(i) for i in np.argsort(perm))


HANDLERS = {}


# Ops edgenet only handles when their inputs are constants (then they are folded away).
FOLD_ONLY = {
    op: "only supported when its inputs are constants (fixed input shapes make shape computations constant)"
    for op in ("Range", "ConstantOfShape", "NonZero", "Constant", "Tile", "CumSum", "OneHot", "ScatterND",
               "GatherND", "Mod", "Not", "And", "Or")
}


# Two stand-ins for an open (run-time) dim, far from any real size: a shape computation over open
# dims is evaluated once with each (see importer.Importer.fold_shape_values), and the elements whose
# results differ are the ones that depend on the open dims.
OPEN_DIM_STANDINS = (1_000_003, 2_000_029)

# Ops evaluated on shape values (integer vectors holding open dims): the Shape -> Gather ->
# Unsqueeze -> Concat -> Reshape chains exporters write. Nothing here allocates by the values, and
# each is exact in its operands, so a result equal under both stand-ins is equal for every size.
# Not here, because huge stand-ins would decide them wrongly: Min / Max / Clip / comparisons
# (min(T, 512) is 512 for both), and Div by a shape value (4 // T is 0 for both; importer refuses).
SHAPE_ARITHMETIC = {"Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice", "Identity", "Add", "Sub",
                    "Mul", "Div", "Floor", "Ceil", "Neg", "Abs", "Reshape", "Flatten"}


# Ops whose handlers read shape values (integer vectors depending on open dims, see
# importer.Value: their `shape_value` evaluations); any other op given one is reported unsupported.
ACCEPTS_SHAPE_VALUES = {"Reshape"}


def handles(*op_types):
    def register(fn):
        for op in op_types:
            HANDLERS[op] = fn
        return fn
    return register


def input_name(node, i):
    return node.input[i] if len(node.input) > i else ""


def ints(array):
    return [int(v) for v in np.asarray(array).reshape(-1)]


def edge_axis(perm, axis):
    """Tensor dim holding ONNX dim `axis` of a value with layout `perm`."""
    return axis if perm is None else perm.index(axis)


def perm_after_dropping(perm, axes):
    """Layout of a value after removing ONNX dims `axes` (keepdims=0 reductions)."""
    if perm is None:
        return None
    kept = [p for p in perm if p not in axes]
    return tuple(int(r) for r in np.argsort(np.argsort(kept)))


def axes_arg(imp, node, attrs, input_index, rank, name="axes"):
    """Axes from the attribute (older opsets) or the input (newer), non-negative; None if absent."""
    if name in attrs:
        axes = attrs[name]
    elif input_name(node, input_index):
        axes = ints(imp.require_const(input_name(node, input_index), name))
    else:
        return None
    axes = [int(a) for a in np.atleast_1d(axes)]
    if any(not -rank <= a < rank for a in axes):
        raise Unsupported(f"{name} {axes} out of range for rank {rank}")
    return [a % rank for a in axes]


def common_layout(imp, names):
    """The layout to compute a broadcasting op in: the shared perm of its runtime operands when
    all have the output's rank, else ONNX order."""
    values = [imp.value(n) for n in names if n]
    rank = max(v.rank for v in values)
    perms = {v.perm for v in values if not v.is_const}
    if len(perms) == 1 and all(v.rank == rank for v in values if not v.is_const):
        return perms.pop(), rank
    return None, rank


def operand(imp, name, perm, rank):
    """An operand of a broadcasting op in layout `perm`: constants are expanded to `rank` and
    transposed at import time (no op emitted)."""
    v = imp.value(name)
    if v.is_const:
        array = v.const.reshape((1,) * (rank - v.const.ndim) + v.const.shape)
        if array.dtype.kind != "f":
            array = array.astype(np.float32)
        return array if perm is None else np.transpose(array, perm)
    return imp.tensor(name, perm)
