"""The numpy reference executor: the oracle the C kernels are tested against.

    outputs = edgenet.reference.run(graph, {"image": img})   # {output name: ndarray}

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


def run(graph, feeds):
    """Execute `graph` on `feeds`; returns {output name: ndarray} (float64, or the integer dtype)."""
    values = {}  # id(Tensor) -> ndarray
    for t, array in zip(graph.inputs, check_feeds(graph, feeds)):
        values[id(t)] = array.astype(_working_dtype(t))

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
    return {t.name: values[id(t)] if not _is_integer(t) else values[id(t)].astype(t.dtype) for t in graph.outputs}
