"""The conv family (conv2d, depthwise_conv2d, fully_connected): the C core (edgenet.Interpreter on the
converted file) vs the numpy reference semantics in edgenet/ops/conv.py (edgenet.reference), on
randomized shapes and attributes. Tolerances: tests/op_harness.py.
"""
import numpy as np
import pytest

import edgenet
from op_harness import assert_c_matches_reference, fitting_size, rand, random_padding, single_input_graph


@pytest.mark.parametrize("seed", range(12))
def test_conv2d(seed):
    rng = np.random.default_rng(seed)
    cin, cout = int(rng.integers(1, 20)), int(rng.integers(1, 20))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    strides = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    n, h, w = int(rng.integers(1, 3)), fitting_size(rng, kh, dilation[0]), fitting_size(rng, kw, dilation[1])
    activation = [None, "relu", "relu6"][seed % 3]
    g, x = single_input_graph((n, h, w, cin))
    bias = rand(rng, cout) if seed % 4 else None  # also the no-bias form
    y = g.conv2d(x, rand(rng, cout, kh, kw, cin), bias, strides=strides, dilation=dilation,
                 padding=random_padding(rng), activation=activation)
    g.output(y, "y")
    assert_c_matches_reference(g, {"x": rand(rng, n, h, w, cin) * 3})


@pytest.mark.parametrize("seed", range(12))
def test_depthwise_conv2d(seed):
    rng = np.random.default_rng(100 + seed)
    c, multiplier = int(rng.integers(1, 21)), int(rng.integers(1, 4))
    kh, kw, dilation = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 3))
    n, h, w = int(rng.integers(1, 3)), fitting_size(rng, kh, dilation), fitting_size(rng, kw, dilation)
    g, x = single_input_graph((n, h, w, c))
    y = g.depthwise_conv2d(x, rand(rng, 1, kh, kw, c * multiplier), rand(rng, c * multiplier),
                           strides=int(rng.integers(1, 4)), dilation=dilation,
                           padding=random_padding(rng), activation=[None, "relu", "relu6"][seed % 3])
    g.output(y, "y")
    assert_c_matches_reference(g, {"x": rand(rng, n, h, w, c) * 3})


@pytest.mark.parametrize("seed", range(12))
def test_fully_connected(seed):
    rng = np.random.default_rng(200 + seed)
    lead = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(1, 3))))  # (N,) or (N, T)
    fin, fout = int(rng.integers(1, 40)), int(rng.integers(1, 40))
    g, x = single_input_graph(lead + (fin,))
    bias = rand(rng, fout) if seed % 3 else None
    g.output(g.fully_connected(x, rand(rng, fout, fin), bias, activation=[None, "relu", "relu6"][seed % 3]), "y")
    assert_c_matches_reference(g, {"x": rand(rng, *lead, fin)})


def test_dynamic_batch_runs_at_several_batch_sizes():
    rng = np.random.default_rng(1500)
    g = edgenet.Graph("dyn")
    x = g.input("x", (None, 6, 6, 3))
    y = g.conv2d(x, rand(rng, 5, 3, 3, 3), rand(rng, 5), padding="same", activation="relu")
    g.output(g.fully_connected(g.reshape(y, (-1, 6 * 6 * 5)), rand(rng, 4, 180)), "y")
    for batch in (1, 3):
        assert_c_matches_reference(g, {"x": rand(rng, batch, 6, 6, 3)})
