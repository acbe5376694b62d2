"""silu (x * sigmoid(x)) and the optimizer pass that turns x * gate(x) into one op:
mul(x, sigmoid(x)) -> silu(x) and mul(x, hard_sigmoid(x, 1/6, 1/2)) -> hard_swish(x).

Oracles: silu written out in numpy (x * sigmoid(x) with sigmoid as its own formula), the
original two-op graph on the reference executor, and the integer reference bit for bit for
the C core's int8 lookup table.
"""
import numpy as np
import pytest

import edgenet
from edgenet.converters import passes
from edgenet.ops import get as get_op
from test_int8_lookup_ops import direct_table
from test_int8_ops import assert_exact, constant, int8_input, set_output_quant
from test_passes import check_same_function, ops, rewritten


def numpy_silu(x):
    x = np.asarray(x, np.float64)
    with np.errstate(over="ignore"):
        sigmoid = 1.0 / (1.0 + np.exp(-x))
    return x * sigmoid


def test_silu_float_c_and_reference_match_the_formula():
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.standard_normal(200) * 4, [-800.0, -90.0, -20.0, 0.0, 20.0, 90.0, 800.0]])
    x = x.astype(np.float32)
    g = edgenet.Graph("silu")
    g.output(g.silu(g.input("x", x.shape)), "y")
    expected = numpy_silu(x)
    reference = edgenet.reference.run(g, {"x": x})["y"]
    np.testing.assert_allclose(reference, expected, rtol=1e-12, atol=1e-300)
    c_out = edgenet.Interpreter(edgenet.convert(g).to_bytes()).run({"x": x})["y"]
    np.testing.assert_allclose(c_out.astype(np.float64), expected, rtol=1e-6, atol=1e-7)
    assert np.isfinite(c_out).all()  # x -> -inf gives -0, not -inf * 0 = nan


def test_silu_int8_table_matches_the_formula_and_c_equals_reference():
    rng = np.random.default_rng(12)
    s_in, zp_in, s_out, zp_out = 0.05, -10, 0.03, -100
    table = get_op("silu").table(s_in, zp_in, s_out, zp_out)
    np.testing.assert_array_equal(table, direct_table(numpy_silu, s_in, zp_in, s_out, zp_out))
    g = edgenet.Graph("silu_int8")
    x, feed = int8_input(g, rng, "x", (3, 41))
    s_in, zp_in = float(x.quant.scale[0]), int(x.quant.zero_point[0])
    node = g.make_node("silu", [x, constant(g, "silu_table", get_op("silu").table(s_in, zp_in, 0.02, -90))], {})
    g.nodes.append(node)
    set_output_quant(node.outputs[0], 0.02, -90)
    g.output(node.outputs[0], "y")
    assert_exact(g, {"x": feed})


def gated(gate, swap=False, **gate_attrs):
    g = edgenet.Graph(gate)
    x = g.input("x", (1, 5, 5, 6))
    y = g.conv2d(x, np.random.default_rng(0).standard_normal((6, 3, 3, 6)).astype(np.float32) * 0.3,
                 padding="same")
    s = getattr(g, gate)(y, **gate_attrs)
    g.output(g.mul(s, y) if swap else g.mul(y, s), "z")
    return g


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("gate, gate_attrs, fused", [("sigmoid", {}, "silu"),
                                                     ("hard_sigmoid", {"alpha": 1 / 6, "beta": 0.5}, "hard_swish")])
def test_x_times_gate_becomes_one_op(gate, gate_attrs, fused, swap):
    g = gated(gate, swap, **gate_attrs)
    h = rewritten(g, passes.fuse_gated_activations)
    assert ops(h) == ["conv2d", fused]
    assert h.outputs[0].name == "z"
    check_same_function(g, h)
    assert fused in ops(rewritten(g))  # part of optimize()


def test_gate_near_misses_stay():
    # hard_sigmoid with ONNX's default alpha 0.2 is not hard_swish's gate
    g = gated("hard_sigmoid", alpha=0.2, beta=0.5)
    assert ops(rewritten(g, passes.fuse_gated_activations)) == ops(g)
    # the gate of another tensor: x * sigmoid(w)
    g = edgenet.Graph("other")
    x, w = g.input("x", (2, 8)), g.input("w", (2, 8))
    g.output(g.mul(x, g.sigmoid(w)), "z")
    assert ops(rewritten(g, passes.fuse_gated_activations)) == ["sigmoid", "mul"]
    # the gate has another reader (it is also an output): it must stay
    g = edgenet.Graph("shared")
    x = g.input("x", (2, 8))
    s = g.sigmoid(x)
    g.output(g.mul(x, s), "z")
    g.output(s, "gate")
    h = rewritten(g, passes.fuse_gated_activations)
    assert ops(h) == ["sigmoid", "mul"]
    check_same_function(g, h)


