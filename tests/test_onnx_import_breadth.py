"""ONNX import breadth (issue 16 item 6), each against onnxruntime on models built with onnx.helper:
rank-0 (scalar) results, opset-11 Squeeze / Unsqueeze with `axes` attributes over open dims and
the shape arithmetic around them, onnxruntime's dynamic quantization (DynamicQuantizeLinear ->
ConvInteger / MatMulInteger, DynamicQuantizeLSTM), float16-internal models, and import errors
worded in edgenet's terms. Last, the real model the issue names: ddddocr's CRNN.
"""
import importlib.util
import os

import numpy as np
import pytest

import edgenet
from edgenet.converters.accuracy import cosine
from edgenet.converters.onnx_import import ONNXImportError, import_onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

RNG = np.random.default_rng(6)
F32, I64 = TensorProto.FLOAT, TensorProto.INT64


def make_model(nodes, inputs, outputs, initializers=(), opset=11):
    graph = helper.make_graph(nodes, "breadth", inputs, outputs,
                              [numpy_helper.from_array(a, n) for n, a in initializers])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8  # what the pinned onnxruntime reads
    onnx.checker.check_model(model)
    return model


def run_onnxruntime(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))


def c_core(model, **convert_kwargs):
    return edgenet.Interpreter(edgenet.convert(model, **convert_kwargs).to_bytes())


def test_rank0_gather_results_and_scalar_index_inputs():
    """Gather with a scalar index down to a rank-0 result (silero op18's failure), a run-time
    scalar index, and a full reduction to a scalar."""
    nodes = [
        helper.make_node("Gather", ["x", "row"], ["r"], axis=0),  # (4,)
        helper.make_node("Gather", ["r", "col"], ["s"], axis=0),  # ()
        helper.make_node("Mul", ["s", "two"], ["scalar"]),
        helper.make_node("Gather", ["x", "i"], ["column"], axis=1),  # run-time scalar index: (3,)
        helper.make_node("ReduceSum", ["x"], ["total"], keepdims=0),
    ]
    model = make_model(nodes, [helper.make_tensor_value_info("x", F32, [3, 4]),
                               helper.make_tensor_value_info("i", I64, [])],
                       [helper.make_tensor_value_info("scalar", F32, []),
                        helper.make_tensor_value_info("column", F32, [3]),
                        helper.make_tensor_value_info("total", F32, [])],
                       [("row", np.array(1, np.int64)), ("col", np.array(-2, np.int64)),
                        ("two", np.array(2.0, np.float32))], opset=18)
    interpreter = c_core(model)
    for index in (0, 3, -1):
        feeds = {"x": RNG.standard_normal((3, 4)).astype(np.float32), "i": np.array(index, np.int64)}
        expected, got = run_onnxruntime(model, feeds), interpreter.run(feeds)
        for name in expected:
            assert got[name].shape == expected[name].shape
            np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, atol=1e-6)


def open_dims_model():
    """Opset 11: Unsqueeze / Squeeze with `axes` attributes on a tensor with two open dims, and
    Shape -> Gather -> Unsqueeze(axes attr) -> Mul -> Concat -> Reshape over them (ddddocr's chain)."""
    nodes = [
        helper.make_node("Unsqueeze", ["x"], ["x4"], axes=[1]),  # (N, 1, T, 3)
        helper.make_node("Relu", ["x4"], ["r4"]),
        helper.make_node("Squeeze", ["r4"], ["r"], axes=[1]),  # (N, T, 3)
        helper.make_node("Unsqueeze", ["r"], ["r_last"], axes=[-1]),  # (N, T, 3, 1)
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["n"], axis=0),
        helper.make_node("Gather", ["shape", "one"], ["t"], axis=0),
        helper.make_node("Mul", ["n", "t"], ["nt"]),
        helper.make_node("Unsqueeze", ["nt"], ["nt1"], axes=[0]),
        helper.make_node("Concat", ["nt1", "three"], ["flat_shape"], axis=0),
        helper.make_node("Reshape", ["r", "flat_shape"], ["flat"]),  # (N*T, 3)
    ]
    return make_model(nodes, [helper.make_tensor_value_info("x", F32, ["N", "T", 3])],
                      [helper.make_tensor_value_info("r_last", F32, ["N", "T", 3, 1]),
                       helper.make_tensor_value_info("flat", F32, [None, 3])],
                      [("zero", np.array(0, np.int64)), ("one", np.array(1, np.int64)),
                       ("three", np.array([3], np.int64))], opset=11)


