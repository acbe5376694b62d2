"""The math family (div, pow, minimum, maximum, comparisons, unary math, gelu, leaky_relu / elu /
hard_sigmoid, prelu, where, cast): the C core (edgenet.Interpreter on the converted file) vs the
numpy reference semantics in edgenet/ops/math.py (edgenet.reference), on randomized shapes and
attributes. Tolerances: tests/op_harness.py.
"""
import numpy as np
import pytest

import edgenet
import op_harness  # run_both through the module: the sanitizer tests swap it
from op_harness import EXACT, ULPS, assert_c_matches_reference, broadcast_partner, one_op, rand, rand_shape


@pytest.mark.parametrize("op", ["div", "pow", "minimum", "maximum"])
@pytest.mark.parametrize("seed", range(8))
def test_binary_broadcast(op, seed):
    rng = np.random.default_rng(seed)
    a_shape = rand_shape(rng, int(rng.integers(1, 5)))
    b_shape = broadcast_partner(rng, a_shape)
    if seed % 2:
        a_shape, b_shape = b_shape, a_shape
    a, b = rand(rng, *a_shape, scale=3), rand(rng, *b_shape, scale=3)
    if op == "div":
        b = np.where(np.abs(b) < 0.1, 0.5, b).astype(np.float32)
    if op == "pow":  # positive bases with any exponent, and negative bases with integer exponents
        a = np.abs(a) + 0.1 if seed % 2 else a
        b = b if seed % 2 else np.round(b)
    assert_c_matches_reference(one_op(op, [a_shape, b_shape]), {"x0": a, "x1": b}, ULPS)


def test_binary_special_values():
    """IEEE corners: x/0, 0/0, nan through minimum/maximum, 0 ** 0."""
    a = np.array([1.0, -1.0, 0.0, np.nan, 2.0, 0.0], np.float32)
    b = np.array([0.0, 0.0, 0.0, 1.0, np.nan, 0.0], np.float32)
    for op in ("div", "minimum", "maximum", "pow"):
        c_out, ref_out = op_harness.run_both(one_op(op, [(6,), (6,)]), {"x0": a, "x1": b})
        np.testing.assert_array_equal(c_out["y"], ref_out["y"].astype(np.float32), err_msg=op)


@pytest.mark.parametrize("op", ["equal", "less", "greater", "less_equal", "greater_equal"])
@pytest.mark.parametrize("seed", range(4))
def test_compare(op, seed):
    rng = np.random.default_rng(100 + seed)
    a_shape = rand_shape(rng, int(rng.integers(1, 5)))
    b_shape = broadcast_partner(rng, a_shape)
    # small integers so that ties (the interesting case for equal / *_equal) are common
    a = rng.integers(-2, 3, size=a_shape).astype(np.float32)
    b = rng.integers(-2, 3, size=b_shape).astype(np.float32)
    c_out = assert_c_matches_reference(one_op(op, [a_shape, b_shape]), {"x0": a, "x1": b}, EXACT)
    assert c_out["y"].dtype == np.bool_


UNARY_DOMAINS = {  # op -> feed transform keeping the op in its domain
    "sqrt": np.abs, "log": lambda x: np.abs(x) + 1e-3, "reciprocal": lambda x: np.where(np.abs(x) < 0.05, 0.5, x),
}


@pytest.mark.parametrize("op", ["sqrt", "exp", "log", "abs", "neg", "erf", "floor", "ceil", "reciprocal", "softplus",
                                "sin", "cos", "silu"])
def test_unary(op):
    rng = np.random.default_rng(200)
    x = rand(rng, 3, 7, 11, scale=4)
    x = UNARY_DOMAINS.get(op, lambda v: v)(x).astype(np.float32)
    assert_c_matches_reference(one_op(op, [x.shape]), {"x0": x}, ULPS)


def test_softplus_large_inputs_do_not_overflow():
    x = np.array([-200.0, -30.0, 0.0, 30.0, 200.0], np.float32)
    assert_c_matches_reference(one_op("softplus", [x.shape]), {"x0": x}, ULPS)


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu(approximate):
    rng = np.random.default_rng(300)
    x = rand(rng, 4, 33, scale=3)
    assert_c_matches_reference(one_op("gelu", [x.shape], approximate=approximate), {"x0": x}, ULPS)


@pytest.mark.parametrize("seed", range(4))
def test_parameterized_activations(seed):
    rng = np.random.default_rng(400 + seed)
    x = rand(rng, 2, 5, 9, scale=4)
    alpha, beta = float(rng.uniform(0.01, 2)), float(rng.uniform(-1, 1))
    g = edgenet.Graph("activations")
    xi = g.input("x", x.shape)
    g.output(g.leaky_relu(xi, alpha=alpha), "leaky")
    g.output(g.elu(xi, alpha=alpha), "elu")
    g.output(g.hard_sigmoid(xi, alpha=alpha, beta=beta), "hard_sigmoid")
    assert_c_matches_reference(g, {"x": x}, ULPS)


@pytest.mark.parametrize("slope_shape", [(1,), (7,), (1, 1, 7), (5, 1), (3, 5, 7)])
def test_prelu(slope_shape):
    rng = np.random.default_rng(500)
    g = edgenet.Graph("prelu")
    x = g.input("x", (3, 5, 7))
    g.output(g.prelu(x, rand(rng, *slope_shape)), "y")  # slope as a constant, as the importer writes it
    assert_c_matches_reference(g, {"x": rand(rng, 3, 5, 7)}, ULPS)


@pytest.mark.parametrize("seed", range(4))
def test_where(seed):
    rng = np.random.default_rng(600 + seed)
    shape = rand_shape(rng, 3)
    c_shape, b_shape = broadcast_partner(rng, shape), broadcast_partner(rng, shape)
    g = edgenet.Graph("where")
    p, q = g.input("p", c_shape), g.input("q", c_shape)
    a, b = g.input("a", shape), g.input("b", b_shape)
    g.output(g.where(g.less(p, q), a, b), "y")  # cond is a bool tensor made in the graph
    feeds = {"p": rand(rng, *c_shape), "q": rand(rng, *c_shape), "a": rand(rng, *shape), "b": rand(rng, *b_shape)}
    assert_c_matches_reference(g, feeds, EXACT)


def test_cast_chain():
    """float -> int32 / int64 truncates toward zero, -> bool is != 0, and back to float."""
    rng = np.random.default_rng(700)
    x = rand(rng, 4, 9, scale=5)
    x[0, :3] = [0.0, -0.0, 2.5]
    g = edgenet.Graph("cast")
    xi = g.input("x", x.shape)
    as_i32, as_i64, as_bool = g.cast(xi, "int32"), g.cast(xi, "int64"), g.cast(xi, "bool")
    g.output(as_i32, "i32")
    g.output(as_i64, "i64")
    g.output(as_bool, "b")
    g.output(g.cast(as_i64, "float32"), "back")
    g.output(g.cast(as_bool, "int32"), "b_i32")
    g.output(g.cast(as_i32, "bool"), "i32_b")
    c_out = assert_c_matches_reference(g, {"x": x}, EXACT)
    assert c_out["i32"].dtype == np.int32 and c_out["i64"].dtype == np.int64 and c_out["b"].dtype == np.bool_
