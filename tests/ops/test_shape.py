"""The shape family (reshape, transpose, concat, pad): the C core (edgenet.Interpreter on the converted
file) vs the numpy reference semantics in edgenet/ops/shape.py (edgenet.reference), on randomized
shapes and attributes. Tolerances: tests/op_harness.py.
"""
import numpy as np
import pytest

import edgenet
from op_harness import assert_c_matches_reference, rand, single_input_graph


@pytest.mark.parametrize("new_shape", [(2, 105), (-1, 7, 3), (2, 5, 21), (210,), (6, -1)])
def test_reshape(new_shape):
    rng = np.random.default_rng(900)
    g, x = single_input_graph((2, 5, 7, 3))
    # Reshape of a computed tensor, so the op is not a pure pass-through of the input.
    g.output(g.reshape(g.relu(x), new_shape), "y")
    assert_c_matches_reference(g, {"x": rand(rng, 2, 5, 7, 3)})


@pytest.mark.parametrize("perm", [(0, 3, 1, 2), (0, 2, 1, 3), (3, 2, 1, 0), (1, 0, 2, 3), (0, 1, 2, 3)])
def test_transpose(perm):
    rng = np.random.default_rng(1000)
    g, x = single_input_graph((2, 5, 7, 3))
    g.output(g.transpose(x, perm), "y")
    assert_c_matches_reference(g, {"x": rand(rng, 2, 5, 7, 3)})


@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
@pytest.mark.parametrize("planes", [1, 2, 3, 4, 5])
def test_nchw_to_nhwc_transpose(planes, dtype):
    """(0, 2, 3, 1) with few planes has its own loop in the core (a channels-first image input):
    exact against numpy for 4- and 1-byte elements, every plane count around it."""
    rng = np.random.default_rng(1050 + planes)
    g = edgenet.Graph("nchw")
    x = g.input("x", shape=(2, planes, 5, 7), dtype=dtype)
    g.output(g.transpose(x, (0, 2, 3, 1)), "y")
    feed = rng.integers(-1000, 1000, (2, planes, 5, 7)).astype(dtype)
    y = edgenet.Interpreter(edgenet.convert(g)).run({"x": feed})["y"]
    assert y.dtype == feed.dtype and np.array_equal(y, feed.transpose(0, 2, 3, 1))


@pytest.mark.parametrize("axis", [0, 1, 2, 3, -1])
def test_concat(axis):
    rng = np.random.default_rng(1100)
    base = [2, 5, 7, 3]
    shapes = []
    for extra in (1, 4, 2):
        s = list(base)
        s[axis] = extra
        shapes.append(tuple(s))
    g = edgenet.Graph("concat")
    inputs = [g.input(f"x{i}", s) for i, s in enumerate(shapes[:2])]
    constant = rand(rng, *shapes[2])  # a constant input too
    g.output(g.concat(inputs + [constant], axis=axis), "y")
    assert_c_matches_reference(g, {f"x{i}": rand(rng, *s) for i, s in enumerate(shapes[:2])})


@pytest.mark.parametrize("seed", range(12))
def test_pad(seed):
    rng = np.random.default_rng(1200 + seed)
    shape = tuple(int(d) for d in rng.integers(1, 6, size=int(rng.integers(2, 5))))
    paddings = [tuple(int(v) for v in rng.integers(0, 3, size=2)) for _ in shape]
    g, x = single_input_graph(shape)
    g.output(g.pad(x, paddings, constant_value=float(rng.standard_normal())), "y")
    assert_c_matches_reference(g, {"x": rand(rng, *shape)})


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_shape(dtype):
    """SHAPE of a dynamic-batch input: the run-time dims (checked against the reference at two batches)."""
    rng = np.random.default_rng(1300)
    g = edgenet.Graph("shape")
    x = g.input("x", (None, 5, 3))
    g.output(g.shape(g.relu(x), dtype=dtype), "dims")
    for batch in (1, 4):
        assert_c_matches_reference(g, {"x": rand(rng, batch, 5, 3)})
