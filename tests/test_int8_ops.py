"""Every int8 kernel of the C core vs the integer numpy reference: EXACTLY equal (0 LSB).

Graphs are built directly in the quantized IR (int8 tensors with `quant`, int8/int32
constants), the way converters/quantize/ emits them. Each case draws shapes, scales
(per-channel weight scales spread over three decades), zero points, fused activations
and output scales at random per seed; small output scales force saturation at
-128/127, which the saturation test checks actually happens.

The graph input is float32 followed by a `quantize` op (graph inputs are float in this
version), fed with values that land on the whole int8 range and beyond.
"""
import numpy as np
import pytest

import edgenet
from edgenet.graph import QuantParams, Tensor
from edgenet.ops.elementwise import hard_swish_table, sigmoid_table, tanh_table
from edgenet.ops.normalization import softmax_table
from op_harness import assert_exact, random_act_quant

SEEDS = range(8)


# ---- building quantized graphs ------------------------------------------------


def quant(scale, zero_point=0, axis=0):
    scale = np.atleast_1d(np.asarray(scale, dtype=np.float32))
    zero_point = np.broadcast_to(np.asarray(zero_point, dtype=np.int64), scale.shape).copy()
    return QuantParams(scale, zero_point, axis)


def constant(g, name, data, q=None):
    """An integer constant tensor (int8 weights/tables, int32 bias) with quantization q."""
    data = np.ascontiguousarray(data)
    data.setflags(write=False)
    return Tensor(g, name, data.shape, data.dtype.name, data=data, quant=q)


def int8_input(g, rng, name, shape):
    """A float input quantized with a random scale / zero point; returns (tensor, feed).
    The feed's int8 levels are kept on the tensor (`t.levels`) for calibrate_output."""
    scale, zp = random_act_quant(rng)
    x = g.input(name, shape)
    q = g.quantize(x, scale, zp)
    # Levels in [-140, 140] (a few saturate) plus sub-step noise, as real values.
    levels = rng.integers(-140, 141, size=shape)
    feed = ((levels - zp + rng.uniform(-0.45, 0.45, size=shape)) * scale).astype(np.float32)
    q.levels = np.clip(levels, -128, 127)
    return q, feed


def set_output_quant(t, scale, zero_point):
    t.quant = quant(scale, zero_point)
    return t


def real_value(t):
    """The real numbers an int8/int32 tensor stands for: scale * (q - zero_point), per axis."""
    q = t.data if t.is_constant else t.levels
    shape = [1] * q.ndim
    if len(t.quant.scale) > 1:
        shape[t.quant.axis] = -1
    return (q.astype(np.float64) - t.quant.zero_point.reshape(shape)) * t.quant.scale.astype(np.float64).reshape(shape)


def calibrate_output(rng, y):
    """Give y's producer an output quantization from its real (float) result, like a
    calibrating quantizer; a random squeeze of the range makes the extremes saturate."""
    node = y.producer
    real = node.opdef.reference([None if t is None else real_value(t) for t in node.inputs], node.attrs)[0]
    lo, hi = min(float(real.min()), 0.0), max(float(real.max()), 0.0)
    scale = max(hi - lo, 1e-6) / 255
    zero_point = int(np.clip(np.round(-128 - lo / scale), -128, 127))
    return set_output_quant(y, scale * 10 ** rng.uniform(-0.3, 0.05), zero_point)


def random_weights(rng, shape, channels, axis):
    """Symmetric int8 weights in [-127, 127] with per-channel scales over three decades
    (or one per-tensor scale)."""
    w = rng.integers(-127, 128, size=shape).astype(np.int8)
    if rng.random() < 0.75:
        scales = 10 ** rng.uniform(-4, -1, size=channels)
    else:
        scales = np.array([10 ** rng.uniform(-4, -1)])
    return w, quant(scales, 0, axis)


