"""The linalg family (matmul, conv2d_transpose): the C core (edgenet.Interpreter on the converted file)
vs the numpy reference semantics in edgenet/ops/linalg.py (edgenet.reference), on randomized shapes
and attributes. Tolerances: tests/op_harness.py.
"""
import numpy as np
import pytest

import edgenet
from op_harness import SUMS, assert_c_matches_reference, broadcast_partner, rand, rand_shape


@pytest.mark.parametrize("seed", range(8))
def test_matmul(seed):
    rng = np.random.default_rng(1000 + seed)
    m, k, n = (int(v) for v in rng.integers(1, 24, size=3))
    batch = rand_shape(rng, int(rng.integers(0, 3)), high=4)
    other = broadcast_partner(rng, batch) if batch else ()
    a_shape, b_shape = batch + (m, k), other + (k, n)
    if seed % 2:
        a_shape, b_shape = other + (m, k), batch + (k, n)
    g = edgenet.Graph("matmul")
    a = g.input("a", a_shape)
    b = g.input("b", b_shape) if seed % 3 else rand(rng, *b_shape)  # an activation or a constant
    g.output(g.matmul(a, b), "y")
    feeds = {"a": rand(rng, *a_shape)}
    if seed % 3:
        feeds["b"] = rand(rng, *b_shape)
    assert_c_matches_reference(g, feeds, SUMS)


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_transpose(seed):
    rng = np.random.default_rng(1100 + seed)
    cin, cout = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    strides = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    n, h, w = int(rng.integers(1, 3)), int(rng.integers(1, 7)), int(rng.integers(1, 7))
    # paddings that leave at least one output pixel; output padding < stride (as in ONNX / PyTorch)
    full = [(h - 1) * strides[0] + (kh - 1) * dilation[0] + 1, (w - 1) * strides[1] + (kw - 1) * dilation[1] + 1]
    pads = [int(rng.integers(0, min(3, (f - 1) // 2 + 1))) for f in full for _ in range(2)]
    output_padding = (int(rng.integers(0, strides[0])), int(rng.integers(0, strides[1])))
    g = edgenet.Graph("deconv")
    x = g.input("x", (n, h, w, cin))
    bias = rand(rng, cout) if seed % 2 else None
    g.output(g.conv2d_transpose(x, rand(rng, cout, kh, kw, cin), bias, strides=strides, dilation=dilation,
                                padding=((pads[0], pads[1]), (pads[2], pads[3])), output_padding=output_padding), "y")
    assert_c_matches_reference(g, {"x": rand(rng, n, h, w, cin)}, SUMS)
