"""Models quantized by onnxruntime.quantization.quantize_dynamic (torch-exported MLP and
transformer-style block: MatMul + Add on 3-d activations, LayerNorm, attention) import as hybrid
int8 fully connected layers and match onnxruntime's own run far more closely than the float import
on dequantized weights (what edgenet did before, still used where the hybrid does not apply).

Weights: uint8, or int8 with reduce_range. With full-range int8 weights, onnxruntime's u8s8 kernel on
x86 CPUs without VNNI saturates its int16 pair sums (why its quantizer offers reduce_range), so on
such a CPU onnxruntime, not edgenet, would be the one off the integer arithmetic both implement."""
import io

import numpy as np
import pytest

import edgenet
from edgenet.converters.onnx_import import dynamic_quant

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
quantization = pytest.importorskip("onnxruntime.quantization")


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.f1, self.f2, self.f3 = torch.nn.Linear(24, 48), torch.nn.Linear(48, 33), torch.nn.Linear(33, 7)

    def forward(self, x):
        return self.f3(torch.relu(self.f2(torch.tanh(self.f1(x)))))


class Block(torch.nn.Module):
    """Single-head self-attention and a feed-forward layer, pre-norm residuals."""

    def __init__(self, d=32):
        super().__init__()
        self.q, self.k, self.v, self.o = (torch.nn.Linear(d, d) for _ in range(4))
        self.n1, self.n2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.f1, self.f2 = torch.nn.Linear(d, 4 * d), torch.nn.Linear(4 * d, d)

    def forward(self, x):
        h = self.n1(x)
        a = torch.softmax(self.q(h) @ self.k(h).transpose(1, 2) / 32 ** 0.5, -1) @ self.v(h)
        x = x + self.o(a)
        return x + self.f2(torch.relu(self.f1(self.n2(x))))


def dynamic_quantized(module, shape, tmp_path, **options):
    torch.manual_seed(0)
    buffer = io.BytesIO()
    torch.onnx.export(module.eval(), (torch.randn(*shape),), buffer, dynamo=False, input_names=["x"],
                      output_names=["y"], opset_version=17)
    source, target = tmp_path / "float.onnx", tmp_path / "dynamic.onnx"
    source.write_bytes(buffer.getvalue())
    quantization.quantize_dynamic(str(source), str(target), **options)
    return str(target)


def max_error(model_path, interpreter, shape, runs=4):
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(5)
    error, span = 0.0, 0.0
    for _ in range(runs):
        x = rng.standard_normal(shape).astype(np.float32)
        expected = session.run(None, {"x": x})[0]
        error = max(error, float(np.abs(interpreter.run({"x": x})["y"] - expected).max()))
        span = max(span, float(np.abs(expected).max()))
    return error, span


WEIGHTS = {"uint8": dict(weight_type=quantization.QuantType.QUInt8),
           "int8-per-channel": dict(weight_type=quantization.QuantType.QInt8, reduce_range=True, per_channel=True)}


@pytest.mark.parametrize("weights", sorted(WEIGHTS))
@pytest.mark.parametrize("module, shape, layers", [(MLP, (3, 5, 24), 3), (Block, (2, 7, 32), 6)],
                         ids=["mlp", "block"])
def test_matches_onnxruntime_far_closer_than_the_float_import(module, shape, layers, weights, tmp_path,
                                                               monkeypatch):
    path = dynamic_quantized(module(), shape, tmp_path, **WEIGHTS[weights])
    model = edgenet.convert(path)
    hybrid = [n for n in model.graph.nodes if n.op == "fully_connected" and n.inputs[1].dtype == "int8"]
    assert len(hybrid) == layers and not any(n.op == "fully_connected" and n.inputs[1].dtype == "float32"
                                             for n in model.graph.nodes)
    error, span = max_error(path, edgenet.Interpreter(model.to_bytes()), shape)

    monkeypatch.setattr(dynamic_quant, "_integer_weights", lambda *args: None)  # the float import
    float_model = edgenet.convert(path)
    assert not any(n.op == "fully_connected" and n.inputs[1].dtype == "int8" for n in float_model.graph.nodes)
    float_error, _ = max_error(path, edgenet.Interpreter(float_model.to_bytes()), shape)
    print(f"{module.__name__} {weights}: hybrid max abs diff {error:.3g}, float import {float_error:.3g} "
          f"(outputs up to {span:.3g})")
    assert error <= 1e-5 * span
    assert error * 100 <= float_error
