"""Silero VAD (issue 16): the silero-vad 6.2.3 wheel's ONNX models against onnxruntime, streaming: each
chunk of audio (with the model's context samples in front, as silero_vad.OnnxWrapper feeds it) runs with
the `state` the previous chunk returned. Also the general features the models needed: integer
comparisons (the `sr` input is int64) and reflect padding over an open dim; constant_inputs (an input
frozen at conversion) has its own tests in test_onnx_import_constant_inputs.py."""
import importlib.util
import os

import numpy as np
import pytest

import edgenet
from edgenet.converters.onnx_import import ONNXImportError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper  # noqa: E402

SILERO_SPEC = importlib.util.find_spec("silero_vad")
SILERO_DATA = os.path.join(SILERO_SPEC.submodule_search_locations[0], "data") if SILERO_SPEC else None
needs_silero = pytest.mark.skipif(
    SILERO_DATA is None or not os.path.exists(os.path.join(SILERO_DATA, "silero_vad.onnx")),
    reason="silero-vad 6.2.3 not installed (CI installs it: pip install --no-deps silero-vad==6.2.3)")

# (chunk samples, context samples) per sample rate, as silero_vad.utils_vad.OnnxWrapper uses them.
CHUNKS = {16000: (512, 64), 8000: (256, 32)}


def speech_like(rate, seconds, seed=0):
    """Voiced bursts (a harmonic series on a wobbling pitch, syllable-rate envelope) between pauses, plus
    noise: enough structure that the VAD's probability moves over the stream."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    pitch = 140 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * 2.5 * t), 0, None) * (np.sin(2 * np.pi * 0.4 * t) > -0.3)
    return (0.3 * voiced * envelope + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def stream(run, rate, chunks=50, feeds_sr=True):
    """Per-chunk (probability, state) of `run(feeds)` over a speech-like signal, the state carried."""
    size, context_size = CHUNKS[rate]
    audio = speech_like(rate, chunks * size / rate + 0.1)
    state, context, results = np.zeros((2, 1, 128), np.float32), np.zeros((1, context_size), np.float32), []
    for k in range(chunks):
        x = np.concatenate([context, audio[None, k * size:(k + 1) * size]], axis=1)
        context = x[:, -context_size:]
        feeds = {"input": x, "state": state, **({"sr": np.array(rate, np.int64)} if feeds_sr else {})}
        probability, state = run(feeds)
        results.append((np.asarray(probability), np.asarray(state)))
    return results


def compare_streams(path, model, rates, feeds_sr=True):
    """The worst difference per rate of `model` against onnxruntime running `path`, over a stream each.
    The converted model gets the feeds it has inputs for (an input frozen with constant_inputs is not one)."""
    session = ort.InferenceSession(path)
    interpreter = edgenet.Interpreter(model.to_bytes())
    inputs = {t.name for t in model.graph.inputs}
    worst = {}
    for rate in rates:
        expected = stream(lambda f: session.run(None, f), rate, feeds_sr=feeds_sr)
        got = stream(lambda f: tuple(interpreter.run({k: v for k, v in f.items() if k in inputs}).values()), rate,
                     feeds_sr=feeds_sr)
        probabilities = np.array([p.item() for p, _ in expected])
        assert probabilities.max() - probabilities.min() > 0.05, "the signal should move the VAD's output"
        worst[rate] = max(max(np.abs(p - q).max(), np.abs(s - t).max()) for (p, s), (q, t) in zip(got, expected))
        assert worst[rate] <= 1e-4, (rate, worst[rate])
    return worst


@needs_silero
def test_op18_one_file_both_rates_with_sr_at_run_time():
    """silero_vad_op18_ifless.onnx: If(sr == 16000) picks the 16 kHz or the 8 kHz network. One .enet with
    the length open and `sr` a run-time int64 input runs both (512- and 256-sample chunks)."""
    path = os.path.join(SILERO_DATA, "silero_vad_op18_ifless.onnx")
    model = edgenet.convert(path, input_shapes={"input": (1, None), "state": (2, 1, 128)}, verbose=False)
    assert [t.name for t in model.graph.inputs] == ["input", "sr", "state"]
    assert any(n.op == "cond" for n in model.graph.nodes)
    compare_streams(path, model, (16000, 8000))


@needs_silero
def test_half_16k_matches_onnxruntime():
    """silero_vad_half.onnx (16 kHz only, no sr input): the length pinned at 576, since its TorchScript
    squeezes test sizes against 1 (see the main model's test below)."""
    path = os.path.join(SILERO_DATA, "silero_vad_half.onnx")
    model = edgenet.convert(path, input_shapes={"input": (1, 576), "state": (2, 1, 128)}, verbose=False)
    session = ort.InferenceSession(path)
    interpreter = edgenet.Interpreter(model.to_bytes())
    expected = stream(lambda f: session.run(None, f), 16000, feeds_sr=False)
    got = stream(lambda f: tuple(interpreter.run(f).values()), 16000, feeds_sr=False)
    for (p, s), (q, t) in zip(got, expected):
        assert abs(p.item() - q.item()) <= 1e-4 and np.abs(s - t).max() <= 1e-4


@needs_silero
def test_openvino_16k_stream_matches_onnxruntime():
    """silero_vad_openvino_16k.onnx: static (1, 576) input, no sr; 50 chunks with the state carried."""
    path = os.path.join(SILERO_DATA, "silero_vad_openvino_16k.onnx")
    compare_streams(path, edgenet.convert(path, verbose=False), (16000,), feeds_sr=False)


@needs_silero
def test_16k_sequence_one_file_several_lengths():
    """silero_vad_16k_sequence.onnx: (frames, 576) windows through one LSTM over the open frame count; a
    1-D convolution over the open dim (the batch of frames) and explicit h / c state inputs."""
    path = os.path.join(SILERO_DATA, "silero_vad_16k_sequence.onnx")
    session = ort.InferenceSession(path)
    interpreter = edgenet.Interpreter(edgenet.convert(path, verbose=False).to_bytes())
    audio = speech_like(16000, 2.0)
    h = c = np.zeros((1, 1, 128), np.float32)
    for frames in (7, 1, 20):  # consecutive pieces, the LSTM state carried
        windows = np.stack([audio[k * 512:k * 512 + 576] for k in range(frames)])
        audio = audio[frames * 512:]
        expected = session.run(None, {"input": windows, "h": h, "c": c})
        got = list(interpreter.run({"input": windows, "h": h, "c": c}).values())
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)
        h, c = expected[1], expected[2]