def test_opset11_squeeze_unsqueeze_axes_on_open_dims_one_file_several_shapes():
    model = open_dims_model()
    graph = import_onnx(model)
    assert graph.inputs[0].shape == (None, None, 3)
    interpreter = c_core(model)
    for shape in [(2, 5, 3), (1, 9, 3), (4, 1, 3)]:
        feeds = {"x": RNG.standard_normal(shape).astype(np.float32)}
        expected, got = run_onnxruntime(model, feeds), interpreter.run(feeds)
        for name in expected:
            assert got[name].shape == expected[name].shape
            np.testing.assert_array_equal(got[name], expected[name])


def test_opset11_unsqueeze_with_axes_attribute_folds_when_pinned():
    """Pinned, the Shape chain folds to constants: Unsqueeze-11's axes attribute must be evaluated
    at opset 11 (ddddocr's 'Unsqueeze ... constant folding failed')."""
    model = open_dims_model()
    graph = import_onnx(model, input_shapes={"x": (2, 5, 3)})
    assert "mul" not in {n.op for n in graph.nodes}  # the shape arithmetic folded away
    feeds = {"x": RNG.standard_normal((2, 5, 3)).astype(np.float32)}
    expected = run_onnxruntime(model, feeds)
    got = c_core(model, input_shapes={"x": (2, 5, 3)}).run(feeds)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name])


def dynamic_quantized(model, tmp_path, op_types):
    quantization = pytest.importorskip("onnxruntime.quantization")
    source, target = tmp_path / "float.onnx", tmp_path / "dynamic.onnx"
    onnx.save(model, source)
    quantization.quantize_dynamic(str(source), str(target), op_types_to_quantize=op_types,
                                  weight_type=quantization.QuantType.QUInt8)
    return onnx.load(str(target))


def test_dynamic_quantized_conv_as_float_and_matmul_as_hybrid_int8(tmp_path):
    """onnxruntime's quantize_dynamic output (DynamicQuantizeLinear -> ConvInteger / MatMulInteger
    -> Cast -> Mul, bias quantized at run time): the MatMul becomes a hybrid fully connected on the
    model's own integer weights, the conv the float conv on dequantized weights (see
    converters/onnx_import/dynamic_quant.py); together they match onnxruntime's run up to ORT's
    rounding of the conv's activations to uint8."""
    w1 = RNG.standard_normal((6, 2, 3, 3)).astype(np.float32) * 0.3
    b1 = RNG.standard_normal(6).astype(np.float32) * 0.1
    w2 = RNG.standard_normal((6 * 4 * 4, 5)).astype(np.float32) * 0.1
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c"], pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("Flatten", ["r"], ["f"], axis=1),
             helper.make_node("MatMul", ["f", "w2"], ["y"])]
    float_model = make_model(nodes, [helper.make_tensor_value_info("x", F32, [1, 2, 8, 8])],
                             [helper.make_tensor_value_info("y", F32, [1, 5])],
                             [("w1", w1), ("b1", b1), ("w2", w2)], opset=13)
    model = dynamic_quantized(float_model, tmp_path, ["Conv", "MatMul"])
    ops = {n.op_type for n in model.graph.node}
    assert {"DynamicQuantizeLinear", "ConvInteger", "MatMulInteger"} <= ops
    converted = edgenet.convert(model)
    assert [(n.op, n.inputs[1].dtype) for n in converted.graph.nodes if n.op in ("conv2d", "fully_connected")] == \
        [("conv2d", "float32"), ("fully_connected", "int8")]
    interpreter = edgenet.Interpreter(converted.to_bytes())
    for _ in range(4):
        feeds = {"x": RNG.standard_normal((1, 2, 8, 8)).astype(np.float32)}
        expected = run_onnxruntime(model, feeds)["y"]
        got = interpreter.run(feeds)["y"]
        span = np.abs(expected).max()
        assert np.abs(got - expected).max() <= 0.03 * span  # ORT's uint8 activations: ~1/255 of range/layer
        assert cosine(got.ravel(), expected.ravel()) >= 0.999
        float_expected = run_onnxruntime(float_model, feeds)["y"]
        assert cosine(got.ravel(), float_expected.ravel()) >= 0.999