def random_bias(g, rng, channels, x, wq):
    """int32 bias with scale s_in * s_w[c] (the convention of the quantized IR)."""
    scale = np.float32(x.quant.scale[0]) * np.broadcast_to(wq.scale, (channels,)).astype(np.float32)
    return constant(g, "b", rng.integers(-20000, 20000, size=channels).astype(np.int32), quant(scale, 0, 0))


def random_padding(rng):
    return ["same", "valid", tuple(int(v) for v in rng.integers(0, 3, size=4))][int(rng.integers(3))]


ACTIVATIONS = [None, "relu", "relu6"]


# ---- conv, depthwise, fully connected -------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_conv2d(seed):
    rng = np.random.default_rng(seed)
    cin, cout = int(rng.integers(1, 12)), int(rng.integers(1, 12))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    dil = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    n, h, w = int(rng.integers(1, 3)), (kh - 1) * dil[0] + int(rng.integers(1, 8)), (kw - 1) * dil[1] + int(rng.integers(1, 8))
    g = edgenet.Graph("conv")
    x, feed = int8_input(g, rng, "x", (n, h, w, cin))
    weights, wq = random_weights(rng, (cout, kh, kw, cin), cout, axis=0)
    bias = random_bias(g, rng, cout, x, wq) if seed % 4 else None
    y = g.conv2d(x, constant(g, "w", weights, wq), bias, strides=(int(rng.integers(1, 3)), int(rng.integers(1, 3))),
                 dilation=dil, padding=random_padding(rng), activation=ACTIVATIONS[seed % 3])
    calibrate_output(rng, y)
    g.output(y, "y")
    assert_exact(g, {"x": feed})


@pytest.mark.parametrize("seed", SEEDS)
def test_depthwise_conv2d(seed):
    rng = np.random.default_rng(100 + seed)
    c, mult = int(rng.integers(1, 10)), int(rng.integers(1, 4))
    kh, kw, dil = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 3))
    n, h, w = int(rng.integers(1, 3)), (kh - 1) * dil + int(rng.integers(1, 8)), (kw - 1) * dil + int(rng.integers(1, 8))
    g = edgenet.Graph("dw")
    x, feed = int8_input(g, rng, "x", (n, h, w, c))
    weights, wq = random_weights(rng, (1, kh, kw, c * mult), c * mult, axis=3)
    y = g.depthwise_conv2d(x, constant(g, "w", weights, wq), random_bias(g, rng, c * mult, x, wq),
                           strides=int(rng.integers(1, 3)), dilation=dil, padding=random_padding(rng),
                           activation=ACTIVATIONS[seed % 3])
    calibrate_output(rng, y)
    g.output(y, "y")
    assert_exact(g, {"x": feed})


@pytest.mark.parametrize("seed", SEEDS)
def test_fully_connected(seed):
    rng = np.random.default_rng(200 + seed)
    n_in, n_out = int(rng.integers(1, 40)), int(rng.integers(1, 20))
    shape = (int(rng.integers(1, 4)), n_in) if seed % 2 else (2, int(rng.integers(1, 4)), n_in)
    g = edgenet.Graph("fc")
    x, feed = int8_input(g, rng, "x", shape)
    weights, wq = random_weights(rng, (n_out, n_in), n_out, axis=0)
    bias = random_bias(g, rng, n_out, x, wq) if seed % 3 else None
    y = g.fully_connected(x, constant(g, "w", weights, wq), bias, activation=ACTIVATIONS[seed % 3])
    calibrate_output(rng, y)
    g.output(y, "y")
    assert_exact(g, {"x": feed})


