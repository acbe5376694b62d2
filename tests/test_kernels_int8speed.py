"""Fast paths for the memory-bound ops of int8 models (issue 8's latency half) vs independent oracles.

Each op runs under every kernel family of this CPU (EDGENET_ISA, as in test_simd_kernels.py)
and 1 or 3 threads:
  - PAD (constant, float and int8): numpy's np.pad, bit for bit;
  - int8 table lookups (every int8 unary op): table[x + 128] in numpy, bit for bit, with random
    tables and inputs holding all 256 values, at lengths around the vector widths and chunks;
int8 results of the other kernels are compared with the integer reference (edgenet.reference).
"""

import numpy as np
import pytest

import edgenet
from test_int8_ops import calibrate_output, constant, int8_input, set_output_quant

from test_simd_kernels import FAMILIES  # every family this CPU runs (the others are listed there)
THREADS = [1, 3]


def run_all(model_bytes, feeds, monkeypatch):
    """Yields (label, outputs) for every kernel family x thread count."""
    for family in FAMILIES:
        for threads in THREADS:
            monkeypatch.setenv("EDGENET_ISA", family)  # read when the interpreter prepares its ops
            yield f"{family}, {threads} threads", edgenet.Interpreter(model_bytes, num_threads=threads).run(feeds)


def int8_graph_input(g, name, shape, scale, zero_point):
    """A float input quantized to int8 with (scale, zero_point), and a function that turns
    int8 levels into a feed that quantizes back to exactly those levels."""
    x = g.quantize(g.input(name, shape), scale, zero_point)
    return x, lambda levels: ((levels.astype(np.float32) - zero_point) * np.float32(scale)).astype(np.float32)


# ---- PAD -----------------------------------------------------------------------------------------

PAD_CASES = [
    # (shape, paddings): OCR's add-as-padding (H and W), channels only, every dim, none, empty rows
    ((1, 6, 9, 16), ((0, 0), (1, 1), (1, 1), (0, 0))),
    ((2, 3, 5, 7), ((0, 0), (0, 0), (0, 0), (2, 3))),
    ((3, 4, 5), ((1, 2), (0, 3), (2, 1))),
    ((5, 3), ((0, 0), (0, 0))),
    ((7,), ((4, 0),)),
    ((2, 1, 3, 1, 2), ((1, 0), (0, 2), (1, 1), (3, 0), (0, 1))),
]


@pytest.mark.parametrize("value", [0.0, -1.5, float("nan")])
@pytest.mark.parametrize("case", PAD_CASES, ids=[f"pad{i}" for i in range(len(PAD_CASES))])
def test_float_pad_equals_numpy(case, value, monkeypatch):
    shape, paddings = case
    rng = np.random.default_rng(len(shape) * 10 + sum(map(sum, paddings)))
    g = edgenet.Graph("pad")
    g.output(g.pad(g.input("x", shape), paddings, constant_value=value), "y")
    x = rng.standard_normal(shape).astype(np.float32)
    want = np.pad(x, paddings, constant_values=np.float32(value))
    for label, got in run_all(edgenet.convert(g, optimize=False).to_bytes(), {"x": x}, monkeypatch):
        np.testing.assert_array_equal(got["y"], want, err_msg=label)


@pytest.mark.parametrize("case", PAD_CASES, ids=[f"pad{i}" for i in range(len(PAD_CASES))])
def test_int8_pad_equals_numpy(case, monkeypatch):
    shape, paddings = case
    rng = np.random.default_rng(100 + len(shape))
    scale, zp = 0.05, int(rng.integers(-128, 128))
    value = float(rng.uniform(-3, 3))
    g = edgenet.Graph("pad8")
    x, feed = int8_graph_input(g, "x", shape, scale, zp)
    y = set_output_quant(g.pad(x, paddings, constant_value=value), scale, zp)
    g.output(y, "y")
    levels = rng.integers(-128, 128, size=shape).astype(np.int8)
    # The pad value quantized as docs/QUANTIZATION.md says: round half away from zero, plus zp, clamped.
    q = np.float32(value) / np.float32(scale)
    pad_level = np.int8(np.clip(np.sign(q) * np.floor(np.abs(q) + np.float32(0.5)) + zp, -128, 127))
    want = np.pad(levels, paddings, constant_values=pad_level)
    for label, got in run_all(edgenet.convert(g, optimize=False).to_bytes(), {"x": feed(levels)}, monkeypatch):
        np.testing.assert_array_equal(got["y"], want, err_msg=label)


