"""The numpy reference (edgenet.reference / edgenet.ops) checked against independent
computations: direct per-element loops with explicit bounds checks instead of padding
and slicing, closed-form formulas, and TFLite's documented "same" padding examples."""
import itertools
import math

import numpy as np
import pytest

import edgenet
from edgenet.ops.base import explicit_padding


def rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def run_single(build, x):
    """Build a one-input graph with `build(g, x_tensor)` and run the reference on x."""
    g = edgenet.Graph("t")
    t = g.input("x", x.shape)
    g.output(build(g, t), "y")
    return edgenet.reference.run(g, {"x": x})["y"]


def loop_conv(x, w, b, stride, dilation, pads, depthwise=False):
    """Direct-loop NHWC convolution; taps that land in the padding contribute nothing."""
    (sh, sw), (dh, dw), ((pt, pb), (pl, pr)) = stride, dilation, pads
    n, h, wd, cin = x.shape
    _, kh, kw, _ = w.shape
    cout = w.shape[3] if depthwise else w.shape[0]
    oh = (h + pt + pb - ((kh - 1) * dh + 1)) // sh + 1
    ow = (wd + pl + pr - ((kw - 1) * dw + 1)) // sw + 1
    y = np.zeros((n, oh, ow, cout))
    for b_, i, j, co in itertools.product(range(n), range(oh), range(ow), range(cout)):
        acc = 0.0 if b is None else float(b[co])
        for ki, kj in itertools.product(range(kh), range(kw)):
            r, c = i * sh - pt + ki * dh, j * sw - pl + kj * dw
            if not (0 <= r < h and 0 <= c < wd):
                continue
            if depthwise:
                multiplier = cout // cin
                acc += float(x[b_, r, c, co // multiplier]) * float(w[0, ki, kj, co])
            else:
                acc += sum(float(x[b_, r, c, ci]) * float(w[co, ki, kj, ci]) for ci in range(cin))
        y[b_, i, j, co] = acc
    return y


# TFLite "same": out = ceil(in / stride); odd total padding puts the extra at the bottom/right.
@pytest.mark.parametrize("size,k,s,d,expected", [
    (5, 3, 1, 1, (1, 1)),
    (5, 3, 2, 1, (1, 1)),   # out 3, total 2
    (4, 3, 2, 1, (0, 1)),   # out 2, total 1 -> extra at the end
    (6, 1, 2, 1, (0, 0)),
    (7, 3, 1, 2, (2, 2)),   # dilated kernel spans 5
    (32, 3, 2, 1, (0, 1)),
    (5, 4, 1, 1, (1, 2)),
])
def test_same_padding_matches_tflite_rule(size, k, s, d, expected):
    pads = explicit_padding("same", (size, size), (k, k), (s, s), (d, d))
    assert pads == (expected, expected)


@pytest.mark.parametrize("seed", range(6))
def test_conv2d_reference_vs_loops(seed):
    rng = np.random.default_rng(seed)
    x = rand(rng, 2, int(rng.integers(3, 8)), int(rng.integers(3, 8)), int(rng.integers(1, 5)))
    w = rand(rng, int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4)), x.shape[3])
    b = rand(rng, w.shape[0])
    stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    pads = ((int(rng.integers(0, 3)), int(rng.integers(0, 3))), (int(rng.integers(0, 3)), int(rng.integers(0, 3))))
    if min((x.shape[1] + sum(pads[0]) - (w.shape[1] - 1) * dilation[0] - 1),
           (x.shape[2] + sum(pads[1]) - (w.shape[2] - 1) * dilation[1] - 1)) < 0:
        pads = ((3, 3), (3, 3))  # make sure the window fits
    got = run_single(lambda g, t: g.conv2d(t, w, b, strides=stride, dilation=dilation, padding=pads), x)
    np.testing.assert_allclose(got, loop_conv(x, w, b, stride, dilation, pads), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_depthwise_reference_vs_loops(seed):
    rng = np.random.default_rng(10 + seed)
    c, multiplier = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    x = rand(rng, 1, int(rng.integers(4, 8)), int(rng.integers(4, 8)), c)
    w = rand(rng, 1, 3, 3, c * multiplier)
    b = rand(rng, c * multiplier)
    stride, dilation = (int(rng.integers(1, 3)),) * 2, (int(rng.integers(1, 3)),) * 2
    pads = explicit_padding("same", x.shape[1:3], (3, 3), stride, dilation)
    got = run_single(lambda g, t: g.depthwise_conv2d(t, w, b, strides=stride, dilation=dilation, padding="same"), x)
    np.testing.assert_allclose(got, loop_conv(x, w, b, stride, dilation, pads, depthwise=True), rtol=1e-6, atol=1e-9)


def loop_pool(x, pool, stride, pads, kind, count_include_pad=False):
    (fh, fw), (sh, sw), ((pt, pb), (pl, pr)) = pool, stride, pads
    n, h, w, c = x.shape
    oh, ow = (h + pt + pb - fh) // sh + 1, (w + pl + pr - fw) // sw + 1
    y = np.zeros((n, oh, ow, c))
    for b, i, j, ch in itertools.product(range(n), range(oh), range(ow), range(c)):
        values = [float(x[b, r, q, ch]) for r in range(i * sh - pt, i * sh - pt + fh)
                  for q in range(j * sw - pl, j * sw - pl + fw) if 0 <= r < h and 0 <= q < w]
        if kind == "max":
            y[b, i, j, ch] = max(values)
        else:
            y[b, i, j, ch] = sum(values) / (fh * fw if count_include_pad else len(values))
    return y


@pytest.mark.parametrize("kind,count_include_pad", [("max", False), ("avg", False), ("avg", True)])
@pytest.mark.parametrize("seed", range(4))
def test_pool_reference_vs_loops(kind, count_include_pad, seed):
    rng = np.random.default_rng(20 + seed)
    x = rand(rng, 2, int(rng.integers(3, 9)), int(rng.integers(3, 9)), 3)
    pool = (int(rng.integers(1, 4)), int(rng.integers(2, 4)))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 4)))
    pads = explicit_padding("same", x.shape[1:3], pool, stride)
    if kind == "max":
        got = run_single(lambda g, t: g.max_pool2d(t, pool, strides=stride, padding="same"), x)
    else:
        got = run_single(lambda g, t: g.avg_pool2d(t, pool, strides=stride, padding="same",
                                                   count_include_pad=count_include_pad), x)
    np.testing.assert_allclose(got, loop_pool(x, pool, stride, pads, kind, count_include_pad), rtol=1e-6, atol=1e-9)