def test_saturation_and_relu6_clamp_happen():
    """A deliberately small output scale: outputs hit -128 and 127 (no activation) and the
    relu6 upper clamp (zp + 6/s) is reached, and C and reference still agree exactly."""
    rng = np.random.default_rng(7)
    for activation in (None, "relu6"):
        g = edgenet.Graph("sat")
        x, feed = int8_input(g, rng, "x", (1, 6, 6, 8))
        weights, wq = random_weights(rng, (8, 3, 3, 8), 8, axis=0)
        y = g.conv2d(x, constant(g, "w", weights, wq), None, padding="same", activation=activation)
        s_in = float(x.quant.scale[0])
        scale_out = s_in * float(np.max(wq.scale)) * 60 * 60 * 3 / 128 / 20  # ~20x too small
        set_output_quant(y, scale_out, 0)
        g.output(y, "y")
        out = assert_exact(g, {"x": feed})["y"]
        if activation is None:
            assert (out == 127).any() and (out == -128).any()
        else:
            top = min(127, int(np.floor(6 / np.float32(scale_out) + 0.5)))
            assert out.min() >= 0 and out.max() == top


# ---- elementwise ------------------------------------------------------------------


BROADCASTS = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((1, 3, 1), (2, 1, 5)), ((5,), (3, 1)), ((2, 3), (1,))]


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.parametrize("seed", range(6))
def test_binary(op, seed):
    rng = np.random.default_rng(300 + seed)
    a_shape, b_shape = BROADCASTS[seed % len(BROADCASTS)]
    g = edgenet.Graph(op)
    a, fa = int8_input(g, rng, "a", a_shape)
    b, fb = int8_input(g, rng, "b", b_shape)
    y = getattr(g, op)(a, b, activation=ACTIVATIONS[seed % 3])
    calibrate_output(rng, y)
    g.output(y, "y")
    assert_exact(g, {"a": fa, "b": fb})


@pytest.mark.parametrize("seed", range(6))
def test_lookup_table_ops(seed):
    rng = np.random.default_rng(400 + seed)
    g = edgenet.Graph("tables")
    x, feed = int8_input(g, rng, "x", (2, int(rng.integers(1, 30))))
    s_in, zp_in = float(x.quant.scale[0]) * 10, int(x.quant.zero_point[0])
    # Re-quantize to a wider scale so the functions see their interesting range.
    xw = g.quantize(x, s_in, zp_in)
    s_hs, zp_hs = float(4.0 * s_in * 128 / 127), int(rng.integers(-128, -60))
    tables = {
        "sigmoid": (sigmoid_table(s_in, zp_in), (1 / 256, -128)),
        "tanh": (tanh_table(s_in, zp_in), (1 / 128, 0)),
        "hard_swish": (hard_swish_table(s_in, zp_in, s_hs, zp_hs), (s_hs, zp_hs)),
    }
    for name, (table, (s_out, zp_out)) in tables.items():
        node = g.make_node(name, [xw, constant(g, f"{name}_table", table)], {})
        g.nodes.append(node)
        set_output_quant(node.outputs[0], s_out, zp_out)
        g.output(node.outputs[0], name)
    assert_exact(g, {"x": feed})


@pytest.mark.parametrize("seed", range(6))
def test_softmax(seed):
    rng = np.random.default_rng(500 + seed)
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 12)), int(rng.integers(1, 5)))
    axis = int(rng.integers(-3, 3))
    beta = float(rng.uniform(0.5, 2.0))
    g = edgenet.Graph("softmax")
    x, feed = int8_input(g, rng, "x", shape)
    table = softmax_table(float(x.quant.scale[0]), beta)
    node = g.make_node("softmax", [x, constant(g, "table", table)], {"axis": axis, "beta": beta})
    g.nodes.append(node)
    g.output(set_output_quant(node.outputs[0], 1 / 256, -128), "y")
    assert_exact(g, {"x": feed})