# ---- int8 table lookups ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 15, 16, 31, 32, 63, 64, 65, 255, 256, 1000, 4096 * 3 + 17])
def test_int8_lookup_equals_numpy(n, monkeypatch):
    rng = np.random.default_rng(n)
    table = rng.integers(-128, 128, size=256).astype(np.int8)
    if n % 2:  # a structured table too: the identity and a few saturated ends
        table = np.clip(np.arange(-128, 128) * 2, -128, 127).astype(np.int8)
    g = edgenet.Graph("lut")
    x, feed = int8_graph_input(g, "x", (n,), 0.1, 3)
    node = g.make_node("hard_swish", [x, constant(g, "table", table)], {})
    g.nodes.append(node)
    g.output(set_output_quant(node.outputs[0], 0.07, -5), "y")
    levels = rng.integers(-128, 128, size=n).astype(np.int8)
    levels[:min(n, 256)] = np.arange(-128, 128, dtype=np.int8)[:min(n, 256)]  # every value, when n allows
    want = table[levels.astype(np.int64) + 128]
    for label, got in run_all(edgenet.convert(g, optimize=False).to_bytes(), {"x": feed(levels)}, monkeypatch):
        np.testing.assert_array_equal(got["y"], want, err_msg=label)


# ---- int8 CONCAT, QUANTIZE and MAX_POOL_2D vs the integer reference ------------------------------

def assert_families_equal_reference(g, feeds, monkeypatch):
    """Every kernel family x thread count equals the integer reference (edgenet.reference) bit for bit."""
    model = edgenet.convert(g, optimize=False)
    want = edgenet.reference.run(model.graph, feeds)
    for label, got in run_all(model.to_bytes(), feeds, monkeypatch):
        for name, ref in want.items():
            ref = ref.astype(np.float32) if ref.dtype == np.float64 else ref  # dequantized outputs
            assert got[name].dtype == ref.dtype and np.array_equal(got[name], ref), (
                f"{label}: output {name!r} differs from the integer reference in "
                f"{int((got[name] != ref).sum())} elements")


@pytest.mark.parametrize("seed", range(6))
def test_int8_concat(seed, monkeypatch):
    """YOLO-style channel concats: inputs sharing the output's quantization are copied, the others
    requantized (through a table in the fast path); odd channel counts, several axes."""
    rng = np.random.default_rng(1200 + seed)
    axis = [3, 3, 1, 2, 0, 3][seed]
    base = [2, 5, 7, 16]
    g = edgenet.Graph("concat8")
    parts, feeds = [], {}
    for i in range(3):
        shape = list(base)
        shape[axis] = int(rng.integers(1, 40))
        t, feeds[f"x{i}"] = int8_input(g, rng, f"x{i}", tuple(shape))
        parts.append(t)
    y = g.concat(parts, axis=axis)
    if seed % 2:  # the output shares input 1's quantization: that input is copied as is
        set_output_quant(y, float(parts[1].quant.scale[0]), int(parts[1].quant.zero_point[0]))
    else:
        calibrate_output(rng, y)
    g.output(y, "y")
    assert_families_equal_reference(g, feeds, monkeypatch)


@pytest.mark.parametrize("n", [1, 7, 31, 32, 33, 100, 4096 * 2 + 45])
def test_int8_quantize_and_requantize(n, monkeypatch):
    rng = np.random.default_rng(1300 + n)
    g = edgenet.Graph("q")
    x = g.input("x", (n,))
    scale, zp = float(10 ** rng.uniform(-2.5, 0)), int(rng.integers(-128, 128))
    q = g.quantize(x, scale, zp)
    r = g.quantize(q, float(10 ** rng.uniform(-2.5, 0)), int(rng.integers(-128, 128)))  # int8 -> int8
    g.output(q, "q")
    g.output(r, "r")
    values = (rng.standard_normal(n) * scale * 150).astype(np.float32)
    # Ties (k + 0.5 steps, exact in float), just below / above them, saturation, inf, nan, signed zeros.
    ties = ((rng.integers(-300, 300, size=n) + 0.5) * scale).astype(np.float32)
    values[::3] = ties[::3]
    values[1::7] = np.nextafter(ties[1::7], np.float32(0))
    special = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e30, -1e30, scale * 0.5, -scale * 0.5, scale * 1e6],
                       np.float32)
    values[-min(n, len(special)):] = special[:min(n, len(special))]
    assert_families_equal_reference(g, {"x": values}, monkeypatch)


