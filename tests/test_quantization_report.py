"""edgenet.quantization_report: per-layer SQNR / cosine of int8 vs float activations.

Oracle: the same quantities computed directly with numpy from the two graphs' tensors
(float graph and quantized graph on the reference executor), and a layer built to lose
accuracy (one weight per channel 1000x the rest), which the report must put first."""
import math

import numpy as np
import pytest

import edgenet
from edgenet import quant_math


def rand(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def two_layer_graph(rng, poison_second):
    g = edgenet.Graph("two_layers")
    x = g.input("x", shape=(1, 16))
    b1 = rand(rng, 16, scale=0.1)
    w2 = rand(rng, 8, 16, scale=0.05)
    if poison_second:
        # fc1's feature 0 is always 0 (relu of a large negative bias), and fc2 gives it a weight
        # 1000x the others: fc2's per-channel scale (max |w| / 127) rounds every weight that
        # matters to 0, so fc2's int8 output loses nearly everything.
        b1[0] = -100.0
        w2[:, 0] = 50.0
    y = g.fully_connected(x, rand(rng, 16, 16, scale=0.3), b1, activation="relu")
    g.output(g.fully_connected(y, w2, rand(rng, 8, scale=0.01)), "out")
    return g


def samples_for(rng, n):
    return [{"x": rand(rng, 1, 16)} for _ in range(n)]


def convert(g, samples):
    return edgenet.convert(g, quantize="int8", calibration=samples, verbose=False)


def direct_metrics(g, model, samples, name):
    """SQNR and cosine of one tensor, straight from numpy on both graphs' values."""
    fprobe, qprobe = g.copy(), model.graph.copy()
    fprobe.outputs = [t for t in fprobe.tensors if t.name == name]
    qprobe.outputs = [t for t in qprobe.tensors if t.name == name]
    qt = qprobe.outputs[0]
    f = np.concatenate([edgenet.reference.run(fprobe, s)[name].ravel() for s in samples])
    q = np.concatenate([edgenet.reference.run(qprobe, s)[name].ravel() for s in samples])
    if qt.dtype == "int8":
        q = quant_math.dequantize_int8(q, float(qt.quant.scale[0]), int(qt.quant.zero_point[0]))
    f, q = f.astype(np.float64), q.astype(np.float64)
    sqnr = 10 * math.log10(np.sum(f ** 2) / np.sum((f - q) ** 2))
    return sqnr, float(f @ q / np.linalg.norm(f) / np.linalg.norm(q))


def test_report_values_match_direct_computation():
    rng = np.random.default_rng(0)
    g = two_layer_graph(rng, poison_second=False)
    samples = samples_for(rng, 40)
    model = convert(g, samples)
    report = edgenet.quantization_report(g, model, samples[:20])
    assert report.samples == 20
    names = [r.tensor for r in report.rows]
    assert names == ["fully_connected", "out"]  # graph order; the int8 "out" twin is not a float tensor
    for name in names:
        sqnr, cos = direct_metrics(g, model, samples[:20], name)
        assert report[name].sqnr_db == pytest.approx(sqnr, rel=1e-9)
        assert report[name].cosine == pytest.approx(cos, rel=1e-12)
        assert report[name].sqnr_db > 25 and report[name].cosine > 0.99
    # "out" is the float model output: its dequantize is looked through to the int8 FC computing it
    assert (report["out"].op, report["out"].dtype) == ("fully_connected", "int8")
    assert (report["fully_connected"].op, report["fully_connected"].dtype) == ("fully_connected", "int8")


def test_report_puts_the_lossy_layer_first_and_marks_it():
    rng = np.random.default_rng(1)
    g = two_layer_graph(rng, poison_second=True)
    samples = samples_for(rng, 40)
    model = convert(g, samples)
    report = edgenet.quantization_report(g, model, samples)
    worst = report.worst()[0]
    assert worst.tensor in ("fully_connected_1", "out")  # fc2's int8 output or the model output
    assert report["fully_connected"].sqnr_db > 25  # the healthy first layer
    assert worst.sqnr_db < 20
    text = str(report)
    lines = text.splitlines()
    assert "worst layers first" in lines[0]
    assert lines[2].startswith(worst.tensor) and lines[2].endswith("<-- worst, low")
    assert lines[3].startswith("fully_connected ")  # the last row; the outputs' verdict and the legend follow
    assert lines[4].startswith("model outputs: SQNR") and "a task metric says" in lines[4]


def test_report_compares_float_fallback_layers_too():
    rng = np.random.default_rng(2)
    g = edgenet.Graph("with_fallback")
    x = g.input("x", shape=(1, 16))
    y = g.fully_connected(x, rand(rng, 16, 16, scale=0.3), None)
    y = g.log_softmax(y)  # no int8 kernel: stays float
    g.output(g.fully_connected(y, rand(rng, 4, 16), None), "out")
    samples = samples_for(rng, 20)
    model = convert(g, samples)
    report = edgenet.quantization_report(g, model, samples)
    fallback_row = report["log_softmax"]
    assert fallback_row.op == "log_softmax" and fallback_row.dtype == "float32"
    sqnr, cos = direct_metrics(g, model, samples, "log_softmax")
    assert fallback_row.sqnr_db == pytest.approx(sqnr, rel=1e-9) and fallback_row.cosine == pytest.approx(cos, rel=1e-12)


def test_report_errors():
    rng = np.random.default_rng(3)
    g = two_layer_graph(rng, poison_second=False)
    samples = samples_for(rng, 5)
    model = convert(g, samples)
    with pytest.raises(ValueError, match="model returned by edgenet.convert"):
        edgenet.quantization_report(g, edgenet.load(model.to_bytes()), samples)
    with pytest.raises(ValueError, match="model returned by edgenet.convert"):
        edgenet.quantization_report(g, edgenet.convert(g), samples)
    with pytest.raises(ValueError, match="at least one sample"):
        edgenet.quantization_report(g, model, [])
    with pytest.raises(ValueError, match=r"sample #0: .*missing: \['x'\]"):
        edgenet.quantization_report(g, model, [{"y": samples[0]["x"]}])


def test_tensors_read_by_saturating_ops_are_judged_where_the_readers_respond():
    """Logits of +-30 read only by a sigmoid: int8 keeps [-6.5, 6.5] (beyond, the sigmoid is flat), so
    raw float-vs-int8 SQNR of the logits is poor while nothing downstream changes. The report compares
    inside the sigmoid's responsive range and flags no layer; the oracle for "nothing changes" is the
    model output's error measured directly."""
    rng = np.random.default_rng(4)
    g = edgenet.Graph("saturating")
    x = g.input("x", shape=(1, 16))
    logits = g.fully_connected(x, rand(rng, 32, 16, scale=3.0), None)
    g.output(g.fully_connected(g.sigmoid(logits), rand(rng, 8, 32, scale=0.3), None), "out")
    samples = samples_for(rng, 30)
    model = convert(g, samples)
    report = edgenet.quantization_report(g, model, samples, verbose=False)
    name = report["fully_connected"].tensor
    raw_sqnr, _ = direct_metrics(g, model, samples, name)
    assert raw_sqnr < 20  # what a report comparing raw values would flag
    assert report[name].sqnr_db > 30 and report.low() == []
    out_sqnr, _ = direct_metrics(g, model, samples, "out")
    assert out_sqnr > 30 and report["out"].sqnr_db == pytest.approx(out_sqnr, rel=1e-9)
    assert "<-- low" not in str(report)


def test_low_flags_outliers_not_a_uniformly_moderate_model():
    """The issue's report: most layers near 4.6 dB (a model whose every layer sits there, the task
    unchanged) must not be flagged wholesale; a layer far below the others is."""
    from edgenet.converters.report import LayerError, QuantizationReport

    uniform = [LayerError(f"t{i}", "conv2d", "int8", 4.6 + 0.01 * i, 0.9) for i in range(60)]
    uniform += [LayerError(f"u{i}", "conv2d", "int8", 30.0, 0.999) for i in range(13)]
    assert QuantizationReport(uniform, 8).low() == []
    outlier = [LayerError(f"t{i}", "conv2d", "int8", 35.0, 0.9999) for i in range(20)]
    outlier.append(LayerError("bad", "conv2d", "int8", 12.0, 0.97))
    assert [r.tensor for r in QuantizationReport(outlier, 8).low()] == ["bad"]