# ---- pooling and mean ----------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_pooling(seed):
    rng = np.random.default_rng(600 + seed)
    c = int(rng.integers(1, 9))
    pool = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    shape = (int(rng.integers(1, 3)), pool[0] + int(rng.integers(0, 6)), pool[1] + int(rng.integers(0, 6)), c)
    strides = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    padding = "same" if seed % 2 else "valid"
    g = edgenet.Graph("pool")
    x, feed = int8_input(g, rng, "x", shape)
    mx = g.max_pool2d(x, pool, strides, padding)
    set_output_quant(mx, float(x.quant.scale[0]), int(x.quant.zero_point[0]))  # shares the input's
    avg = g.avg_pool2d(x, pool, strides, padding, count_include_pad=bool(seed % 4 == 1))
    calibrate_output(rng, avg)
    g.output(mx, "max")
    g.output(avg, "avg")
    assert_exact(g, {"x": feed})


@pytest.mark.parametrize("seed", range(6))
def test_mean(seed):
    rng = np.random.default_rng(700 + seed)
    shape = tuple(int(v) for v in rng.integers(1, 6, size=4))
    axes = [(1, 2), (3,), (0, 2, 3), (1,), (0, 1, 2, 3), (2, 1)][seed]
    g = edgenet.Graph("mean")
    x, feed = int8_input(g, rng, "x", shape)
    y = g.mean(x, axes, keepdims=bool(seed % 2))
    calibrate_output(rng, y)
    g.output(y, "y")
    assert_exact(g, {"x": feed})


# ---- data movement and concat ----------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_concat_requantizes_inputs(seed):
    rng = np.random.default_rng(800 + seed)
    axis = int(rng.integers(0, 3))
    base = [int(v) for v in rng.integers(1, 5, size=3)]
    g = edgenet.Graph("concat")
    parts, feeds = [], {}
    for i in range(3):
        shape = list(base)
        shape[axis] = int(rng.integers(1, 4))
        t, feeds[f"x{i}"] = int8_input(g, rng, f"x{i}", tuple(shape))
        parts.append(t)
    y = g.concat(parts, axis=axis)
    if seed % 2:  # output shares input 1's quantization: that input is copied as is
        set_output_quant(y, float(parts[1].quant.scale[0]), int(parts[1].quant.zero_point[0]))
    else:
        calibrate_output(rng, y)
    g.output(y, "y")
    assert_exact(g, feeds)


@pytest.mark.parametrize("seed", range(4))
def test_reshape_transpose_pad(seed):
    rng = np.random.default_rng(900 + seed)
    g = edgenet.Graph("move")
    x, feed = int8_input(g, rng, "x", (2, 3, 4))
    same = (float(x.quant.scale[0]), int(x.quant.zero_point[0]))
    r = set_output_quant(g.reshape(x, (4, -1)), *same)
    t = set_output_quant(g.transpose(x, (2, 0, 1)), *same)
    value = [0.0, float(rng.uniform(-3, 3))][seed % 2]
    p = set_output_quant(g.pad(x, ((1, 0), (0, 2), (1, 1)), constant_value=value), *same)
    for name, out in (("r", r), ("t", t), ("p", p)):
        g.output(out, name)
    assert_exact(g, {"x": feed})


@pytest.mark.parametrize("planes", [2, 3, 4])
def test_nchw_to_nhwc_transpose(planes):
    """The int8 image input's transpose (its own loop in the core for 2-4 planes), bit-exact."""
    rng = np.random.default_rng(950 + planes)
    g = edgenet.Graph("nchw")
    x, feed = int8_input(g, rng, "x", (2, planes, 6, 5))
    g.output(set_output_quant(g.transpose(x, (0, 2, 3, 1)), float(x.quant.scale[0]), int(x.quant.zero_point[0])), "y")
    assert_exact(g, {"x": feed})


# ---- bad quantized models: clear errors ----------------------------------------------------


def _conv_graph(weight_zero_point=0, output_quant=(0.1, 0)):
    g = edgenet.Graph("bad")
    x = g.quantize(g.input("x", (1, 4, 4, 2)), 0.05, 0)
    w = constant(g, "w", np.ones((3, 1, 1, 2), np.int8), quant([0.01, 0.02, 0.03], weight_zero_point, 0))
    y = g.conv2d(x, w)
    y.quant = None if output_quant is None else quant(*output_quant)
    g.output(y, "y")
    return g


