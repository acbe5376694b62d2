"""The pooling family (max_pool2d, avg_pool2d): the C core (edgenet.Interpreter on the converted file)
vs the numpy reference semantics in edgenet/ops/pooling.py (edgenet.reference), on randomized shapes
and attributes. Tolerances: tests/op_harness.py.
"""
import numpy as np
import pytest

from op_harness import assert_c_matches_reference, rand, random_padding, single_input_graph


@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("seed", range(12))
def test_pool2d(op, seed):
    rng = np.random.default_rng(700 + seed)
    n, h, w, c = int(rng.integers(1, 3)), int(rng.integers(4, 14)), int(rng.integers(4, 14)), int(rng.integers(1, 20))
    pool = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    strides = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    # Explicit pads must stay smaller than the window (see _Pool2D.infer).
    padding = random_padding(rng)
    if isinstance(padding, tuple):
        padding = (min(padding[0], pool[0] - 1), min(padding[1], pool[0] - 1),
                   min(padding[2], pool[1] - 1), min(padding[3], pool[1] - 1))
    kwargs = {"count_include_pad": bool(seed % 2)} if op == "avg_pool2d" else {}
    g, x = single_input_graph((n, h, w, c))
    g.output(getattr(g, op)(x, pool, strides=strides, padding=padding, **kwargs), "y")
    assert_c_matches_reference(g, {"x": rand(rng, n, h, w, c)})