def test_dynamic_quantized_lstm_imports_as_float(tmp_path):
    """com.microsoft DynamicQuantizeLSTM: exactly the float LSTM on its dequantized weights (run by
    onnxruntime as a plain LSTM model), and close to onnxruntime's own quantized run."""
    rng = np.random.default_rng(16)
    hidden, features, steps = 5, 4, 6
    w = rng.standard_normal((1, 4 * hidden, features)).astype(np.float32) * 0.4
    r = rng.standard_normal((1, 4 * hidden, hidden)).astype(np.float32) * 0.4
    b = rng.standard_normal((1, 8 * hidden)).astype(np.float32) * 0.1

    def lstm_model(w, r):
        nodes = [helper.make_node("LSTM", ["x", "w", "r", "b"], ["y"], hidden_size=hidden)]
        return make_model(nodes, [helper.make_tensor_value_info("x", F32, [steps, 1, features])],
                          [helper.make_tensor_value_info("y", F32, [steps, 1, 1, hidden])],
                          [("w", w), ("r", r), ("b", b)], opset=13)

    model = dynamic_quantized(lstm_model(w, r), tmp_path, ["LSTM"])
    node = next(n for n in model.graph.node if n.op_type == "DynamicQuantizeLSTM")
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}

    def dequantized(values, scale, zero_point):  # (dirs, in, 4h) int8 per direction -> ONNX (dirs, 4h, in)
        q, s, z = inits[values], inits[scale], inits[zero_point]
        return np.swapaxes((q.astype(np.float32) - z.reshape(-1, 1, 1)) * s.reshape(-1, 1, 1), 1, 2)

    oracle = lstm_model(dequantized(node.input[1], node.input[8], node.input[9]),
                        dequantized(node.input[2], node.input[10], node.input[11]))
    interpreter = c_core(model)
    for _ in range(3):
        feeds = {"x": rng.standard_normal((steps, 1, features)).astype(np.float32)}
        got = interpreter.run(feeds)["y"]
        np.testing.assert_allclose(got, run_onnxruntime(oracle, feeds)["y"], rtol=1e-4, atol=1e-5)
        assert cosine(got.ravel(), run_onnxruntime(model, feeds)["y"].ravel()) >= 0.99


def test_dynamic_quantize_matmul_contrib_op_imports_as_hybrid_int8():
    """com.microsoft DynamicQuantizeMatMul (what onnxruntime's optimizer fuses the MatMulInteger
    pattern into, in saved optimized models), per-column int8 weights and a bias: a hybrid fully
    connected, as onnxruntime computes it."""
    # 7-bit weights: with full-range int8 weights onnxruntime's AVX2 u8s8 kernel saturates its int16
    # pair sums (why its quantizer offers reduce_range), which would make ORT, not edgenet, the outlier.
    q = RNG.integers(-63, 64, (6, 4)).astype(np.int8)
    scale = RNG.uniform(0.005, 0.02, 4).astype(np.float32)
    zero_point = RNG.integers(-3, 4, 4).astype(np.int8)
    bias = RNG.standard_normal(4).astype(np.float32)
    node = helper.make_node("DynamicQuantizeMatMul", ["a", "q", "scale", "zero_point", "bias"], ["y"],
                            domain="com.microsoft")
    graph = helper.make_graph([node], "contrib", [helper.make_tensor_value_info("a", F32, [3, 6])],
                              [helper.make_tensor_value_info("y", F32, [3, 4])],
                              [numpy_helper.from_array(a, n) for n, a in
                               [("q", q), ("scale", scale), ("zero_point", zero_point), ("bias", bias)]])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    converted = edgenet.convert(model)
    assert [(n.op, n.inputs[1].dtype) for n in converted.graph.nodes] == [("fully_connected", "int8")]
    interpreter = edgenet.Interpreter(converted.to_bytes())
    for _ in range(3):
        a = RNG.standard_normal((3, 6)).astype(np.float32)
        expected = run_onnxruntime(model, {"a": a})["y"]
        np.testing.assert_allclose(interpreter.run({"a": a})["y"], expected, rtol=1e-5,
                                   atol=1e-5 * np.abs(expected).max())