def test_fully_connected_reference_vs_loops():
    rng = np.random.default_rng(30)
    x, w, b = rand(rng, 3, 7), rand(rng, 4, 7), rand(rng, 4)
    expected = [[sum(float(x[n, i]) * float(w[o, i]) for i in range(7)) + float(b[o]) for o in range(4)]
                for n in range(3)]
    got = run_single(lambda g, t: g.fully_connected(t, w, b, activation="relu"), x)
    np.testing.assert_allclose(got, np.maximum(expected, 0), rtol=1e-6, atol=1e-9)


def test_unary_references_vs_math_module():
    values = np.array([[-7.0, -3.0, -1.5, 0.0, 0.5, 3.0, 5.9, 6.0, 8.0]], np.float32)
    cases = {
        "relu": lambda v: max(v, 0.0),
        "relu6": lambda v: min(max(v, 0.0), 6.0),
        "sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)),
        "tanh": math.tanh,
        # hard_swish(x) = x * relu6(x + 3) / 6, written piecewise
        "hard_swish": lambda v: 0.0 if v <= -3 else (v if v >= 3 else v * (v + 3) / 6),
    }
    for op, fn in cases.items():
        got = run_single(lambda g, t: getattr(g, op)(t), values)
        np.testing.assert_allclose(got[0], [fn(float(v)) for v in values[0]], rtol=1e-7, atol=1e-12, err_msg=op)


