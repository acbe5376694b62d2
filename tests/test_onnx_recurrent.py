"""ONNX LSTM / GRU / RNN import (LSTM / GRU onto the fused lstm / gru ops, RNN unrolled into plain ops:
converters/onnx_import/handlers/recurrent.py), checked against onnxruntime on torch-exported nn.LSTM / nn.GRU / nn.RNN: 1 and 2 layers,
uni- and bidirectional, batch_first both ways, initial states absent or given as graph inputs.
Layout 1, reverse-only and peephole cases come from the ONNX backend node tests
(tests/test_onnx_backend.py)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
nn = torch.nn

import edgenet  # noqa: E402
from edgenet.converters.onnx_import import ONNXImportError, import_onnx  # noqa: E402
from test_onnx_import import check_against_onnxruntime, export, make_model  # noqa: E402

# torch warns that a fixed-batch export with zero initial state is batch-specific: known, intended here.
pytestmark = pytest.mark.filterwarnings("ignore:Exporting a model to ONNX with a batch_size other than 1")

CELLS = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}


class Recurrent(nn.Module):
    """A torch recurrent layer whose initial state is either zero or the module's extra inputs."""

    def __init__(self, kind, **kwargs):
        super().__init__()
        self.kind, self.rnn = kind, CELLS[kind](**kwargs)

    def forward(self, x, *state):
        if self.kind == "LSTM":
            y, (h, c) = self.rnn(x, tuple(state) if state else None)
            return y, h, c
        y, h = self.rnn(x, state[0] if state else None)
        return y, h


def state_inputs(kind, layers, bidirectional, batch_first, x, seed):
    g = torch.Generator().manual_seed(seed)
    batch = x.shape[0 if batch_first else 1]
    shape = (layers * (2 if bidirectional else 1), batch, 7)
    return [torch.randn(*shape, generator=g) for _ in range(2 if kind == "LSTM" else 1)]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["forward", "bidirectional"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq_first", "batch_first"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "state_inputs"])
def test_torch_recurrent_layer_matches_onnxruntime(kind, layers, bidirectional, batch_first, with_state):
    torch.manual_seed(layers * 10 + bidirectional * 2 + batch_first)
    module = Recurrent(kind, input_size=5, hidden_size=7, num_layers=layers, bidirectional=bidirectional,
                       batch_first=batch_first)
    x = torch.randn(3, 4, 5)  # (batch 3, time 4) or (time 3, batch 4)
    inputs = [x] + (state_inputs(kind, layers, bidirectional, batch_first, x, 1) if with_state else [])
    model = export(module, *inputs)
    assert kind in {n.op_type for n in model.graph.node}  # a real ONNX recurrent node is imported
    check_against_onnxruntime(model, {f"x{i}": t.numpy() for i, t in enumerate(inputs)})


def test_lstm_int8_close_to_float():
    """The fused LSTM in int8: int8 weights, activations quantized on the fly, float cell state."""
    torch.manual_seed(0)
    model = export(Recurrent("LSTM", input_size=8, hidden_size=16), torch.randn(6, 1, 8))
    samples = [{"x0": np.random.default_rng(s).standard_normal((6, 1, 8)).astype(np.float32)} for s in range(8)]
    qmodel = edgenet.convert(model, quantize="int8", calibration=samples, verbose=False)
    fmodel = edgenet.convert(model)
    feeds = {"x0": np.random.default_rng(100).standard_normal((6, 1, 8)).astype(np.float32)}
    float_out = edgenet.Interpreter(fmodel.to_bytes()).run(feeds)
    int8_out = edgenet.Interpreter(qmodel.to_bytes()).run(feeds)
    for name, f in float_out.items():
        q, f = int8_out[name].astype(np.float64).reshape(-1), f.astype(np.float64).reshape(-1)
        assert q @ f / (np.linalg.norm(q) * np.linalg.norm(f)) >= 0.99, name


def export_dynamic_length(module, x, *states):
    """ONNX export with the sequence (dim 0 of x, seq-first) left symbolic. (The initial states are
    inputs: torch builds absent ones as zeros from Shape(x), which the importer cannot fold yet with
    an open dim.)"""
    import io

    import onnx

    module.eval()
    buffer = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, (x, *states), buffer, dynamo=False,
                          input_names=["x0"] + [f"x{i + 1}" for i in range(len(states))], opset_version=17,
                          dynamic_axes={"x0": {0: "time"}})
    return onnx.load_from_string(buffer.getvalue())


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["forward", "bidirectional"])
def test_dynamic_sequence_length_converts_once_to_one_fused_op(kind, bidirectional):
    """A torch export with an open sequence length: one .enet file (one fused op per layer, not an
    unrolled graph) runs at any length and matches onnxruntime at each."""
    torch.manual_seed(4)
    module = Recurrent(kind, input_size=6, hidden_size=7, num_layers=2, bidirectional=bidirectional)
    x = torch.randn(5, 2, 6)
    states = state_inputs(kind, 2, bidirectional, False, x, 2)
    model = export_dynamic_length(module, x, *states)
    feeds = {f"x{i + 1}": s.numpy() for i, s in enumerate(states)}
    enet = edgenet.convert(model)
    opcodes = [op.opcode for op in enet.operators]
    assert opcodes.count(kind) == 2 and "FULLY_CONNECTED" not in opcodes, opcodes
    interpreter = edgenet.Interpreter(enet.to_bytes())
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for steps in (1, 3, 17, 60):
        x = np.random.default_rng(steps).standard_normal((steps, 2, 6)).astype(np.float32)
        expected = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"x0": x, **feeds})))
        got = interpreter.run({"x0": x, **feeds})
        for name, value in expected.items():
            np.testing.assert_allclose(got[name], value, rtol=0, atol=1e-4, err_msg=f"{name} at T={steps}")


