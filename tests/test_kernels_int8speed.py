"""Fast paths for the memory-bound ops of int8 models (issue 8's latency half) vs independent oracles.

Each op runs under every kernel family of this CPU (EDGENET_KERNELS, as in test_simd_kernels.py)
and 1 or 3 threads:
  - PAD (constant, float and int8): numpy's np.pad, bit for bit;
  - int8 table lookups (every int8 unary op): table[x + 128] in numpy, bit for bit, with random
    tables and inputs holding all 256 values, at lengths around the vector widths and chunks;
int8 results of the other kernels are compared with the integer reference (edgenet.reference).
"""
import platform

import numpy as np
import pytest

import edgenet
from test_int8_ops import constant, set_output_quant

FAMILIES = ["reference", "sse41", "avx2", "auto"] if platform.machine() in ("x86_64", "AMD64") else \
    ["reference", "neon", "neondot", "auto"]
THREADS = [1, 3]


def run_all(model_bytes, feeds, monkeypatch):
    """Yields (label, outputs) for every kernel family x thread count."""
    for family in FAMILIES:
        for threads in THREADS:
            monkeypatch.setenv("EDGENET_KERNELS", family)  # read when the interpreter prepares its ops
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
