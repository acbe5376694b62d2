"""The recurrent family (lstm, gru; edgenet/ops/recurrent.py, native/src/ops/recurrent.c):

- the C core (reference and SIMD kernels) vs the numpy reference on random shapes, every direction,
  layout and GRU variant, initial states absent or given;
- one .enet file with a dynamic sequence length vs torch.nn.LSTM / GRU at several lengths (float
  within 1e-4; int8 weights cosine >= 0.99), and vs numpy's int8 reference;
- a sequence fed in chunks, the final states fed back as initial states, equals it fed whole;
- refusals: sequence_lens, other activations, computed weights.
ONNX LSTM / GRU import vs onnxruntime: tests/test_onnx_recurrent.py.
"""
import numpy as np
import pytest

import edgenet
from op_harness import rand

# Float32 sums of up to a few hundred products per gate, then a recurrence over up to 30 steps.
RECURRENT = dict(rtol=1e-4, atol=2e-5)
KERNELS = ["reference", "auto"]  # EDGENET_KERNELS: the C oracle and the SIMD path of this CPU


def onnx_weights(rng, kind, directions, inputs, hidden, with_bias=True):
    gates = 4 if kind == "lstm" else 3
    w = rand(rng, directions, gates * hidden, inputs, scale=0.4)
    r = rand(rng, directions, gates * hidden, hidden, scale=0.4)
    b = rand(rng, directions, 2 * gates * hidden, scale=0.3) if with_bias else None
    return w, r, b


def build(kind, w, r, b, batch, inputs, direction="forward", layout=0, with_states=False, lbr=False, steps=None):
    """A graph with x of a dynamic sequence length (layout 0: the leading dim) and, with_states,
    the initial states as inputs."""
    g = edgenet.Graph(kind)
    x = g.input("x", (steps, batch, inputs) if layout == 0 else (batch, steps, inputs))
    d, hidden = r.shape[0], r.shape[2]
    state_shape = (d, batch, hidden) if layout == 0 else (batch, d, hidden)
    states = [g.input(n, state_shape) for n in (("h0", "c0") if kind == "lstm" else ("h0",))] if with_states else []
    if kind == "lstm":
        outs = g.lstm(x, w, r, b, *states, direction=direction, layout=layout)
    else:
        outs = g.gru(x, w, r, b, *states, direction=direction, layout=layout, linear_before_reset=lbr)
    for name, t in zip(("y", "y_h", "y_c"), outs):
        g.output(t, name)
    return g


def state_feeds(rng, kind, d, batch, hidden, layout):
    shape = (d, batch, hidden) if layout == 0 else (batch, d, hidden)
    return {n: rand(rng, *shape, scale=0.5) for n in (("h0", "c0") if kind == "lstm" else ("h0",))}


def assert_outputs_close(got, expected, tolerance=RECURRENT):
    assert set(got) == set(expected)
    for name in expected:
        assert got[name].shape == expected[name].shape, name
        np.testing.assert_allclose(got[name].astype(np.float64), np.asarray(expected[name], np.float64),
                                   err_msg=f"output {name!r}", **tolerance)