@pytest.mark.parametrize("spelling", ["div", "mul"])
def test_spelled_out_hard_swish_becomes_one_op(spelling):
    """x * relu6(x + 3) / 6, as paddle2onnx writes HardSwish (the relu6 is a clip fused into the add)."""
    g = edgenet.Graph("hs")
    x = g.input("x", (1, 4, 4, 5))
    y = g.conv2d(x, np.random.default_rng(1).standard_normal((5, 1, 1, 5)).astype(np.float32), padding="same")
    product = g.mul(y, g.clip(g.add(y, 3.0), 0.0, 6.0))
    g.output(g.div(product, 6.0) if spelling == "div" else g.mul(product, 1.0 / 6.0), "z")
    h = rewritten(g)
    assert ops(h) == ["conv2d", "hard_swish"]
    check_same_function(g, h)


def test_division_by_a_constant_becomes_a_multiplication():
    g = edgenet.Graph("div")
    x = g.input("x", (3, 4))
    g.output(g.div(x, np.array([2.0, 4.0, 0.5, 8.0], np.float32)), "z")
    h = rewritten(g, passes.divisions_by_constants)
    assert ops(h) == ["mul"]
    check_same_function(g, h)
    # a divisor with a zero (x / 0 = inf) or one that is not constant stays a division
    g = edgenet.Graph("div0")
    x, w = g.input("x", (3, 4)), g.input("w", (3, 4))
    g.output(g.div(g.div(x, np.array([2.0, 0.0, 1.0, 1.0], np.float32)), w), "z")
    assert ops(rewritten(g, passes.divisions_by_constants)) == ["div", "div"]


# ---- per-channel / scalar affine folded into the next weighted layer --------------------------


@pytest.mark.parametrize("reader", ["conv2d", "conv2d_padded", "depthwise_conv2d", "fully_connected"])
@pytest.mark.parametrize("per_channel", [False, True])
def test_affine_before_a_weighted_layer_folds_into_it(reader, per_channel):
    """hard_swish(x) * c + b (paddle's learnable affine) then a weighted layer: folded into it; before
    a padded layer the padding cells must stay 0, so a scalar affine becomes a pad with value -b/c."""
    rng = np.random.default_rng(3)
    g = edgenet.Graph("affine")
    x = g.input("x", (1, 5, 5, 4))
    c = rng.uniform(0.5, 2.0, 4 if per_channel else 1).astype(np.float32)
    b = rng.uniform(-1.0, 1.0, 4 if per_channel else 1).astype(np.float32)
    y = g.add(g.mul(g.hard_swish(x), c), b)
    if reader == "fully_connected":
        z = g.fully_connected(y, rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(3).astype(
            np.float32))
    elif reader == "depthwise_conv2d":
        z = g.depthwise_conv2d(y, rng.standard_normal((1, 3, 3, 8)).astype(np.float32), None, padding="same")
    else:
        z = g.conv2d(y, rng.standard_normal((6, 3, 3, 4)).astype(np.float32), rng.standard_normal(6).astype(
            np.float32), padding="same" if reader == "conv2d_padded" else "valid")
    g.output(z, "z")
    h = rewritten(g, passes.fold_affine_into_next_layer)
    padded = reader in ("conv2d_padded", "depthwise_conv2d")
    # padded: a scalar x * c + b becomes pad(x, value=-b/c) and the layer's own padding goes; a per-channel
    # add cannot be a padding value, so it stays (and the mul before it has no weighted reader either)
    middle = (["mul", "add"] if per_channel else ["pad"]) if padded else []
    assert ops(h) == ["hard_swish"] + middle + [reader.replace("_padded", "")]
    check_same_function(g, h)


def test_scale_alone_folds_into_a_padded_layer():
    rng = np.random.default_rng(4)
    g = edgenet.Graph("scale")
    x = g.input("x", (1, 5, 5, 4))
    y = g.mul(g.hard_swish(x), rng.uniform(0.5, 2.0, 4).astype(np.float32))
    g.output(g.depthwise_conv2d(y, rng.standard_normal((1, 3, 3, 4)).astype(np.float32), None, padding="same"), "z")
    h = rewritten(g, passes.fold_affine_into_next_layer)
    assert ops(h) == ["hard_swish", "depthwise_conv2d"]
    check_same_function(g, h)
