"""The numpy reference executor: the oracle the C kernels are tested against.

    outputs = edgenet.reference.run(graph, {"image": img})   # {output name: ndarray}
    state = {}                                               # a stream: state carried across runs
    for frame in frames:
        outputs = edgenet.reference.run(graph, {"x": frame}, state)

Each float node runs its op's numpy definition (edgenet/ops/) in float64, so results are
more precise than the float32 C core; float outputs are returned as float64 arrays.
A node that touches integer tensors (a quantized graph: int8 activations and weights,
int32 bias) runs its op's `reference_int8` instead, which is bit-exact with the C core
(docs/QUANTIZATION.md); integer outputs are returned in their own dtype (e.g. int8).
Written for clarity, not speed.
"""
import numpy as np

from .ops.base import fmt_shape


def check_feeds(graph, feeds):
    """Validate feeds (dict by name, or list in input order) -> list of arrays in input order.

    Raises ValueError naming the input and what was expected."""
    expected = [t.name for t in graph.inputs]
    if isinstance(feeds, (list, tuple)):
        if len(feeds) != len(expected):
            raise ValueError(f"expected {len(expected)} inputs {expected}, got {len(feeds)}")
        feeds = dict(zip(expected, feeds))
    if not isinstance(feeds, dict):
        raise ValueError(f"feeds must be a dict by input name or a list in input order, got {type(feeds).__name__}")
    unknown = sorted(set(feeds) - set(expected))
    missing = [n for n in expected if n not in feeds]
    if unknown or missing:
        raise ValueError(f"graph {graph.name!r} has inputs {expected}; unknown: {unknown}, missing: {missing}")
    arrays = []
    for t in graph.inputs:
        value = feeds[t.name]
        if not isinstance(value, np.ndarray):
            raise ValueError(f"input {t.name!r}: expected a numpy array, got {type(value).__name__}")
        if value.dtype != np.dtype(t.dtype):
            raise ValueError(f"input {t.name!r}: expected dtype {t.dtype}, got {value.dtype}")
        if len(value.shape) != len(t.shape) or any(d is not None and d != n for d, n in zip(t.shape, value.shape)):
            raise ValueError(f"input {t.name!r}: expected shape {fmt_shape(t.shape)}, got {value.shape}")
        arrays.append(value)
    return arrays


def _is_integer(t):
    return t is not None and np.dtype(t.dtype).kind in "iu"


def _working_dtype(t):
    """How a tensor's values are held while running: integers as int64, floats as float64."""
    return np.int64 if _is_integer(t) else np.float64


# While a run with `observe` is in progress: the callback, which sees control-flow bodies too.
_observer = None


def run(graph, feeds, state=None, observe=None):
    """Execute `graph` on `feeds`; returns {output name: ndarray} (float64, or the integer dtype).

    State variables (Graph.state) start from `state` ({state name: ndarray}; a missing entry
    takes the initial value). When `state` is a dict, it is updated with the values assigned
    during the run, so passing the same dict again continues the stream (like Interpreter.run).

    observe: optional `observe(tensor, value)`, called with every graph input, state read and node
    output as it is computed, including those inside control-flow bodies (once per iteration) --
    calibration's view."""
    global _observer
    outer, _observer = _observer, observe
    try:
        arrays = [a.astype(_working_dtype(t)) for t, a in zip(graph.inputs, check_feeds(graph, feeds))]
        results = run_values(graph, arrays, state)
    finally:
        _observer = outer
    return {t.name: y if not _is_integer(t) else y.astype(t.dtype) for t, y in zip(graph.outputs, results)}


def run_values(graph, arrays, state=None):
    """Execute `graph` on its input values (in input order, held as _working_dtype arrays: float64 or
    int64), returning its output values in order. Control-flow ops run their bodies through this.
    `state` as in run (only a main graph has state variables)."""
    values = {}  # id(Tensor) -> ndarray
    for t, array in zip(graph.inputs, arrays):
        values[id(t)] = array
        if _observer is not None:
            _observer(t, array)
    for s in graph.states:
        start = s.initial.data if state is None or s.name not in state else state[s.name]
        values[id(s.tensor)] = np.asarray(start).astype(_working_dtype(s.tensor))
        if _observer is not None:
            _observer(s.tensor, values[id(s.tensor)])

    def value_of(t):
        if t is None:
            return None
        if t.is_constant:
            return t.data.astype(_working_dtype(t))
        return values[id(t)]

    for node in graph.nodes:
        inputs = [value_of(t) for t in node.inputs]
        if any(_is_integer(t) for t in node.inputs + node.outputs):
            quants = [None if t is None else t.quant for t in node.inputs]
            try:
                results = node.opdef.reference_int8(inputs, node.attrs, quants, [t.quant for t in node.outputs])
            except ValueError as e:
                raise ValueError(f"{node.name} ({node.op}): {e}") from None
        else:
            results = node.opdef.evaluate(inputs, node.attrs)
        for t, y in zip(node.outputs, results):
            # Guard against a shape rule and a reference that disagree.
            if len(y.shape) != len(t.shape) or any(d is not None and d != n for d, n in zip(t.shape, y.shape)):
                raise RuntimeError(f"{node.name} ({node.op}): reference gave shape {y.shape}, shape rule says "
                                   f"{fmt_shape(t.shape)}")
            values[id(t)] = np.asarray(y, dtype=_working_dtype(t))
            if _observer is not None:
                _observer(t, values[id(t)])
    if state is not None:  # all states change together, after the run (as in the C core)
        state.update({s.name: value_of(s.assigned) for s in graph.states if s.assigned is not None})
    return [value_of(t) for t in graph.outputs]
