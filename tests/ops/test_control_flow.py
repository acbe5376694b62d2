"""The control-flow family (cond, while_loop): the C core vs the numpy reference in
edgenet/ops/control_flow.py, on randomized inputs. The behaviour tests (both branches, data-dependent
iteration counts vs plain Python loops, int8, hostile files) are in tests/test_control_flow.py.
"""
import numpy as np
import pytest

import edgenet
from op_harness import assert_c_matches_reference, rand


@pytest.mark.parametrize("seed", range(4))
def test_cond(seed):
    rng = np.random.default_rng(1400 + seed)
    shape = tuple(rng.integers(1, 5, size=rng.integers(1, 4)))
    g = edgenet.Graph("cond")
    x = g.input("x", shape)
    w = rand(rng, *shape)
    pred = g.greater(g.reduce_sum(x, axis=tuple(range(len(shape)))), 0.0)
    g.output(g.cond(pred, lambda a: g.tanh(a * w), lambda a: g.sigmoid(a) - w, x), "y")
    for _ in range(3):  # the sign of the sum picks the branch: both are reached over the draws
        assert_c_matches_reference(g, {"x": rand(rng, *shape)})


@pytest.mark.parametrize("seed", range(4))
def test_while_loop(seed):
    rng = np.random.default_rng(1500 + seed)
    shape = tuple(rng.integers(1, 5, size=rng.integers(1, 4)))
    g = edgenet.Graph("while_loop")
    x = g.input("x", shape)
    n = g.input("n", (1,))
    _, y = g.while_loop(lambda i, y: g.less(i, n), lambda i, y: (i + 1.0, g.tanh(y * 0.9 + x)),
                        (np.zeros(1, np.float32), np.zeros(shape, np.float32)), max_iterations=int(rng.integers(3, 9)))
    g.output(y, "y")
    for iterations in (0, 2, 12):
        assert_c_matches_reference(g, {"x": rand(rng, *shape), "n": np.array([iterations], np.float32)})
