"""Post-training int8 quantization (converters/quantize/, converters/calibration.py).

Oracles: the float graph on the numpy reference executor (int8 output must stay close to it),
numpy statistics of the calibration data (ranges), plain numpy re-derivations of the
quantization rules (weights, bias, activation parameters), and `edgenet.reference.run` on the
quantized graph, which the C core must match exactly.
"""
import io
import logging

import numpy as np
import pytest

import edgenet
from edgenet import quant_math
from edgenet.converters import calibration, progress, quantize

BATCH = 4


def rand(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def cosine(a, b):
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def feeds_of(images, name="image"):
    return [{name: image} for image in images]


# ---- a MobileNet-style graph whose batch norms were "trained" on real activations ----------


def batch_norm_from_data(g, y, data, rng):
    """batch_norm(y) with mean/variance measured on `data`, so it really normalizes y and the
    network's outputs keep depending on its input (random statistics could zero them out)."""
    probe = g.copy()
    probe.outputs = [t for t in probe.tensors if t.name == y.name]
    values = edgenet.reference.run(probe, {"image": data})[y.name]
    mean, variance = values.mean(axis=(0, 1, 2)), values.var(axis=(0, 1, 2))
    channels = mean.shape[0]
    return g.batch_norm(y, mean.astype(np.float32), variance.astype(np.float32),
                        scale=rng.uniform(0.5, 1.5, channels).astype(np.float32),
                        offset=rand(rng, channels, scale=0.2), epsilon=1e-3)


def mobilenet(rng, data):
    """stem conv+BN+relu6 -> [expand 1x1+BN+relu6 -> depthwise+BN+relu6 -> project 1x1+BN] +
    residual -> hard_swish -> global mean -> FC; outputs the logits and their softmax."""
    g = edgenet.Graph("mobilenet")
    x = g.input("image", shape=(None, 16, 16, 3))
    y = g.conv2d(x, rand(rng, 12, 3, 3, 3, scale=0.3), None, strides=2, padding="same")
    y = g.relu6(batch_norm_from_data(g, y, data, rng))
    shortcut = y
    y = g.conv2d(y, rand(rng, 24, 1, 1, 12, scale=0.3), None)
    y = g.relu6(batch_norm_from_data(g, y, data, rng))
    y = g.depthwise_conv2d(y, rand(rng, 1, 3, 3, 24, scale=0.3), None, padding="same")
    y = g.relu6(batch_norm_from_data(g, y, data, rng))
    y = g.conv2d(y, rand(rng, 12, 1, 1, 24, scale=0.3), None)
    y = batch_norm_from_data(g, y, data, rng)
    y = g.hard_swish(y + shortcut)
    y = g.mean(y, axis=(1, 2))
    logits = g.fully_connected(y, rand(rng, 10, 12, scale=0.5), rand(rng, 10, scale=0.1))
    g.output(logits, "logits")
    g.output(g.softmax(logits), "probs")
    return g


@pytest.fixture(scope="module")
def mobilenet_case():
    rng = np.random.default_rng(0)

    def images(n):  # "calibration-like": the same distribution for calibration and evaluation
        return rng.uniform(0.0, 1.0, (n, 16, 16, 3)).astype(np.float32)

    g = mobilenet(rng, images(64))
    calibration_batches = [images(BATCH) for _ in range(16)]
    model = edgenet.convert(g, quantize="int8", calibration=feeds_of(calibration_batches), verbose=False)
    return g, model, [images(BATCH) for _ in range(8)]


def test_mobilenet_int8_output_close_to_float(mobilenet_case):
    g, model, test_batches = mobilenet_case
    float_logits, int8_logits, int8_probs, float_probs = [], [], [], []
    for batch in test_batches:
        f = edgenet.reference.run(g, {"image": batch})
        q = edgenet.reference.run(model.graph, {"image": batch})
        float_logits.append(f["logits"]), int8_logits.append(q["logits"])
        float_probs.append(f["probs"]), int8_probs.append(q["probs"])
    float_logits, int8_logits = np.concatenate(float_logits), np.concatenate(int8_logits)
    # The outputs really depend on the input (else closeness would prove nothing).
    assert float_logits.std(axis=0).mean() > 0.1 * np.abs(float_logits).mean()
    assert cosine(float_logits - float_logits.mean(0), int8_logits - int8_logits.mean(0)) >= 0.99
    assert cosine(float_logits, int8_logits) >= 0.99
    assert cosine(np.concatenate(float_probs), np.concatenate(int8_probs)) >= 0.99
    # Every op has an int8 kernel here: nothing falls back, BN and relu6 were folded/fused first; only the
    # softmax computing the "probs" output runs in float (the output tail, on the int8 logits).
    assert [(op, "model output" in why) for _, op, why in model.quantization.float_ops] == [("softmax", True)]
    ops = [n.op for n in model.graph.nodes]
    assert "relu6" not in ops and "mul" not in ops
    # image in; the logits out, dequantized once: the float softmax computing "probs" reads them too
    assert ops.count("quantize") == 1 and ops.count("dequantize") == 1


def test_mobilenet_c_core_equals_integer_reference(mobilenet_case, tmp_path):
    g, model, test_batches = mobilenet_case
    path = tmp_path / "mobilenet_int8.enet"
    model.save(path)
    interpreter = edgenet.Interpreter(path)
    for batch in test_batches:
        expected = edgenet.reference.run(model.graph, {"image": batch})
        got = interpreter.run({"image": batch})
        np.testing.assert_array_equal(got["logits"], expected["logits"].astype(np.float32))
        # "probs": the float softmax (output tail) on those identical logits: float32 rounding only
        np.testing.assert_allclose(got["probs"], expected["probs"], rtol=1e-5, atol=1e-7)


# ---- the quantization rules, re-derived with plain numpy ----------------------------------


def small_graph(rng, activation=None):
    g = edgenet.Graph("small")
    x = g.input("x", shape=(1, 6, 6, 3))
    y = g.conv2d(x, rand(rng, 5, 3, 3, 3), rand(rng, 5, scale=0.5), padding="same", activation="relu")
    y = g.max_pool2d(y, 2)
    y = g.reshape(y, (1, 45))
    y = g.fully_connected(y, rand(rng, 4, 45, scale=0.2), rand(rng, 4))
    g.output(g.sigmoid(y), "out")
    return g


def test_weights_bias_and_activation_parameters_follow_the_scheme():
    rng = np.random.default_rng(1)
    g = small_graph(rng)
    samples = [rng.uniform(-1, 2, (1, 6, 6, 3)).astype(np.float32) for _ in range(20)]
    # int8_outputs: the sigmoid computing the output runs in int8 too (by default the output tail is float)
    model = edgenet.convert(g, quantize="int8", calibration=feeds_of(samples, "x"), int8_outputs=True, verbose=False)
    qg = model.graph
    conv = next(n for n in qg.nodes if n.op == "conv2d")
    float_conv = next(n for n in g.nodes if n.op == "conv2d")
    w_float, b_float = float_conv.inputs[1].data, float_conv.inputs[2].data
    x_q, w_q, b_q = conv.inputs
    # weights: int8 in [-127, 127], one symmetric scale per output channel = max |w| / 127
    assert w_q.dtype == "int8" and w_q.data.min() >= -127 and w_q.data.max() <= 127
    expected_scale = np.abs(w_float).reshape(5, -1).max(axis=1) / 127
    np.testing.assert_allclose(w_q.quant.scale, expected_scale, rtol=1e-6)
    assert w_q.quant.axis == 0 and not w_q.quant.zero_point.any()
    assert (np.abs(w_q.data).reshape(5, -1).max(axis=1) == 127).all()
    dequantized = w_q.data * w_q.quant.scale[:, None, None, None]
    assert np.abs(dequantized - w_float).max() <= expected_scale.max() / 2 * (1 + 1e-6)
    # bias: int32 at scale s_in * s_w[c]
    assert b_q.dtype == "int32"
    np.testing.assert_allclose(b_q.data * x_q.quant.scale[0] * w_q.quant.scale, b_float,
                               atol=float(x_q.quant.scale[0] * w_q.quant.scale.max()))
    # input activation: asymmetric, covering the calibrated range [min, max] of the samples
    lo, hi = float(np.min(samples)), float(np.max(samples))
    s, zp = float(x_q.quant.scale[0]), int(x_q.quant.zero_point[0])
    assert s == pytest.approx((hi - lo) / 255, rel=1e-6)
    assert s * (-128 - zp) <= lo + s and s * (127 - zp) >= hi - s
    # relu output: range starts at 0, so the zero point is -128
    assert int(conv.outputs[0].quant.zero_point[0]) == -128
    # pass-through ops share their input's parameters; sigmoid's output is fixed at 1/256, -128
    for op in ("max_pool2d", "reshape"):
        node = next(n for n in qg.nodes if n.op == op)
        assert node.outputs[0].quant is node.inputs[0].quant or (
            node.outputs[0].quant.scale == node.inputs[0].quant.scale and
            node.outputs[0].quant.zero_point == node.inputs[0].quant.zero_point)
    sigmoid = next(n for n in qg.nodes if n.op == "sigmoid")
    assert float(sigmoid.outputs[0].quant.scale[0]) == pytest.approx(1 / 256)
    assert int(sigmoid.outputs[0].quant.zero_point[0]) == -128
    # its lookup table maps each int8 input to sigmoid of its real value, within half a step
    # (a whole step where sigmoid rounds to 1.0, which int8 cannot hold: 127 is 255/256)
    table, (s_in, zp_in) = sigmoid.inputs[1].data, quantize.scalars(sigmoid.inputs[0].quant)
    real_out = (table.astype(np.float64) + 128) / 256
    real_in = s_in * (np.arange(-128, 128) - zp_in)
    exact = 1 / (1 + np.exp(-real_in))
    tolerance = np.where(exact < 255.5 / 256, 0.5 / 256, 1 / 256) + 1e-12
    assert (np.abs(real_out - exact) <= tolerance).all()
    # the whole model stays close to float
    for x in samples[:5]:
        f = edgenet.reference.run(g, {"x": x})["out"]
        q = edgenet.reference.run(qg, {"x": x})["out"]
        np.testing.assert_allclose(q, f, atol=0.03)


def test_activation_quant_includes_zero_and_degenerate_range_gets_tiny_scale():
    q = quantize.activation_quant(2.0, 5.0)  # widened to [0, 5]
    assert int(q.zero_point[0]) == -128 and float(q.scale[0]) == pytest.approx(5 / 255)
    q = quantize.activation_quant(-3.0, -1.0)  # widened to [-3, 0]
    assert int(q.zero_point[0]) == 127 and float(q.scale[0]) == pytest.approx(3 / 255)
    q = quantize.activation_quant(0.0, 0.0)
    assert 0 < float(q.scale[0]) <= 1e-5 and np.isfinite(q.scale).all()


def test_dead_relu_layer_still_converts_and_runs(tmp_path):
    """A layer whose output is always 0 (degenerate calibrated range) must not break the model."""
    rng = np.random.default_rng(2)
    g = edgenet.Graph("dead")
    x = g.input("x", shape=(1, 8))
    y = g.fully_connected(x, rand(rng, 6, 8, scale=0.1), np.full(6, -100, np.float32), activation="relu")
    y = g.fully_connected(y, rand(rng, 3, 6), np.array([0.5, -1.0, 2.0], np.float32))
    g.output(y, "y")
    samples = [rand(rng, 1, 8) for _ in range(10)]
    model = edgenet.convert(g, quantize="int8", calibration=feeds_of(samples, "x"), verbose=False)
    dead = model.graph.nodes[1].outputs[0]
    assert dead.dtype == "int8" and float(dead.quant.scale[0]) <= 1e-5
    path = tmp_path / "dead.enet"
    model.save(path)
    got = edgenet.Interpreter(path).run({"x": samples[0]})["y"]
    np.testing.assert_allclose(got, [[0.5, -1.0, 2.0]], atol=2.0 / 255 + 1e-6)


# ---- float fallback -------------------------------------------------------------------------


def fallback_graph(rng):
    """conv -> log_softmax (no int8 kernel) -> conv."""
    g = edgenet.Graph("fallback")
    x = g.input("x", shape=(1, 5, 5, 2))
    y = g.conv2d(x, rand(rng, 4, 3, 3, 2, scale=0.5), rand(rng, 4, scale=0.1), padding="same")
    y = g.log_softmax(y)
    y = g.conv2d(y, rand(rng, 3, 1, 1, 4), rand(rng, 3, scale=0.1))
    g.output(y, "y")
    return g


def test_op_without_int8_kernel_runs_in_float_between_quantize_and_dequantize(caplog, tmp_path):
    rng = np.random.default_rng(3)
    g = fallback_graph(rng)
    samples = [rand(rng, 1, 5, 5, 2) for _ in range(30)]
    with caplog.at_level(logging.INFO, logger="edgenet.quantize"):
        model = edgenet.convert(g, quantize="int8", calibration=feeds_of(samples, "x"), verbose=False)
    qg = model.graph
    fallback = next(n for n in qg.nodes if n.op == "log_softmax")
    # the conversion log and the summary name the float op and why
    assert [(name, op) for name, op, _ in model.quantization.float_ops] == [(fallback.name, "log_softmax")]
    assert any(fallback.name in r.getMessage() and "float32" in r.getMessage() for r in caplog.records)
    assert fallback.name in str(model.quantization)
    assert model.metadata["edgenet.float_fallback_ops"] == fallback.name
    # log_softmax reads a dequantized tensor and its float output is quantized for the int8 conv after it
    assert fallback.inputs[0].dtype == "float32" and fallback.inputs[0].producer.op == "dequantize"
    assert fallback.outputs[0].dtype == "float32"
    next_conv = qg.nodes[qg.nodes.index(fallback) + 1]
    assert next_conv.op == "quantize" and next_conv.inputs[0] is fallback.outputs[0]
    assert [n.op for n in qg.nodes] == ["quantize", "conv2d", "dequantize", "log_softmax", "quantize", "conv2d",
                                        "dequantize"]
    # close to float; the C core equals the reference
    path = tmp_path / "fallback.enet"
    model.save(path)
    interpreter = edgenet.Interpreter(path)
    for x in samples[:5]:
        f = edgenet.reference.run(g, {"x": x})["y"]
        q = edgenet.reference.run(qg, {"x": x})["y"]
        assert cosine(f, q) >= 0.99
        np.testing.assert_array_equal(interpreter.run({"x": x})["y"], q.astype(np.float32))


# ---- io_dtype="int8" --------------------------------------------------------------------------


def test_io_dtype_int8_keeps_inputs_and_outputs_integer(tmp_path):
    rng = np.random.default_rng(4)
    g = small_graph(rng)
    samples = [rng.uniform(-1, 2, (1, 6, 6, 3)).astype(np.float32) for _ in range(20)]
    # int8 inside, float at the edges (the output tail computed in int8 like the int8-io model's)
    float_io = edgenet.convert(g, quantize="int8", calibration=feeds_of(samples, "x"), int8_outputs=True,
                               verbose=False)
    int8_io = edgenet.convert(g, quantize="int8", calibration=feeds_of(samples, "x"), io_dtype="int8",
                              verbose=False)
    path = tmp_path / "int8_io.enet"
    int8_io.save(path)
    # the file declares int8 inputs/outputs with the parameters apps need
    loaded = edgenet.load(path)
    (x_info,), (out_info,) = loaded.inputs, loaded.outputs
    assert (x_info.name, x_info.dtype, out_info.name, out_info.dtype) == ("x", "int8", "out", "int8")
    interpreter = edgenet.Interpreter(path)
    x_quant, out_quant = interpreter.inputs[0].quantization, interpreter.outputs[0].quantization
    assert x_quant is not None and out_quant is not None
    assert float(out_quant.scale[0]) == pytest.approx(1 / 256) and int(out_quant.zero_point[0]) == -128
    assert "quantize" not in [n.op for n in int8_io.graph.nodes]
    for x in samples[:5]:
        # An app quantizes its data with the file's parameters, runs, dequantizes the result:
        # that is exactly what the float-io model does inside.
        xq = quant_math.quantize_float(x, float(x_quant.scale[0]), int(x_quant.zero_point[0]))
        got = interpreter.run({"x": xq})["out"]
        assert got.dtype == np.int8
        np.testing.assert_array_equal(got, edgenet.reference.run(int8_io.graph, {"x": xq})["out"])
        real = quant_math.dequantize_int8(got, float(out_quant.scale[0]), int(out_quant.zero_point[0]))
        np.testing.assert_array_equal(real, edgenet.reference.run(float_io.graph, {"x": x})["out"].astype(np.float32))


# ---- calibration methods ------------------------------------------------------------------------


def identity_like_graph():
    """x -> reshape: in int8, quantize(x) -> reshape -> dequantize, so the model's first op
    quantizes x with the parameters calibration chose for it."""
    g = edgenet.Graph("outlier")
    x = g.input("x", shape=(1, 1000))
    g.output(g.reshape(x, (10, 100)), "y")
    return g


def outlier_samples():
    rng = np.random.default_rng(5)
    samples = [rand(rng, 1, 1000) for _ in range(20)]
    samples[7][0, 123] = 100.0  # one outlier among 20,000 values
    return samples


def test_calibration_methods_differ_as_expected_on_an_outlier():
    g, samples = identity_like_graph(), outlier_samples()
    feeds = feeds_of(samples, "x")
    everything = np.concatenate([s.ravel() for s in samples]).astype(np.float64)
    ranges = {m: calibration.collect_ranges(g, feeds, m, verbose=False)[0]["x"] for m in calibration.METHODS}
    # minmax: the outlier sets the top of the range
    assert ranges["minmax"] == (everything.min(), 100.0)
    # moving_average: the mean of each sample's own min / max
    assert ranges["moving_average"][0] == pytest.approx(np.mean([s.min() for s in samples]))
    assert ranges["moving_average"][1] == pytest.approx(np.mean([s.max() for s in samples]))
    assert ranges["moving_average"][1] < 10
    # percentile (99.99): clips the outlier; within the histogram's 1% of numpy's exact percentile
    lo, hi = ranges["percentile"]
    exact_lo, exact_hi = np.percentile(everything, [0.01, 99.99])
    assert hi == pytest.approx(exact_hi, rel=0.02) and lo == pytest.approx(exact_lo, rel=0.02)
    assert hi < 10
    # and the quantized input's scale follows: percentile gives a much finer step than minmax
    scales = {}
    for m in calibration.METHODS:
        # int8_outputs: the reshape feeding the output stays int8, so the model starts with quantize(x)
        model = edgenet.convert(g, quantize="int8", calibration=feeds, calibration_method=m, int8_outputs=True,
                                verbose=False)
        scales[m] = float(model.graph.nodes[0].outputs[0].quant.scale[0])
    assert scales["percentile"] < scales["minmax"] / 5
    assert scales["moving_average"] < scales["minmax"] / 5


def test_calibration_accepts_iterables_and_callables():
    g, samples = identity_like_graph(), outlier_samples()
    as_list = calibration.collect_ranges(g, feeds_of(samples, "x"), verbose=False)
    as_generator = calibration.collect_ranges(g, ({"x": s} for s in samples), verbose=False)
    as_callable = calibration.collect_ranges(g, lambda: iter(feeds_of(samples, "x")), verbose=False)
    assert as_list == as_generator == as_callable
    assert as_list[1] == 20


def test_progress_bar_draws_on_a_terminal_only():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal, pipe = Terminal(), io.StringIO()
    assert list(progress.track(range(3), "calibrating", 3, stream=terminal)) == [0, 1, 2]
    assert "calibrating" in terminal.getvalue() and "3/3" in terminal.getvalue()
    assert list(progress.track(range(3), "calibrating", 3, stream=pipe)) == [0, 1, 2]
    assert pipe.getvalue() == ""  # a pipe gets a plain line every few seconds only (tests/test_cli.py)
    quiet = Terminal()
    assert list(progress.track(range(3), "calibrating", 3, enabled=False, stream=quiet)) == [0, 1, 2]
    assert quiet.getvalue() == ""


# ---- bad calibration data and arguments -----------------------------------------------------------


def good_sample():
    return {"x": np.zeros((1, 6, 6, 3), np.float32)}


@pytest.mark.parametrize("bad, message", [
    (None, "needs calibration data"),
    ([], "calibration data is empty"),
    (iter([]), "calibration data is empty"),
    (good_sample(), "list/iterable of feed dicts"),
    (42, "list/iterable of feed dicts"),
    ([{"image": np.zeros((1, 6, 6, 3), np.float32)}], r"sample #0: .*unknown: \['image'\], missing: \['x'\]"),
    ([good_sample(), {"x": np.zeros((1, 6, 6), np.float32)}], r"sample #1: .*'x'.*expected shape \(1, 6, 6, 3\)"),
    ([{"x": np.zeros((1, 6, 6, 3), np.float64)}], r"sample #0: .*'x'.*expected dtype float32, got float64"),
    ([{"x": [[0.0]]}], r"sample #0: .*expected a numpy array"),
    ([good_sample(), {"x": np.full((1, 6, 6, 3), np.nan, np.float32)}], r"sample #1: input 'x' has 108 non-finite"),
    ([{"x": np.full((1, 6, 6, 3), np.inf, np.float32)}], r"non-finite"),
    (["not a dict"], r"sample #0: feeds must be a dict"),
])
def test_bad_calibration_data_gets_a_clear_error(bad, message):
    g = small_graph(np.random.default_rng(6))
    with pytest.raises(ValueError, match=message):
        edgenet.convert(g, quantize="int8", calibration=bad, verbose=False)


@pytest.mark.parametrize("kwargs, message", [
    ({"quantize": "int4"}, "quantize must be None, 'int8' or 'dynamic'"),
    ({"quantize": "int8", "calibration_method": "histogram"}, "calibration_method must be one of"),
    ({"quantize": "int8", "io_dtype": "uint8"}, "io_dtype must be one of"),
    ({"calibration": [good_sample()]}, "apply to quantize='int8' only"),
    ({"io_dtype": "int8"}, "apply to quantize='int8' only"),
])
def test_bad_quantization_arguments_get_a_clear_error(kwargs, message):
    g = small_graph(np.random.default_rng(7))
    kwargs.setdefault("calibration", [good_sample()] if kwargs.get("quantize") else None)
    with pytest.raises(ValueError, match=message):
        edgenet.convert(g, verbose=False, **kwargs)