def cosine(a, b):
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize("kernels", KERNELS)
@pytest.mark.parametrize("seed", range(12))
def test_c_matches_reference(seed, kernels, monkeypatch):
    monkeypatch.setenv("EDGENET_KERNELS", kernels)
    rng = np.random.default_rng(7000 + seed)
    kind = ("lstm", "gru")[seed % 2]
    direction = ("forward", "reverse", "bidirectional")[(seed // 2) % 3]
    layout, with_states, lbr = seed % 3 == 0, seed % 4 < 2, seed % 5 < 2
    batch, inputs, hidden = int(rng.integers(1, 4)), int(rng.integers(1, 20)), int(rng.integers(1, 40))
    d = 2 if direction == "bidirectional" else 1
    w, r, b = onnx_weights(rng, kind, d, inputs, hidden, with_bias=seed % 6 != 5)
    if layout:  # layout 1: the sequence is dim 1, fixed (only a leading dim can be dynamic in the builder)
        steps = int(rng.integers(1, 12))
        g = build(kind, w, r, b, batch, inputs, direction, 1, with_states, lbr, steps=steps)
        lengths = [steps]
    else:
        g = build(kind, w, r, b, batch, inputs, direction, 0, with_states, lbr)
        lengths = [1, int(rng.integers(2, 30))]
    interpreter = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    for steps in lengths:  # one file, several sequence lengths
        x_shape = (batch, steps, inputs) if layout else (steps, batch, inputs)
        feeds = {"x": rand(rng, *x_shape)}
        if with_states:
            feeds.update(state_feeds(rng, kind, d, batch, hidden, layout))
        assert_outputs_close(interpreter.run(feeds), edgenet.reference.run(g, feeds))


# ---- torch ------------------------------------------------------------------------------------


def torch_to_onnx_layout(module, kind):
    """(w, r, b) in ONNX layout from a torch nn.LSTM / nn.GRU (one layer): torch stacks the gates
    i, f, g, o (LSTM) and r, z, n (GRU); ONNX i, o, f, c and z, r, h."""
    hidden = module.hidden_size
    order = [0, 3, 1, 2] if kind == "lstm" else [1, 0, 2]

    def reorder(m):
        blocks = np.split(m.detach().numpy(), 4 if kind == "lstm" else 3, axis=0)
        return np.concatenate([blocks[k] for k in order], axis=0)

    suffixes = [""] + (["_reverse"] if module.bidirectional else [])
    w = np.stack([reorder(getattr(module, f"weight_ih_l0{s}")) for s in suffixes])
    r = np.stack([reorder(getattr(module, f"weight_hh_l0{s}")) for s in suffixes])
    b = np.stack([np.concatenate([reorder(getattr(module, f"bias_ih_l0{s}")), reorder(getattr(module, f"bias_hh_l0{s}"))])
                  for s in suffixes])
    assert r.shape[2] == hidden
    return w.astype(np.float32), r.astype(np.float32), b.astype(np.float32)


def torch_run(module, kind, x, h0=None, c0=None):
    """torch's (y, y_h[, y_c]) in ONNX shapes (layout 0): y (T, D, B, H)."""
    import torch

    with torch.no_grad():
        state = None if h0 is None else ((torch.from_numpy(h0), torch.from_numpy(c0)) if kind == "lstm"
                                         else torch.from_numpy(h0))
        y, final = module(torch.from_numpy(x), state)
    steps, batch = x.shape[:2]
    d = 2 if module.bidirectional else 1
    out = {"y": y.numpy().reshape(steps, batch, d, -1).transpose(0, 2, 1, 3)}
    if kind == "lstm":
        out["y_h"], out["y_c"] = final[0].numpy(), final[1].numpy()
    else:
        out["y_h"] = final.numpy()
    return out


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_matches_torch_at_several_lengths_from_one_file(kind, bidirectional):
    torch = pytest.importorskip("torch", reason="torch (the [test] extra) is the independent oracle here")
    torch.manual_seed(3)
    inputs, hidden, batch = 12, 24, 2
    module = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(inputs, hidden, bidirectional=bidirectional)
    w, r, b = torch_to_onnx_layout(module, kind)
    direction = "bidirectional" if bidirectional else "forward"
    g = build(kind, w, r, b, batch, inputs, direction, 0, with_states=True, lbr=True)  # torch's GRU: lbr 1
    interpreter = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    rng = np.random.default_rng(1)
    for steps in (1, 5, 40, 200):
        x = rand(rng, steps, batch, inputs)
        states = state_feeds(rng, kind, 2 if bidirectional else 1, batch, hidden, 0)
        expected = torch_run(module, kind, x, states["h0"], states.get("c0"))
        got = interpreter.run({"x": x, **states})
        for name in expected:
            np.testing.assert_allclose(got[name], expected[name], rtol=0, atol=1e-4, err_msg=f"{name} at T={steps}")


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_int8_weights_close_to_torch_and_equal_to_int8_reference(kind):
    torch = pytest.importorskip("torch", reason="torch (the [test] extra) is the independent oracle here")
    torch.manual_seed(5)
    inputs, hidden, batch = 16, 32, 3
    module = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(inputs, hidden, bidirectional=True)
    w, r, b = torch_to_onnx_layout(module, kind)
    g = build(kind, w, r, b, batch, inputs, "bidirectional", 0, with_states=False, lbr=True)
    rng = np.random.default_rng(2)
    calibration = [{"x": rand(rng, 20, batch, inputs)} for _ in range(4)]
    model = edgenet.convert(g, quantize="int8", calibration=calibration)
    node = next(n for n in model.graph.nodes if n.op == kind)
    assert [t.dtype for t in node.inputs[1:3]] == ["int8", "int8"] and node.inputs[0].dtype == "float32"
    interpreter = edgenet.Interpreter(model.to_bytes())
    for steps in (1, 8, 50, 300):  # long sequences: the float cell state does not drift
        x = rand(rng, steps, batch, inputs)
        expected = torch_run(module, kind, x)
        got = interpreter.run({"x": x})
        for name in expected:
            assert cosine(got[name], expected[name]) >= 0.99, (name, steps, cosine(got[name], expected[name]))
        # The C kernel computes numpy's dynamic-quantization semantics (reference_int8).
        assert_outputs_close(got, edgenet.reference.run(model.graph, {"x": x}), dict(rtol=1e-3, atol=1e-4))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_chunks_with_carried_state_equal_the_whole_sequence(kind):
    rng = np.random.default_rng(11)
    batch, inputs, hidden = 2, 6, 10
    w, r, b = onnx_weights(rng, kind, 1, inputs, hidden)
    g = build(kind, w, r, b, batch, inputs, "forward", 0, with_states=True, lbr=kind == "gru")
    interpreter = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    x = rand(rng, 37, batch, inputs)
    states = {k: np.zeros_like(v) for k, v in state_feeds(rng, kind, 1, batch, hidden, 0).items()}
    whole = interpreter.run({"x": x, **states})
    ys = []
    for chunk in np.split(x, [5, 6, 20]):  # uneven chunks, one of length 1
        out = interpreter.run({"x": chunk, **states})
        ys.append(out["y"])
        states = {"h0": out["y_h"], **({"c0": out["y_c"]} if kind == "lstm" else {})}
    np.testing.assert_allclose(np.concatenate(ys), whole["y"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(states["h0"], whole["y_h"], rtol=0, atol=1e-6)


def build_streaming(kind, w, r, b, batch, inputs):
    """x of an open sequence length; the hidden (and cell) state are state variables (g.state) assigned
    from the op's final states, so each run continues where the previous one stopped."""
    g = edgenet.Graph(f"{kind}_stream")
    x = g.input("x", (None, batch, inputs))
    zeros = np.zeros((r.shape[0], batch, r.shape[2]), np.float32)
    states = [g.state(n, zeros) for n in (("h", "c") if kind == "lstm" else ("h",))]
    if kind == "lstm":
        outs = g.lstm(x, w, r, b, *states)
    else:
        outs = g.gru(x, w, r, b, *states, linear_before_reset=True)  # torch's GRU
    for state, final in zip(states, outs[1:]):
        g.assign(state, final)
    g.output(outs[0], "y")
    return g


CHUNKS = (1, 7, 3, 16, 1, 12)  # uneven lengths, resized through the feeds; 40 steps in all


@pytest.mark.parametrize("quantize", [None, "int8"])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_streaming_state_in_chunks_equals_torch_over_the_whole_sequence(kind, quantize):
    """One .enet whose recurrent state lives in the interpreter: feeding a sequence chunk by chunk gives
    torch's output over the whole sequence, and reset_state() starts a new stream."""
    torch = pytest.importorskip("torch", reason="torch (the [test] extra) is the independent oracle here")
    torch.manual_seed(7)
    inputs, hidden, batch = 8, 16, 2
    module = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(inputs, hidden)
    w, r, b = torch_to_onnx_layout(module, kind)
    g = build_streaming(kind, w, r, b, batch, inputs)
    rng = np.random.default_rng(4)
    x = rand(rng, sum(CHUNKS), batch, inputs)
    if quantize:  # calibration runs the samples in order as one stream carrying the state
        model = edgenet.convert(g, quantize="int8", calibration=[{"x": c} for c in np.split(x, np.cumsum(CHUNKS)[:-1])])
    else:
        model = edgenet.convert(g)
    interpreter = edgenet.Interpreter(model.to_bytes())
    expected = torch_run(module, kind, x)["y"]
    for _ in range(2):  # the second stream after reset_state() starts over
        got = np.concatenate([interpreter.run({"x": chunk})["y"] for chunk in np.split(x, np.cumsum(CHUNKS)[:-1])])
        assert got.shape == expected.shape
        if quantize:
            assert cosine(got, expected) >= 0.99, cosine(got, expected)
        else:
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)
        interpreter.reset_state()
    # Without a reset the state carries on: the same input again is a different sequence's continuation.
    first = interpreter.run({"x": x[:4]})["y"]
    again = interpreter.run({"x": x[:4]})["y"]
    continued = torch_run(module, kind, np.concatenate([x[:4], x[:4]]))["y"][4:]
    np.testing.assert_allclose(first, expected[:4], rtol=0, atol=1e-4 if not quantize else 0.1)
    np.testing.assert_allclose(again, continued, rtol=0, atol=1e-4 if not quantize else 0.1)


def test_refusals_are_named():
    rng = np.random.default_rng(0)
    w, r, b = onnx_weights(rng, "lstm", 1, 4, 5)
    g = edgenet.Graph("bad")
    x = g.input("x", (None, 1, 4))
    with pytest.raises(ValueError, match="sequence_lens is not supported"):
        g.lstm(x, w, r, b, sequence_lens=np.array([3]))
    with pytest.raises(ValueError, match="activations .* not supported"):
        g.lstm(x, w, r, b, activations=["Relu", "Tanh", "Tanh"])
    with pytest.raises(ValueError, match="r must have shape"):
        g.lstm(x, w, r[:, :, :4], b)
    w_input = g.input("w", w.shape[1:])
    with pytest.raises(ValueError, match="w must be a constant"):
        g.gru(x, g.reshape(w_input, w.shape), r, b)


def test_bad_files_and_feeds_get_clear_errors():
    """The C core's own checks (a file the builder would refuse, a feed no file can rule out)."""
    from edgenet.graph import Tensor
    from edgenet.quant_math import QuantParams

    rng = np.random.default_rng(1)
    w, r, b = onnx_weights(rng, "gru", 1, 4, 5)
    g = edgenet.Graph("per_tensor_int8")
    x = g.input("x", (None, 1, 4))
    per_tensor = QuantParams(np.array([0.01], np.float32), np.array([0]), 0)
    w8, r8 = (Tensor(g, n, a.shape, "int8", data=np.zeros(a.shape, np.int8), quant=per_tensor)
              for n, a in (("w8", w), ("r8", r)))
    y, y_h = g.gru(x, w8, r8, b)
    g.output(y, "y")
    g.output(y_h, "y_h")
    with pytest.raises(ValueError, match="one scale per row"):
        edgenet.reference.run(g, {"x": rand(rng, 2, 1, 4)})
    with pytest.raises((ValueError, RuntimeError), match="int8 w needs one scale per row"):
        edgenet.Interpreter(edgenet.convert(g, optimize=False).to_bytes()).run({"x": rand(rng, 2, 1, 4)})

    good = edgenet.Interpreter(edgenet.convert(build("gru", w, r, b, 1, 4)).to_bytes())
    with pytest.raises((ValueError, RuntimeError), match="steps"):
        good.run({"x": np.zeros((0, 1, 4), np.float32)})
    assert good.run({"x": rand(rng, 3, 1, 4)})["y"].shape == (3, 1, 1, 5)  # still usable afterwards
