"""The elementwise family (add, sub, mul, relu, relu6, sigmoid, tanh, hard_swish, clip, table (the int8
lookup)): the C core (edgenet.Interpreter on the converted file) vs the numpy reference semantics in
edgenet/ops/elementwise.py (edgenet.reference), on randomized shapes and attributes. Tolerances:
tests/op_harness.py.
"""
import numpy as np
import pytest

import edgenet
from edgenet.graph import QuantParams, Tensor
from op_harness import assert_c_matches_reference, rand, single_input_graph


BROADCAST_CASES = [
    ((2, 5, 7, 3), (2, 5, 7, 3)),
    ((2, 5, 7, 3), (3,)),
    ((2, 5, 7, 3), (1, 5, 1, 3)),
    ((1, 5, 1, 3), (2, 1, 7, 1)),
    ((4, 9), (4, 1)),
    ((3,), (2, 3)),
]


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.parametrize("shapes", BROADCAST_CASES)
def test_binary_two_inputs(op, shapes):
    rng = np.random.default_rng(300)
    g = edgenet.Graph("binary")
    a, b = g.input("a", shapes[0]), g.input("b", shapes[1])
    activation = "relu6" if op == "add" else None
    g.output(getattr(g, op)(a, b, activation=activation), "y")
    assert_c_matches_reference(g, {"a": rand(rng, *shapes[0]) * 4, "b": rand(rng, *shapes[1]) * 4})


@pytest.mark.parametrize("seed", range(12))
def test_binary_with_constants_and_operators(seed):
    rng = np.random.default_rng(400 + seed)
    shape = tuple(int(d) for d in rng.integers(1, 7, size=4))
    g, x = single_input_graph(shape)
    channel_const = rand(rng, shape[-1])
    y = (x * channel_const + 0.5) - x  # tensor-op-array, tensor-op-scalar, tensor-op-tensor
    y = 2.0 - y * 3  # reflected scalar ops
    g.output(channel_const * y, "y")  # array-op-tensor
    assert_c_matches_reference(g, {"x": rand(rng, *shape)})


@pytest.mark.parametrize("op", ["relu", "relu6", "sigmoid", "tanh", "hard_swish"])
def test_unary(op):
    rng = np.random.default_rng(500)
    g, x = single_input_graph((2, 7, 5, 11))
    g.output(getattr(g, op)(x), "y")
    feed = rand(rng, 2, 7, 5, 11) * 5  # covers the 0/6 and -3/3 kinks
    assert_c_matches_reference(g, {"x": feed})


@pytest.mark.parametrize("bounds", [(-1.0, 1.0), (0.0, 6.0), (-0.5, 2.5), (1.0, 1.0)])
def test_clip(bounds):
    rng = np.random.default_rng(600)
    g, x = single_input_graph((3, 13))
    g.output(g.clip(x, min=bounds[0], max=bounds[1]), "y")
    assert_c_matches_reference(g, {"x": rand(rng, 3, 13) * 3})


def test_table_looks_up_every_int8_value():
    """The int8-only lookup op: y = table[x + 128], over all 256 input levels; the C core against
    numpy indexing of the table."""
    rng = np.random.default_rng(1700)
    g = edgenet.Graph("table")
    x = g.quantize(g.input("x", (256,)), 0.5, 0)  # the feed's values are exact multiples: levels -128..127
    lut = rng.integers(-128, 128, size=256).astype(np.int8)
    lut.setflags(write=False)
    y = g.table(x, Tensor(g, "lut", lut.shape, "int8", data=lut))
    y.quant = QuantParams(np.array([0.25], np.float32), np.array([3], np.int64))
    g.output(y, "y")
    feed = (np.arange(-128, 128) * 0.5).astype(np.float32)
    out = edgenet.Interpreter(edgenet.convert(g, optimize=False).to_bytes()).run({"x": feed})["y"]
    np.testing.assert_array_equal(out, lut)  # input level k reads entry k + 128
