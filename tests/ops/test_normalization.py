"""The normalization family (softmax, batch_norm, log_softmax, layer_norm, instance_norm): the C core
(edgenet.Interpreter on the converted file) vs the numpy reference semantics in
edgenet/ops/normalization.py (edgenet.reference), on randomized shapes and attributes. Tolerances:
tests/op_harness.py.
"""
import numpy as np
import pytest

import edgenet
from op_harness import SUMS, assert_c_matches_reference, one_op, rand, rand_shape, single_input_graph


@pytest.mark.parametrize("axis,beta", [(-1, 1.0), (1, 1.0), (-1, 0.5), (0, 2.0)])
def test_softmax(axis, beta):
    rng = np.random.default_rng(1300)
    g, x = single_input_graph((3, 17))
    g.output(g.softmax(x, axis=axis, beta=beta), "y")
    assert_c_matches_reference(g, {"x": rand(rng, 3, 17) * 10})


@pytest.mark.parametrize("seed", range(12))
def test_batch_norm(seed):
    rng = np.random.default_rng(1400 + seed)
    c = int(rng.integers(1, 20))
    g, x = single_input_graph((2, 6, 5, c))
    y = g.batch_norm(x, mean=rand(rng, c), variance=rng.uniform(0.1, 2.0, c), scale=rand(rng, c),
                     offset=rand(rng, c), epsilon=1e-3)
    g.output(y, "y")
    assert_c_matches_reference(g, {"x": rand(rng, 2, 6, 5, c)})


@pytest.mark.parametrize("seed", range(6))
def test_log_softmax(seed):
    rng = np.random.default_rng(1200 + seed)
    shape = rand_shape(rng, int(rng.integers(1, 5)), high=9)
    axis = int(rng.integers(-len(shape), len(shape)))
    assert_c_matches_reference(one_op("log_softmax", [shape], axis=axis), {"x0": rand(rng, *shape, scale=5)}, SUMS)


@pytest.mark.parametrize("seed", range(6))
def test_layer_norm(seed):
    rng = np.random.default_rng(1300 + seed)
    shape = rand_shape(rng, int(rng.integers(1, 5)), high=12)
    axis = int(rng.integers(-len(shape), len(shape)))
    normalized = shape[axis:]
    g = edgenet.Graph("layer_norm")
    x = g.input("x", shape)
    bias = rand(rng, *normalized) if seed % 2 else None
    g.output(g.layer_norm(x, rand(rng, *normalized), bias, axis=axis, epsilon=float(10.0 ** -rng.integers(3, 7))), "y")
    assert_c_matches_reference(g, {"x": rand(rng, *shape, scale=3) + 2}, SUMS)


@pytest.mark.parametrize("seed", range(4))
def test_instance_norm(seed):
    rng = np.random.default_rng(1400 + seed)
    n, h, w, c = rand_shape(rng, 4, high=9)
    g = edgenet.Graph("instance_norm")
    x = g.input("x", (n, h, w, c))
    g.output(g.instance_norm(x, rand(rng, c), rand(rng, c), epsilon=1e-5), "y")
    assert_c_matches_reference(g, {"x": rand(rng, n, h, w, c, scale=2) - 1}, SUMS)