@pytest.mark.parametrize("graph, message", [
    (lambda: _conv_graph(weight_zero_point=3), "symmetric"),
    (lambda: _conv_graph(output_quant=None), "no quantization parameters"),
    (lambda: _conv_graph(output_quant=(0.1, 300)), "zero_point"),
    (lambda: _conv_graph(output_quant=(1e-30, 0)), "out of range"),
])
def test_bad_quantization_is_a_clear_error(graph, message):
    model = edgenet.convert(graph(), optimize=False)
    with pytest.raises(Exception, match=message):
        edgenet.Interpreter(model.to_bytes())


def test_int8_softmax_without_table_is_a_clear_error():
    g = edgenet.Graph("bad_softmax")
    x = g.quantize(g.input("x", (2, 5)), 0.05, 0)
    y = Tensor(g, "y", (2, 5), "int8", quant=quant(1 / 256, -128))
    from edgenet.graph import Node
    node = Node("softmax", [x], [y], {"axis": 1, "beta": 1.0}, "softmax")
    y.producer = node
    g.nodes.append(node)
    g.outputs.append(y)
    model = edgenet.convert(g, optimize=False)
    with pytest.raises(Exception, match="table"):
        edgenet.Interpreter(model.to_bytes())


# ---- the same kernels under AddressSanitizer + UBSan ------------------------------------------


def _run_sanitized(program, g, feeds, tmp_path):
    """Runs g in the sanitized C runner (native/tests/edgenet_run.c); each int8 output is
    dequantized first (the runner prints float outputs), and compared exactly with the
    reference's dequantized value."""
    import build_programs

    for t in list(g.outputs):
        if t.dtype == "int8":
            g.outputs.remove(t)
            g.output(g.dequantize(t), t.name + "_float")
    model_path = tmp_path / "model.enet"
    model_path.write_bytes(edgenet.convert(g, optimize=False).to_bytes())
    input_paths = []
    for t in g.inputs:
        input_paths.append(tmp_path / f"{t.name}.bin")
        input_paths[-1].write_bytes(np.ascontiguousarray(feeds[t.name], "<f4").tobytes())
    result = build_programs.run(program, model_path, *input_paths)
    assert result.returncode == 0, result.stderr[-3000:]
    printed, current = {}, None
    for line in result.stdout.splitlines():
        if line.startswith("output "):
            current = line.split()[2]
            printed[current] = []
        else:
            printed[current].append(float(line))
    for name, ref in edgenet.reference.run(g, feeds).items():
        np.testing.assert_array_equal(np.array(printed[name], np.float32), ref.astype(np.float32).ravel(), name)


def test_int8_kernels_under_sanitizers(monkeypatch, tmp_path):
    """Every int8 case above once more, in the C runner built with ASan + UBSan: no
    out-of-bounds access or undefined behaviour (e.g. a signed overflow), same results."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "native" / "tests"))
    import build_programs

    programs = build_programs.build_programs()
    if not programs["sanitized"]:
        pytest.skip("the C compiler cannot build with AddressSanitizer/UBSan here")
    from ops import test_quantization  # the quantize / dequantize family (tests/ops/)

    sanitized = lambda g, feeds: _run_sanitized(programs["edgenet_run"], g, feeds, tmp_path)  # noqa: E731
    for module in (sys.modules[__name__], test_quantization):
        monkeypatch.setattr(module, "assert_exact", sanitized)
    for seed in range(2):
        test_conv2d(seed)
        test_depthwise_conv2d(seed)
        test_fully_connected(seed)
        test_pooling(seed)
        test_mean(seed)
        test_softmax(seed)
        test_lookup_table_ops(seed)
        test_concat_requantizes_inputs(seed)
        test_reshape_transpose_pad(seed)
        test_quantization.test_quantize_requantize_dequantize(seed)
        for op in ("add", "sub", "mul"):
            test_binary(op, seed)
