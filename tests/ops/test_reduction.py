"""The reduction family (mean, reduce_sum / max / min, arg_max / arg_min): the C core
(edgenet.Interpreter on the converted file) vs the numpy reference semantics in
edgenet/ops/reduction.py (edgenet.reference), on randomized shapes and attributes. Tolerances:
tests/op_harness.py.
"""
import numpy as np
import pytest

from op_harness import EXACT, SUMS, assert_c_matches_reference, one_op, rand, rand_shape, single_input_graph


@pytest.mark.parametrize("axis,keepdims", [((1, 2), False), ((1, 2), True), (-1, False), (0, True), ((0, 3), False),
                                           ((1,), False), ((0, 1, 2, 3), False)])
def test_mean(axis, keepdims):
    rng = np.random.default_rng(800)
    g, x = single_input_graph((2, 5, 7, 3))
    g.output(g.mean(x, axis=axis, keepdims=keepdims), "y")
    assert_c_matches_reference(g, {"x": rand(rng, 2, 5, 7, 3)})


@pytest.mark.parametrize("op", ["reduce_sum", "reduce_max", "reduce_min"])
@pytest.mark.parametrize("seed", range(6))
def test_reduce(op, seed):
    rng = np.random.default_rng(800 + seed)
    shape = rand_shape(rng, int(rng.integers(1, 5)), high=8)
    axes = tuple(int(a) for a in rng.choice(len(shape), size=int(rng.integers(1, len(shape) + 1)), replace=False))
    g = one_op(op, [shape], axis=axes, keepdims=bool(seed % 2))
    assert_c_matches_reference(g, {"x0": rand(rng, *shape)}, SUMS if op == "reduce_sum" else EXACT)


@pytest.mark.parametrize("op", ["arg_max", "arg_min"])
@pytest.mark.parametrize("seed", range(6))
def test_arg_reduce(op, seed):
    rng = np.random.default_rng(900 + seed)
    shape = rand_shape(rng, int(rng.integers(1, 5)), high=7)
    axis = int(rng.integers(-len(shape), len(shape)))
    x = rng.integers(-3, 4, size=shape).astype(np.float32)  # many ties: first vs last index matters
    g = one_op(op, [shape], axis=axis, keepdims=bool(seed % 2), select_last_index=seed % 3 == 0)
    c_out = assert_c_matches_reference(g, {"x0": x}, EXACT)
    assert c_out["y"].dtype == np.int64