def test_peepholes_with_a_dynamic_length_are_refused_with_the_reason():
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal(s).astype(np.float32), n)
             for n, s in (("w", (1, 12, 3)), ("r", (1, 12, 3)), ("p", (1, 9)))]
    node = helper.make_node("LSTM", ["x", "w", "r", "", "", "", "", "p"], ["y"], hidden_size=3)
    model = make_model([node], [("x", ("time", 2, 3))], [("y", ("time", 1, 2, 3))], inits)
    with pytest.raises(ONNXImportError, match="peepholes.*dynamic sequence length"):
        import_onnx(model)


def test_unsupported_recurrent_attributes_are_named():
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((1, 12, 3)).astype(np.float32), "w")
    r = numpy_helper.from_array(rng.standard_normal((1, 12, 3)).astype(np.float32), "r")
    lens = numpy_helper.from_array(np.array([2, 1], np.int32), "lens")
    cases = {
        "clip": helper.make_node("LSTM", ["x", "w", "r"], ["y"], hidden_size=3, clip=1.0),
        "Softsign": helper.make_node("LSTM", ["x", "w", "r"], ["y"], hidden_size=3,
                                     activations=["Softsign", "Tanh", "Tanh"]),
        "sequence_lens": helper.make_node("LSTM", ["x", "w", "r", "", "lens"], ["y"], hidden_size=3),
    }
    for reason, node in cases.items():
        model = make_model([node], [("x", (2, 2, 3))], [("y", (2, 1, 2, 3))], [w, r, lens])
        with pytest.raises(ONNXImportError, match=f"LSTM.*{reason}"):
            import_onnx(model)


class TextClassifier(nn.Module):
    """Token ids (an int64 model input) -> embedding -> LSTM -> last hidden state -> logits."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(50, 8)
        self.lstm = nn.LSTM(8, 12, batch_first=True, bidirectional=True)
        self.head = nn.Linear(24, 3)

    def forward(self, tokens):
        _, (h, _) = self.lstm(self.embedding(tokens))
        return self.head(torch.cat([h[0], h[1]], dim=1))


def test_int64_token_input_embedding_lstm_matches_onnxruntime():
    torch.manual_seed(0)
    tokens = torch.randint(0, 50, (2, 9))
    model = export(TextClassifier(), tokens)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx_int64()
    check_against_onnxruntime(model, {"x0": tokens.numpy()})
    enet = edgenet.convert(model)
    assert edgenet.Interpreter(enet.to_bytes()).inputs[0].dtype == np.int64  # the model's own input dtype
    bad = np.full((2, 9), 50, np.int64)  # out of the embedding's range: a clear run-time error
    with pytest.raises((ValueError, RuntimeError), match="(?i)range|index"):
        edgenet.Interpreter(enet.to_bytes()).run({"x0": bad})


def onnx_int64():
    from onnx import TensorProto

    return TensorProto.INT64