@needs_silero
@pytest.mark.parametrize("rate", [16000, 8000])
def test_main_model_with_sr_frozen_matches_onnxruntime(rate):
    """silero_vad.onnx (TorchScript export): If(sr == 16000) picks the 16 kHz or the 8 kHz network, and its
    squeezes are Ifs on `size == 1` whose branches give different ranks. With `sr` frozen (constant_inputs)
    and the length pinned (576 or 288 samples with context), every condition is a constant: each If keeps
    one branch, inline. onnxruntime runs the original model with `sr` fed."""
    path = os.path.join(SILERO_DATA, "silero_vad.onnx")
    size, context_size = CHUNKS[rate]
    model = edgenet.convert(path, input_shapes={"input": (1, size + context_size), "state": (2, 1, 128)},
                            constant_inputs={"sr": rate}, verbose=False)
    assert [t.name for t in model.graph.inputs] == ["input", "state"]
    assert not any(n.op == "cond" for n in model.graph.nodes)
    compare_streams(path, model, (rate,))


@needs_silero
def test_main_model_refusal_suggests_freezing_sr():
    """With the length open and `sr` a run-time input, the squeezes' Ifs cannot be resolved: the error
    asks for both the pinned length and the frozen sample rate (the If on `sr` decides which branch)."""
    path = os.path.join(SILERO_DATA, "silero_vad.onnx")
    with pytest.raises(ONNXImportError, match="open \\(run-time\\) dims.*pin the open dims") as refused:
        edgenet.convert(path, input_shapes={"input": (1, None), "state": (2, 1, 128)}, verbose=False)
    assert "input_shapes={'input': (1, D1)}" in str(refused.value)
    assert "constant_inputs={'sr': ...}" in str(refused.value)
    assert refused.value.hint("cli").endswith("freeze it with --constant-input sr=VALUE (what depends on it is "
                                              "then computed at conversion)")


@needs_silero
def test_op15_with_sr_frozen_matches_onnxruntime():
    """silero_vad_16k_op15.onnx keeps `sr` as an input by adding cast(sr * k) to the state: run-time int64
    arithmetic, which edgenet does not compute; frozen at 16000 it folds into a constant."""
    path = os.path.join(SILERO_DATA, "silero_vad_16k_op15.onnx")
    model = edgenet.convert(path, input_shapes={"input": (1, 576), "state": (2, 1, 128)},
                            constant_inputs={"sr": 16000}, verbose=False)
    assert [t.name for t in model.graph.inputs] == ["input", "state"]
    compare_streams(path, model, (16000,))


# ---- the general features -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [TensorProto.INT64, TensorProto.INT32])
@pytest.mark.parametrize("op", ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"])
def test_integer_comparisons_match_onnxruntime(op, dtype):
    np_dtype = np.int64 if dtype == TensorProto.INT64 else np.int32
    const = helper.make_tensor("k", dtype, [3], [5, -2, 2**20])
    graph = helper.make_graph(
        [helper.make_node(op, ["a", "b"], ["ab"]), helper.make_node(op, ["a", "k"], ["ak"])], "cmp",
        [helper.make_tensor_value_info("a", dtype, [2, 3]), helper.make_tensor_value_info("b", dtype, [1, 3])],
        [helper.make_tensor_value_info("ab", TensorProto.BOOL, [2, 3]),
         helper.make_tensor_value_info("ak", TensorProto.BOOL, [2, 3])], [const])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    feeds = {"a": np.array([[5, -2, 2**20], [4, -1, 2**20 + 1]], np_dtype), "b": np.array([[5, 0, 2**20]], np_dtype)}
    expected = ort.InferenceSession(model.SerializeToString()).run(None, feeds)
    got = edgenet.Interpreter(edgenet.convert(model, verbose=False).to_bytes()).run(feeds)
    np.testing.assert_array_equal(got["ab"], expected[0])
    np.testing.assert_array_equal(got["ak"], expected[1])


def test_reflect_pad_over_an_open_dim_is_checked_at_run_time():
    graph = helper.make_graph(
        [helper.make_node("Pad", ["x", "pads"], ["y"], mode="reflect")], "pad",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "T"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, None])],
        [helper.make_tensor("pads", TensorProto.INT64, [4], [0, 3, 0, 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    interpreter = edgenet.Interpreter(edgenet.convert(model, verbose=False).to_bytes())
    session = ort.InferenceSession(model.SerializeToString())
    for length in (4, 9):
        x = np.random.default_rng(length).standard_normal((1, length)).astype(np.float32)
        np.testing.assert_array_equal(interpreter.run({"x": x})["y"], session.run(None, {"x": x})[0])
    with pytest.raises(Exception, match="reflect padding \\(3, 2\\) of dim 1 does not fit its size 3"):
        interpreter.run({"x": np.zeros((1, 3), np.float32)})
    interpreter.run({"x": np.zeros((1, 5), np.float32)})  # the process and the interpreter stay usable