def test_softmax_reference_vs_loops():
    x = np.array([[1.0, 2.0, 3.0], [-100.0, 0.0, 100.0]], np.float32)
    got = run_single(lambda g, t: g.softmax(t, beta=0.5), x)
    for row, out in zip(x, got):
        # exp(0.5 * 100) fits in a double, so unlike the reference no max-shift is needed here
        weights = [math.exp(0.5 * float(v)) for v in row]
        np.testing.assert_allclose(out, np.array(weights) / sum(weights), rtol=1e-9)


def test_batch_norm_reference_vs_formula_and_lowering():
    rng = np.random.default_rng(40)
    x = rand(rng, 2, 3, 3, 5)
    mean, var, scale, offset = rand(rng, 5), rng.uniform(0.5, 2, 5), rand(rng, 5), rand(rng, 5)
    got = run_single(lambda g, t: g.batch_norm(t, mean=mean, variance=var, scale=scale, offset=offset,
                                               epsilon=1e-3), x)
    for c in range(5):
        expected = (x[..., c].astype(np.float64) - mean[c]) / math.sqrt(var[c] + 1e-3) * scale[c] + offset[c]
        np.testing.assert_allclose(got[..., c], expected, rtol=1e-6, atol=1e-9)

    # The serializer's lowering (mul + add) computes the same function.
    from edgenet.converters import passes

    g = edgenet.Graph("bn")
    t = g.input("x", x.shape)
    g.output(g.batch_norm(t, mean=mean, variance=var, scale=scale, offset=offset, epsilon=1e-3), "y")
    lowered = g.copy()
    passes.lower_to_file_ops(lowered)
    assert [n.op for n in lowered.nodes] == ["mul", "add"]
    np.testing.assert_allclose(edgenet.reference.run(lowered, {"x": x})["y"], got, rtol=1e-6, atol=1e-6)


def test_mean_pad_concat_transpose_reshape_vs_loops():
    rng = np.random.default_rng(50)
    x = rand(rng, 2, 3, 4, 5)

    got = run_single(lambda g, t: g.mean(t, axis=(1, 2)), x)
    expected = [[sum(float(x[n, i, j, c]) for i in range(3) for j in range(4)) / 12 for c in range(5)] for n in range(2)]
    np.testing.assert_allclose(got, expected, rtol=1e-9)

    got = run_single(lambda g, t: g.pad(t, [(0, 0), (1, 2), (0, 1), (0, 0)], constant_value=-2.0), x)
    assert got.shape == (2, 6, 5, 5)
    for n, i, j, c in itertools.product(range(2), range(6), range(5), range(5)):
        inside = 1 <= i < 4 and j < 4
        assert got[n, i, j, c] == (x[n, i - 1, j, c] if inside else -2.0)

    got = run_single(lambda g, t: g.transpose(t, (0, 3, 1, 2)), x)
    for n, c, i, j in itertools.product(range(2), range(5), range(3), range(4)):
        assert got[n, c, i, j] == x[n, i, j, c]

    got = run_single(lambda g, t: g.reshape(t, (2, -1)), x)
    assert list(got[1]) == [float(v) for v in x[1].flatten()]  # row-major element order

    other = rand(rng, 2, 3, 1, 5)
    got = run_single(lambda g, t: g.concat([t, other], axis=2), x)
    assert (got[:, :, :4] == x).all() and (got[:, :, 4:] == other).all()


def test_clip_and_fused_activation_semantics():
    x = np.array([[-9.0, -0.5, 0.5, 5.0, 7.0]], np.float32)
    got = run_single(lambda g, t: g.clip(t, min=-1.0, max=5.5), x)
    assert got.tolist() == [[-1.0, -0.5, 0.5, 5.0, 5.5]]
    # add(..., activation="relu6") clamps the sum to [0, 6]
    got = run_single(lambda g, t: g.add(t, np.float32(1.0), activation="relu6"), x)
    assert got.tolist() == [[0.0, 0.5, 1.5, 6.0, 6.0]]
