"""Hybrid fully connected: float input and output, constant int8 weights; each run quantizes the
input with its own range (onnxruntime's DynamicQuantizeLinear), sums in int32, rescales to float.

Oracles: an independent numpy implementation of the ONNX DynamicQuantizeLinear + MatMulInteger
arithmetic written here (uint8, not edgenet's shifted int8), and onnxruntime running models made by
onnxruntime.quantization.quantize_dynamic."""
import numpy as np
import pytest

import edgenet
from edgenet.graph import Tensor
from edgenet.integrity import append_checksum
from edgenet.quant_math import QuantParams
from test_simd_kernels import FAMILIES


def dynamic_quant_oracle(x, w, w_scale, w_zp, bias):
    """ONNX DynamicQuantizeLinear(x) (uint8 over [min(x, 0), max(x, 0)], ties to even) then the
    exact integer product with (w - w_zp), scaled by s_x * w_scale in float32, plus bias."""
    x = np.asarray(x, np.float32)
    lo = np.float32(min(float(x.min()), 0.0)) if x.size else np.float32(0)
    hi = np.float32(max(float(x.max()), 0.0)) if x.size else np.float32(0)
    s_x = np.float32(1) if hi == lo else np.float32(hi - lo) / np.float32(255)
    zp = int(np.clip(np.round(np.float32(0) - lo / s_x), 0, 255))  # np.round: half to even
    q = np.clip(np.round(x / s_x) + zp, 0, 255).astype(np.int64)
    acc = (q - zp) @ (w.astype(np.int64) - np.asarray(w_zp, np.int64).reshape(-1, 1)).T
    assert np.abs(acc).max(initial=0) < 2**31
    y = acc.astype(np.float32) * (s_x * np.asarray(w_scale, np.float32))
    return y if bias is None else y + bias


def hybrid_graph(w, scale, zero_point, bias, in_shape, activation=None):
    g = edgenet.Graph("hybrid")
    x = g.input("x", in_shape)
    quant = QuantParams(np.asarray(scale, np.float32), np.asarray(zero_point, np.int64), 0)
    weights = Tensor(g, "w", w.shape, "int8", data=w, quant=quant)
    g.output(g.fully_connected(x, weights, bias, activation=activation), "y")
    return g


# (leading dims of x, K, N): K tails and M / N remainders of any tiling, one row, one column.
SHAPES = [((1,), 1, 1), ((3,), 17, 5), ((7,), 33, 19), ((2, 3), 64, 31), ((5,), 127, 9), ((13,), 8, 1),
          ((1,), 300, 40)]
INPUTS = {
    "normal": lambda rng, shape: rng.standard_normal(shape).astype(np.float32),
    "zeros": lambda rng, shape: np.zeros(shape, np.float32),
    "constant": lambda rng, shape: np.full(shape, 0.75, np.float32),
    "negative": lambda rng, shape: -np.abs(rng.standard_normal(shape)).astype(np.float32) - 0.1,
    "outlier": lambda rng, shape: np.where(rng.random(shape) < 0.02, 40.0, rng.standard_normal(shape) * 0.1
                                           ).astype(np.float32),
}


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("threads", [1, 2])
def test_kernel_matches_the_dynamic_quantization_oracle(family, threads, monkeypatch):
    monkeypatch.setenv("EDGENET_ISA", family)
    rng = np.random.default_rng(16)
    for i, (lead, k, n) in enumerate(SHAPES):
        w = rng.integers(-128, 128, (n, k)).astype(np.int8)
        per_channel = i % 2 == 0
        scale = rng.uniform(0.001, 0.05, n if per_channel else 1).astype(np.float32)
        zero_point = rng.integers(-20, 21, n if per_channel else 1) if i % 3 else np.zeros(scale.size, np.int64)
        bias = rng.standard_normal(n).astype(np.float32) if i % 4 != 3 else None
        g = hybrid_graph(w, scale, zero_point, bias, (None,) + lead[1:] + (k,))
        interpreter = edgenet.Interpreter(edgenet.convert(g).to_bytes(), num_threads=threads)
        assert interpreter.profile({"x": np.zeros(lead + (k,), np.float32)}, runs=1).ops[0].kernel.endswith("hybrid-s8")
        for name, make in INPUTS.items():
            x = make(rng, lead + (k,))
            want = dynamic_quant_oracle(x, w, np.broadcast_to(scale, (n,)), np.broadcast_to(zero_point, (n,)), bias)
            got = interpreter.run({"x": x})["y"]
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 * max(np.abs(want).max(), 1e-30),
                                       err_msg=f"{lead} K={k} N={n} {name}")


def test_fused_relu_and_the_numpy_reference():
    rng = np.random.default_rng(3)
    w = rng.integers(-127, 128, (6, 10)).astype(np.int8)
    scale, bias = rng.uniform(0.01, 0.02, 6).astype(np.float32), rng.standard_normal(6).astype(np.float32)
    g = hybrid_graph(w, scale, np.zeros(6, np.int64), bias, (None, 10), activation="relu")
    x = rng.standard_normal((4, 10)).astype(np.float32)
    want = np.maximum(dynamic_quant_oracle(x, w, scale, np.zeros(6), bias), 0)
    got = edgenet.Interpreter(edgenet.convert(g).to_bytes()).run({"x": x})["y"]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert (want == 0).any() and (want > 0).any()
    np.testing.assert_allclose(edgenet.reference.run(g, {"x": x})["y"], want, rtol=1e-6, atol=1e-6)


# ---- hostile structure -----------------------------------------------------------------------


