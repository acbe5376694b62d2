"""ONNX If / Loop / Scan imported onto cond / while_loop, compared with onnxruntime on models built here
with onnx.helper (converters/onnx_import/handlers/control_flow.py)."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper  # noqa: E402

from edgenet.converters import convert  # noqa: E402
from edgenet.interpreter import Interpreter  # noqa: E402

F = TensorProto.FLOAT


def make_model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "main", inputs, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    return model


def onnxruntime(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def if_model():
    """y = If(sum(x) > 0, then: x @ w + x2 (reads outer values), else: -x * 3)."""
    w = helper.make_tensor("w", F, (3, 3), np.linspace(-1, 1, 9).astype(np.float32))
    then_branch = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "x2"], ["then_y"])],
        "then", [], [helper.make_tensor_value_info("then_y", F, (2, 3))])
    three = helper.make_tensor("three", F, (), [3.0])
    else_branch = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["nx"]), helper.make_node("Mul", ["nx", "three"], ["else_y"])],
        "else", [], [helper.make_tensor_value_info("else_y", F, (2, 3))], initializer=[three])
    nodes = [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
             helper.make_node("Greater", ["s", "zero"], ["pred"]),
             helper.make_node("Mul", ["x", "x"], ["x2"]),
             helper.make_node("If", ["pred"], ["y"], then_branch=then_branch, else_branch=else_branch)]
    zero = helper.make_tensor("zero", F, (), [0.0])
    return make_model(nodes, [helper.make_tensor_value_info("x", F, (2, 3))],
                      [helper.make_tensor_value_info("y", F, (2, 3))], [w, zero])


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("quantize", [None, "int8"])
def test_if_matches_onnxruntime_on_both_branches(sign, quantize):
    rng = np.random.default_rng(7)
    model = if_model()
    calibration = [{"x": (np.abs(rng.standard_normal((2, 3))) * s).astype(np.float32)} for s in (1, -1) * 16]
    enet = convert(model, quantize=quantize, calibration=calibration if quantize else None)
    x = (np.minimum(np.abs(rng.standard_normal((2, 3))), 1.5) * sign).astype(np.float32)
    got = Interpreter(enet.to_bytes()).run({"x": x})["y"]
    want = onnxruntime(model, {"x": x})[0]
    if quantize is None:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    else:
        cos = float(np.ravel(got) @ np.ravel(want) / np.linalg.norm(got) / np.linalg.norm(want))
        assert cos >= 0.99


def loop_model(trip_count_input):
    """Loop(M, cond=True, acc): acc = acc * 0.5 + x; cond = sum(acc) < limit. M a constant or an input."""
    body = helper.make_graph(
        [helper.make_node("Mul", ["acc_in", "half"], ["scaled"]), helper.make_node("Add", ["scaled", "x"], ["acc_out"]),
         helper.make_node("ReduceSum", ["acc_out"], ["total"], keepdims=0),
         helper.make_node("Less", ["total", "limit"], ["cond_out"])],
        "body", [helper.make_tensor_value_info("iteration", TensorProto.INT64, ()),
                 helper.make_tensor_value_info("cond_in", TensorProto.BOOL, ()),
                 helper.make_tensor_value_info("acc_in", F, (4,))],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, ()),
         helper.make_tensor_value_info("acc_out", F, (4,))],
        initializer=[helper.make_tensor("half", F, (), [0.5])])
    inits = [helper.make_tensor("acc0", F, (4,), np.zeros(4, np.float32)),
             helper.make_tensor("go", TensorProto.BOOL, (), [True])]
    inputs = [helper.make_tensor_value_info("x", F, (4,)), helper.make_tensor_value_info("limit", F, ())]
    if trip_count_input:
        inputs.append(helper.make_tensor_value_info("M", TensorProto.INT64, ()))
    else:
        inits.append(helper.make_tensor("M", TensorProto.INT64, (), [6]))
    node = helper.make_node("Loop", ["M", "go", "acc0"], ["acc"], body=body)
    return make_model([node], inputs, [helper.make_tensor_value_info("acc", F, (4,))], inits)


@pytest.mark.parametrize("limit", [0.5, 3.0, 100.0])
@pytest.mark.parametrize("trip_count_input", [False, True])
def test_loop_runs_a_data_dependent_number_of_iterations_like_onnxruntime(limit, trip_count_input):
    model = loop_model(trip_count_input)
    interpreter = Interpreter(convert(model).to_bytes())
    x = np.array([0.5, 0.25, 1.0, 0.125], np.float32)
    feeds = {"x": x, "limit": np.array(limit, np.float32)}
    if trip_count_input:
        feeds["M"] = np.array(4, np.int64)
    np.testing.assert_allclose(interpreter.run(feeds)["acc"], onnxruntime(model, feeds)[0], rtol=1e-6)


def scan_model(length):
    """Scan: state h (3,), h = tanh(h + x_t); outputs the final h and every h_t (length, 3)."""
    body = helper.make_graph(
        [helper.make_node("Add", ["h_in", "x_t"], ["sum"]), helper.make_node("Tanh", ["sum"], ["h_out"]),
         helper.make_node("Identity", ["h_out"], ["y_t"])],
        "body", [helper.make_tensor_value_info("h_in", F, (3,)), helper.make_tensor_value_info("x_t", F, (3,))],
        [helper.make_tensor_value_info("h_out", F, (3,)), helper.make_tensor_value_info("y_t", F, (3,))])
    node = helper.make_node("Scan", ["h0", "x"], ["h", "ys"], body=body, num_scan_inputs=1)
    return make_model([node], [helper.make_tensor_value_info("h0", F, (3,)),
                               helper.make_tensor_value_info("x", F, (length, 3))],
                      [helper.make_tensor_value_info("h", F, (3,)),
                       helper.make_tensor_value_info("ys", F, (length, 3))])


def test_scan_matches_onnxruntime():
    rng = np.random.default_rng(8)
    model = scan_model(5)
    feeds = {"h0": rng.standard_normal(3).astype(np.float32), "x": rng.standard_normal((5, 3)).astype(np.float32)}
    out = Interpreter(convert(model).to_bytes()).run(feeds)
    h, ys = onnxruntime(model, feeds)
    np.testing.assert_allclose(out["h"], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["ys"], ys, rtol=1e-5, atol=1e-6)


def gemm_loop_model():
    """Loop(M=5, cond passed through): h = Tanh(Gemm(h + x, W)): a fixed trip count, an int8-able body."""
    w = np.random.default_rng(10).standard_normal((4, 4)).astype(np.float32)
    w *= 0.9 / np.linalg.norm(w, 2)
    body = helper.make_graph(
        [helper.make_node("Add", ["h_in", "x"], ["s"]), helper.make_node("Gemm", ["s", "W"], ["z"]),
         helper.make_node("Tanh", ["z"], ["h_out"]), helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body", [helper.make_tensor_value_info("iteration", TensorProto.INT64, ()),
                 helper.make_tensor_value_info("cond_in", TensorProto.BOOL, ()),
                 helper.make_tensor_value_info("h_in", F, (1, 4))],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, ()),
         helper.make_tensor_value_info("h_out", F, (1, 4))])
    inits = [helper.make_tensor("W", F, (4, 4), w), helper.make_tensor("M", TensorProto.INT64, (), [5]),
             helper.make_tensor("go", TensorProto.BOOL, (), [True])]
    node = helper.make_node("Loop", ["M", "go", "h0"], ["h"], body=body)
    inputs = [helper.make_tensor_value_info("x", F, (1, 4)), helper.make_tensor_value_info("h0", F, (1, 4))]
    return make_model([node], inputs,
                      [helper.make_tensor_value_info("h", F, (1, 4))], inits)


def test_int8_loop_matches_onnxruntime():
    rng = np.random.default_rng(11)
    model = gemm_loop_model()
    def sample():
        return {name: rng.standard_normal((1, 4)).astype(np.float32) for name in ("x", "h0")}

    samples = [sample() for _ in range(32)]
    enet = convert(model, quantize="int8", calibration=samples)
    assert "z" in enet.quantization.int8_ops, enet.quantization  # the body's Gemm (named after its output)
    interpreter = Interpreter(enet.to_bytes())
    for _ in range(4):
        feeds = sample()
        got, want = interpreter.run(feeds)["h"], onnxruntime(model, feeds)[0]
        assert float(np.ravel(got) @ np.ravel(want) / np.linalg.norm(got) / np.linalg.norm(want)) >= 0.99