def test_float16_internal_model_imports_as_float32():
    """Cast to float16, float16 initializers, Cast back: imported as float32 (documented in
    converters/onnx_import/__init__.py). Exact against float32 numpy on the float16 weights;
    against onnxruntime's float16 run within float16 rounding (1e-2 of the output range)."""
    w = (RNG.standard_normal((8, 6)) * 0.5).astype(np.float16)
    b = (RNG.standard_normal(6) * 0.1).astype(np.float16)
    nodes = [helper.make_node("Cast", ["x"], ["x16"], to=TensorProto.FLOAT16),
             helper.make_node("MatMul", ["x16", "w"], ["m"]),
             helper.make_node("Add", ["m", "b"], ["a"]),
             helper.make_node("Relu", ["a"], ["r"]),
             helper.make_node("Mul", ["r", "r"], ["sq"]),
             helper.make_node("Cast", ["sq"], ["y"], to=TensorProto.FLOAT)]
    model = make_model(nodes, [helper.make_tensor_value_info("x", F32, [3, 8])],
                       [helper.make_tensor_value_info("y", F32, [3, 6])], [("w", w), ("b", b)], opset=13)
    interpreter = c_core(model)
    for _ in range(3):
        x = RNG.standard_normal((3, 8)).astype(np.float32)
        got = interpreter.run({"x": x})["y"]
        exact = np.maximum(x @ w.astype(np.float32) + b.astype(np.float32), 0) ** 2
        np.testing.assert_allclose(got, exact, rtol=1e-5, atol=1e-5)
        float16_run = run_onnxruntime(model, {"x": x})["y"]
        assert np.abs(got - float16_run).max() <= 1e-2 * np.abs(float16_run).max()


def test_import_errors_speak_edgenet():
    """A constant node the folding evaluator rejects, and a shape computation over open dims feeding
    an op that needs it fixed: the messages name the node, the op and the fix, and none of the
    onnx reference evaluator's internals."""
    nodes = [helper.make_node("Reshape", ["table", "bad_shape"], ["folded"]),
             helper.make_node("Add", ["x", "folded"], ["y"])]
    model = make_model(nodes, [helper.make_tensor_value_info("x", F32, [4, 4])],
                       [helper.make_tensor_value_info("y", F32, [4, 4])],
                       [("table", np.ones((2, 3), np.float32)), ("bad_shape", np.array([4, 4], np.int64))])
    with pytest.raises(ONNXImportError) as info:
        import_onnx(model)
    message = str(info.value)
    assert "Reshape" in message and "cannot be evaluated" in message and "table: float32 (2, 3)" in message
    for internal in ("rt_inits_", "self.", "linked attributes", "Traceback"):
        assert internal not in message

    nodes = [helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("ConstantOfShape", ["shape"], ["zeros"]),
             helper.make_node("Add", ["x", "zeros"], ["y"])]
    model = make_model(nodes, [helper.make_tensor_value_info("x", F32, ["N", 4])],
                       [helper.make_tensor_value_info("y", F32, ["N", 4])])
    with pytest.raises(ONNXImportError, match=r"ConstantOfShape.*open \(run-time\) dims.*input_shapes"):
        import_onnx(model)
    # min(N, 4): huge stand-ins for N would make it 4 for every size, so it is refused, not folded.
    nodes = [helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("Min", ["shape", "cap"], ["capped"]),
             helper.make_node("Reshape", ["x", "capped"], ["y"])]
    model = make_model(nodes, [helper.make_tensor_value_info("x", F32, ["N", 4])],
                       [helper.make_tensor_value_info("y", F32, ["N", 4])], [("cap", np.array([4, 4], np.int64))])
    with pytest.raises(ONNXImportError, match=r"Min.*open \(run-time\) dims"):
        import_onnx(model)
    check = {"x": np.ones((2, 4), np.float32)}
    np.testing.assert_array_equal(c_core(model, input_shapes={"x": (2, 4)}).run(check)["y"], check["x"])


# ---- the real model: ddddocr's CRNN (ddddocr 1.6.1 wheel) -------------------------------------------