def test_computed_int8_weights_are_refused():
    g = edgenet.Graph("computed")
    x = g.input("x", (2, 4))
    w = g.quantize(g.input("w", (3, 4)), 0.1)  # int8 weights computed at run time
    g.output(g.fully_connected(x, w), "y")
    with pytest.raises((ValueError, RuntimeError), match="must be a constant"):
        edgenet.Interpreter(edgenet.convert(g, optimize=False).to_bytes()).run(
            {"x": np.ones((2, 4), np.float32), "w": np.ones((3, 4), np.float32)})


def test_scale_count_mismatch_is_refused():
    w = np.ones((5, 4), np.int8)
    g = hybrid_graph(w, np.full(3, 0.1, np.float32), np.zeros(3, np.int64), None, (2, 4))
    with pytest.raises((ValueError, RuntimeError), match="scale"):
        edgenet.Interpreter(edgenet.convert(g, optimize=False).to_bytes()).run({"x": np.ones((2, 4), np.float32)})


@pytest.mark.parametrize("bad", [0.0, -0.5, np.nan, np.inf])
def test_bad_weight_scales_in_the_file_are_refused(bad):
    """A file whose weight scale is not positive and finite (edited bytes, valid checksum)."""
    marker = np.float32(0.0123456789)
    g = hybrid_graph(np.ones((3, 4), np.int8), np.array([0.02, marker, 0.03], np.float32), np.zeros(3, np.int64),
                     None, (2, 4))
    body = edgenet.convert(g).to_bytes()[:-8]  # without the checksum trailer
    at = body.find(marker.tobytes())
    assert at > 0 and body.count(marker.tobytes()) == 1
    hostile = append_checksum(body[:at] + np.float32(bad).tobytes() + body[at + 4:])
    with pytest.raises((ValueError, RuntimeError), match="scale"):
        edgenet.Interpreter(hostile).run({"x": np.ones((2, 4), np.float32)})
    good = edgenet.Interpreter(edgenet.convert(g).to_bytes())  # the process is still healthy
    assert good.run({"x": np.ones((2, 4), np.float32)})["y"].shape == (2, 3)


# ---- quantize="dynamic" (dynamic range quantization of a float model) -----------------------


def float_mlp(rng):
    g = edgenet.Graph("mlp")
    x = g.input("x", (None, 20))
    w1, b1 = rng.standard_normal((32, 20)).astype(np.float32) * 0.3, rng.standard_normal(32).astype(np.float32)
    w2, b2 = rng.standard_normal((5, 32)).astype(np.float32) * 0.3, rng.standard_normal(5).astype(np.float32)
    g.output(g.fully_connected(g.fully_connected(x, w1, b1, activation="relu"), w2, b2), "y")
    return g, (w1, b1, w2, b2)


def test_dynamic_quantization_of_a_float_model():
    """Int8 weights (symmetric, per output row, max |w| / 127) without calibration; each layer computes
    the oracle's arithmetic on the weights the file holds, and the model stays close to float."""
    rng = np.random.default_rng(11)
    g, (w1, b1, w2, b2) = float_mlp(rng)
    model = edgenet.convert(g, quantize="dynamic")
    layers = [n for n in model.graph.nodes if n.op == "fully_connected"]
    assert len(model.quantization.int8_ops) == 2 and [n.inputs[1].dtype for n in layers] == ["int8", "int8"]
    for node, w in zip(layers, (w1, w2)):
        q, quant = node.inputs[1].data, node.inputs[1].quant
        np.testing.assert_allclose(quant.scale, np.abs(w).max(axis=1) / 127, rtol=1e-6)
        np.testing.assert_array_equal(q, np.round(w / quant.scale[:, None]))
    interpreter = edgenet.Interpreter(model.to_bytes())
    for _ in range(3):
        x = rng.standard_normal((6, 20)).astype(np.float32)
        s1, s2 = (n.inputs[1].quant.scale for n in layers)
        h = np.maximum(dynamic_quant_oracle(x, layers[0].inputs[1].data, s1, np.zeros(32), b1), 0)
        want = dynamic_quant_oracle(h, layers[1].inputs[1].data, s2, np.zeros(5), b2)
        got = interpreter.run({"x": x})["y"]
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
        exact = np.maximum(x @ w1.T + b1, 0) @ w2.T + b2
        assert np.abs(got - exact).max() <= 0.03 * np.abs(exact).max()


def test_static_int8_keeps_hybrid_layers():
    """quantize="int8" on a graph whose layer already has int8 weights (an imported dynamic-quantized
    model) keeps that layer hybrid, with the model's own integers, and quantizes the rest."""
    rng = np.random.default_rng(12)
    w = rng.integers(-127, 128, (8, 6)).astype(np.int8)
    scale = rng.uniform(0.01, 0.02, 8).astype(np.float32)
    g = edgenet.Graph("mixed")
    x = g.input("x", (4, 6))
    quant = QuantParams(scale, np.zeros(8, np.int64), 0)
    h = g.fully_connected(x, Tensor(g, "w", w.shape, "int8", data=w, quant=quant))
    g.output(g.fully_connected(h, rng.standard_normal((3, 8)).astype(np.float32)), "y")
    samples = [{"x": rng.standard_normal((4, 6)).astype(np.float32)} for _ in range(8)]
    model = edgenet.convert(g, quantize="int8", calibration=samples)
    first = next(n for n in model.graph.nodes if n.op == "fully_connected")
    assert first.inputs[0].dtype == "float32" and first.outputs[0].dtype == "float32"
    np.testing.assert_array_equal(first.inputs[1].data, w)
    assert len(model.quantization.int8_ops) == 2
    x = samples[0]["x"]
    want = dynamic_quant_oracle(x, w, scale, np.zeros(8), None)
    out = edgenet.Interpreter(model.to_bytes()).run({"x": x})["y"]
    float_second = want @ g.nodes[1].inputs[1].data.T
    assert np.abs(out - float_second).max() <= 0.05 * np.abs(float_second).max()