MAXPOOL_CASES = [
    # (input NHWC, window, strides, padding): YOLO's SPPF 5x5 stride 1 same, odd channels, stride 2
    ((1, 10, 10, 128), 5, 1, "same"),
    ((2, 9, 7, 3), 3, 2, "same"),
    ((1, 8, 9, 33), 2, 2, "valid"),
    ((1, 5, 6, 70), (3, 2), (1, 2), "same"),
    ((1, 4, 4, 17), 4, 1, "valid"),
]


@pytest.mark.parametrize("case", MAXPOOL_CASES, ids=[f"maxpool{i}" for i in range(len(MAXPOOL_CASES))])
def test_int8_max_pool(case, monkeypatch):
    shape, k, s, pad = case
    rng = np.random.default_rng(1400 + MAXPOOL_CASES.index(case))
    g = edgenet.Graph("maxpool8")
    x, feed = int8_input(g, rng, "x", shape)
    y = set_output_quant(g.max_pool2d(x, k, strides=s, padding=pad), float(x.quant.scale[0]),
                         int(x.quant.zero_point[0]))
    g.output(y, "y")
    assert_families_equal_reference(g, {"x": feed}, monkeypatch)


BROADCAST_CASES = [
    # (a shape, b shape): SE scaling, per-tensor scalars on either side, one value per row,
    # broadcasts in outer dims too, short rows (the reference loop), rank-1
    ((1, 6, 8, 40), (1, 1, 1, 40)),
    ((1, 1, 1, 1), (2, 5, 70)),
    ((2, 5, 70), (1,)),
    ((3, 20, 40), (3, 20, 1)),
    ((2, 3, 50), (50,)),
    ((4, 1, 33), (1, 5, 33)),
    ((5, 1), (1, 64)),
    ((1, 40, 1), (1, 1, 1)),
    ((3, 4, 7), (3, 1, 7)),
    ((1, 2, 4100), (1, 1, 1)),
]


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.parametrize("case", BROADCAST_CASES, ids=[f"bcast{i}" for i in range(len(BROADCAST_CASES))])
def test_int8_broadcast_binary(case, op, monkeypatch):
    a_shape, b_shape = case
    rng = np.random.default_rng(1500 + BROADCAST_CASES.index(case) * 3 + ["add", "sub", "mul"].index(op))
    g = edgenet.Graph(op)
    a, fa = int8_input(g, rng, "a", a_shape)
    b, fb = int8_input(g, rng, "b", b_shape)
    y = getattr(g, op)(a, b, activation=[None, "relu", "relu6"][BROADCAST_CASES.index(case) % 3])
    calibrate_output(rng, y)
    g.output(y, "y")
    assert_families_equal_reference(g, {"a": fa, "b": fb}, monkeypatch)


# ---- float SILU (the YOLO float baseline) ------------------------------------------------------


@pytest.mark.parametrize("n", [1, 7, 8, 9, 1000, 8192 * 2 + 3])
def test_float_silu_matches_the_formula(n, monkeypatch):
    """Vector SILU vs x / (1 + exp(-x)) in float64, within the float unary tolerance of
    tests/ops/ (rtol 1e-6, atol 1e-7); NaN and infinities as the formula gives."""
    rng = np.random.default_rng(1600 + n)
    x = (rng.standard_normal(n) * 6).astype(np.float32)
    special = np.array([0.0, -0.0, 1e-30, -1e-30, 20.0, -20.0, 87.5, -87.5, 88.5, -88.5, 100.0, -100.0, -800.0,
                        800.0, np.inf, -np.inf, np.nan], np.float32)
    x[:min(n, len(special))] = special[:min(n, len(special))]
    with np.errstate(over="ignore", invalid="ignore"):
        want = x.astype(np.float64) / (1.0 + np.exp(-x.astype(np.float64)))
    g = edgenet.Graph("silu")
    g.output(g.silu(g.input("x", (n,))), "y")
    for label, got in run_all(edgenet.convert(g).to_bytes(), {"x": x}, monkeypatch):
        np.testing.assert_allclose(got["y"].astype(np.float64), want, rtol=1e-6, atol=1e-7, err_msg=label)
