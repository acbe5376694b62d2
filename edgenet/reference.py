"""The numpy reference executor: the oracle the C kernels are tested against.

    outputs = edgenet.reference.run(graph, {"image": img})   # {output name: ndarray}

Each node runs its op's numpy definition (edgenet/ops/) in float64, so results are
more precise than the float32 C core; outputs are returned as float64 arrays.
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


def run(graph, feeds):
    """Execute `graph` on `feeds`; returns {output name: float64 ndarray}."""
    values = {}  # id(Tensor) -> ndarray
    for t, array in zip(graph.inputs, check_feeds(graph, feeds)):
        values[id(t)] = array.astype(np.float64)

    def value_of(t):
        if t is None:
            return None
        if t.is_constant:
            return t.data.astype(np.float64)
        return values[id(t)]

    for node in graph.nodes:
        results = node.opdef.evaluate([value_of(t) for t in node.inputs], node.attrs)
        for t, y in zip(node.outputs, results):
            # Guard against a shape rule and a reference that disagree.
            if len(y.shape) != len(t.shape) or any(d is not None and d != n for d, n in zip(t.shape, y.shape)):
                raise RuntimeError(f"{node.name} ({node.op}): reference gave shape {y.shape}, shape rule says "
                                   f"{fmt_shape(t.shape)}")
            values[id(t)] = np.asarray(y, dtype=np.float64)
    return {t.name: values[id(t)] for t in graph.outputs}
