"""int8 relu / relu6 / clip run as 256-entry lookup tables (like sigmoid/tanh), so a
standalone activation the optimizer could not fuse stays in int8 instead of falling
back to float.

Oracles: each table against the quantization formula written out directly in numpy,
and the C core against the integer reference bit for bit.
"""
import numpy as np
import pytest

import edgenet
from edgenet.ops import get as get_op
from test_int8_ops import assert_exact, constant, int8_input, set_output_quant


def direct_table(fn, s_in, zp_in, s_out, zp_out):
    """table[q + 128] = clamp(round_half_away(fn(s_in * (q - zp_in)) / s_out) + zp_out)."""
    q = np.arange(-128, 128)
    y = fn(np.float64(np.float32(s_in)) * (q - zp_in)) / np.float64(np.float32(s_out))
    rounded = np.sign(y) * np.floor(np.abs(y) + 0.5)
    return np.clip(rounded + zp_out, -128, 127).astype(np.int8)


CASES = {
    "relu": ({}, lambda x: np.maximum(x, 0)),
    "relu6": ({}, lambda x: np.clip(x, 0, 6)),
    "clip": ({"min": -0.5, "max": 1.25}, lambda x: np.clip(x, -0.5, 1.25)),
}


@pytest.mark.parametrize("op", sorted(CASES))
@pytest.mark.parametrize("seed", range(4))
def test_table_matches_the_quantization_formula(op, seed):
    rng = np.random.default_rng(seed)
    attrs, fn = CASES[op]
    s_in, zp_in = float(10 ** rng.uniform(-2, 0)), int(rng.integers(-128, 128))
    s_out, zp_out = float(10 ** rng.uniform(-2, 0)), int(rng.integers(-128, 128))
    table = get_op(op).table(s_in, zp_in, s_out, zp_out, attrs=attrs)
    np.testing.assert_array_equal(table, direct_table(fn, s_in, zp_in, s_out, zp_out))


@pytest.mark.parametrize("seed", range(4))
def test_c_lookup_activations_equal_integer_reference(seed):
    rng = np.random.default_rng(900 + seed)
    g = edgenet.Graph("activations")
    x, feed = int8_input(g, rng, "x", (3, int(rng.integers(1, 40))))
    s_in, zp_in = float(x.quant.scale[0]), int(x.quant.zero_point[0])
    for op, (attrs, _) in CASES.items():
        s_out, zp_out = float(s_in * rng.uniform(0.3, 2.0)), int(rng.integers(-128, 0))
        table = get_op(op).table(s_in, zp_in, s_out, zp_out, attrs=attrs)
        node = g.make_node(op, [x, constant(g, f"{op}_table", table)], dict(attrs))
        g.nodes.append(node)
        set_output_quant(node.outputs[0], s_out, zp_out)
        g.output(node.outputs[0], op)
    assert_exact(g, {"x": feed})


def test_standalone_relu_is_quantized_not_float_fallback():
    rng = np.random.default_rng(7)
    g = edgenet.Graph("residual")
    x = g.input("x", shape=(1, 6, 6, 8))
    w = (rng.standard_normal((8, 3, 3, 8)) * 0.2).astype(np.float32)
    y = g.conv2d(x, w, padding="same")
    y = g.relu(y + x)  # relu after a residual add of a graph input: optimizer fuses it into the add
    z = g.clip(g.mean(y, axis=(1, 2)), -0.25, 0.5)  # clip with odd bounds cannot fuse anywhere
    z = g.fully_connected(z, (rng.standard_normal((4, 8)) * 0.5).astype(np.float32))
    g.output(z, "z")
    samples = [{"x": rng.standard_normal((1, 6, 6, 8)).astype(np.float32)} for _ in range(16)]
    model = edgenet.convert(g, quantize="int8", calibration=samples, verbose=False)
    assert "clip" not in [op for _, op, _ in model.quantization.float_ops], model.quantization
    clip_ops = [op for op in edgenet.load(model.to_bytes()).operators if op.opcode == "CLIP"]
    assert len(clip_ops) == 1 and len(clip_ops[0].inputs) == 2  # x and its table
    feed = samples[0]
    c_out = edgenet.Interpreter(model.to_bytes()).run(feed)["z"]
    ref_out = edgenet.reference.run(model.graph, feed)["z"]
    np.testing.assert_array_equal(c_out, ref_out.astype(np.float32))
    float_out = edgenet.reference.run(g, feed)["z"]
    assert np.abs(c_out - float_out).max() <= 0.05 * np.abs(float_out).max()


# Every other unary op gets the same int8 form; attrs where the op has some.
MATH_ATTRS = {"gelu": {"approximate": False}, "leaky_relu": {"alpha": 0.1}, "elu": {"alpha": 1.0},
              "hard_sigmoid": {"alpha": 0.2, "beta": 0.5}}
MATH_FNS = {  # written out independently of the op definitions
    "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "abs": np.abs, "neg": np.negative,
    "floor": np.floor, "ceil": np.ceil, "reciprocal": lambda x: 1.0 / x, "sin": np.sin, "cos": np.cos,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "erf": lambda x: np.vectorize(__import__("math").erf)(x),
    "gelu": lambda x: 0.5 * x * (1 + np.vectorize(__import__("math").erf)(x / np.sqrt(2))),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.1 * x),
    "elu": lambda x: np.where(x > 0, x, np.exp(np.minimum(x, 0)) - 1),
    "hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
}


@pytest.mark.parametrize("op", sorted(MATH_FNS))
def test_math_unary_tables_match_the_formula(op):
    rng = np.random.default_rng(len(op))
    s_in, zp_in = float(10 ** rng.uniform(-2, -1)), int(rng.integers(-60, 60))
    s_out, zp_out = float(10 ** rng.uniform(-2, -0.5)), int(rng.integers(-128, 128))
    table = get_op(op).table(s_in, zp_in, s_out, zp_out, attrs=MATH_ATTRS.get(op, {}))

    def fn(x):  # int8 has no nan/inf: outside the domain nan -> 0 and +-inf saturate
        with np.errstate(all="ignore"):
            return np.nan_to_num(MATH_FNS[op](x), nan=0.0, posinf=1e30, neginf=-1e30)
    np.testing.assert_array_equal(table, direct_table(fn, s_in, zp_in, s_out, zp_out))


def test_c_math_unary_int8_equal_integer_reference():
    rng = np.random.default_rng(11)
    g = edgenet.Graph("math")
    x, feed = int8_input(g, rng, "x", (2, 37))
    s_in, zp_in = float(x.quant.scale[0]), int(x.quant.zero_point[0])
    for op in sorted(MATH_FNS):
        s_out, zp_out = float(10 ** rng.uniform(-2, 0)), int(rng.integers(-128, 128))
        attrs = dict(MATH_ATTRS.get(op, {}))
        table = get_op(op).table(s_in, zp_in, s_out, zp_out, attrs=attrs)
        node = g.make_node(op, [x, constant(g, f"{op}_table", table)], attrs)
        g.nodes.append(node)
        set_output_quant(node.outputs[0], s_out, zp_out)
        g.output(node.outputs[0], op)
    assert_exact(g, {"x": feed})