DDDDOCR_SPEC = importlib.util.find_spec("ddddocr")
DDDDOCR_DIR = DDDDOCR_SPEC.submodule_search_locations[0] if DDDDOCR_SPEC else None
needs_ddddocr = pytest.mark.skipif(
    DDDDOCR_DIR is None or not os.path.exists(os.path.join(DDDDOCR_DIR, "common.onnx")),
    reason="ddddocr 1.6.1 not installed: its 76 MB wheel is not a test extra (pip install --no-deps ddddocr==1.6.1)")


def text_image(width):
    """A captcha-like line of text as ddddocr feeds it: (1, 1, 64, width) grayscale in [0, 1]."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (width, 64), 255)
    ImageDraw.Draw(image).text((4, 8), "ab3K9x"[:max(2, width // 28)], fill=0, font=ImageFont.load_default(size=40))
    return (np.asarray(image, np.float32) / 255.0)[None, None]


@needs_ddddocr
@pytest.mark.parametrize("name", ["common.onnx", "common_old.onnx"])
def test_ddddocr_crnn_matches_onnxruntime(name):
    """common.onnx (float, opset 12, LSTM) and common_old.onnx (onnxruntime dynamic quantization:
    ConvInteger, MatMulInteger, DynamicQuantizeLSTM), width pinned at conversion."""
    path = os.path.join(DDDDOCR_DIR, name)
    for width in (96, 160):
        feeds = {"input1": text_image(width)}
        expected = run_onnxruntime(onnx.load(path), feeds)["387"]
        got = c_core(path, input_shapes={"input1": (1, 1, 64, width)}).run(feeds)["387"]
        assert got.shape == expected.shape
        if name == "common.onnx":
            np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())
            assert np.array_equal(got.argmax(-1), expected.argmax(-1))  # the decoded characters
        else:  # float on dequantized weights vs ORT's uint8 activations (see dynamic_quant.py)
            assert cosine(got.ravel(), expected.ravel()) >= 0.99
            top2 = np.sort(expected, axis=-1)[..., -2:]
            decided = top2[..., 1] - top2[..., 0] >= 1.0  # steps not within ORT's rounding noise of a tie
            assert decided.mean() >= 0.5
            assert np.array_equal(got.argmax(-1)[decided], expected.argmax(-1)[decided])


@needs_ddddocr
@pytest.mark.parametrize("name", ["common.onnx", "common_old.onnx"])
def test_ddddocr_crnn_front_keeps_the_open_width(name):
    """Everything before the LSTM (the conv stack and the Shape -> Gather -> Unsqueeze -> Concat ->
    Reshape chain over the width) converts with the width open: one file, several widths."""
    model = onnx.load(os.path.join(DDDDOCR_DIR, name))
    needed, kept = {"227"}, []
    for node in reversed(model.graph.node):  # the nodes "227" depends on
        if needed & set(node.output):
            kept.insert(0, node)
            needed |= set(node.input)
    del model.graph.node[:]
    model.graph.node.extend(kept)
    del model.graph.output[:]
    model.graph.output.append(helper.make_tensor_value_info("227", F32, [None, 1, None]))
    interpreter = c_core(model)
    for width in (64, 96, 200):
        feeds = {"input1": text_image(width)}
        expected = run_onnxruntime(model, feeds)["227"]
        got = interpreter.run(feeds)["227"]
        assert got.shape == expected.shape
        if name == "common.onnx":
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
        else:  # dynamic quantization: float on dequantized weights vs ORT's uint8 activations
            assert cosine(got.ravel(), expected.ravel()) >= 0.99


@needs_ddddocr
def test_ddddocr_crnn_one_file_several_widths():
    """The open width kept: one .enet, run at several widths (needs the LSTM over a run-time
    sequence length)."""
    path = os.path.join(DDDDOCR_DIR, "common.onnx")
    try:
        model = edgenet.convert(path)
    except ONNXImportError as e:
        if "dynamic sequence length" in str(e):
            pytest.skip("LSTM over a run-time sequence length (the fused LSTM of the rnn work) not on this branch")
        raise
    interpreter = edgenet.Interpreter(model.to_bytes())
    for width in (96, 128, 200):
        feeds = {"input1": text_image(width)}
        expected = run_onnxruntime(onnx.load(path), feeds)["387"]
        got = interpreter.run(feeds)["387"]
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())
