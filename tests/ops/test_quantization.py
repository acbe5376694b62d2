"""The quantization family (quantize, dequantize): the C core vs the integer reference
(edgenet/ops/quantization.py, docs/QUANTIZATION.md), bit for bit.
"""
import numpy as np
import pytest

import edgenet
from op_harness import assert_exact, random_act_quant


@pytest.mark.parametrize("seed", range(4))
def test_quantize_requantize_dequantize(seed):
    rng = np.random.default_rng(1000 + seed)
    g = edgenet.Graph("q")
    x = g.input("x", (64,))
    scale, zp = random_act_quant(rng)
    q = g.quantize(x, scale, zp)
    r = g.quantize(q, *random_act_quant(rng))  # int8 -> int8
    g.output(q, "q")
    g.output(r, "r")
    g.output(g.dequantize(r), "f")
    values = (rng.standard_normal(64) * scale * 100).astype(np.float32)
    values[:6] = [np.inf, -np.inf, np.nan, 0.0, 1e30, -1e30]
    assert_exact(g, {"x": values})


def test_quantize_rounds_ties_away_from_zero():
    g = edgenet.Graph("ties")
    x = g.input("x", (6,))
    g.output(g.quantize(x, 0.5, 0), "q")  # x / 0.5 is exact, so these are true ties
    feed = np.array([0.25, -0.25, 0.75, -0.75, 1.25, -1.25], np.float32)
    out = assert_exact(g, {"x": feed})["q"]
    np.testing.assert_array_equal(out, [1, -1, 2, -2, 3, -3])  # half away from zero, not to even
