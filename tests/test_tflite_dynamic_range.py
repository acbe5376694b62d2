"""Dynamic-range .tflite models (constant int8 weights, float activations): edgenet's hybrid layers
against LiteRT's default interpreter (the XNNPACK delegate, builtin kernels for the rest), the
oracle. LiteRT quantizes the activations at each run, per op (converters/tflite_import/handlers/conv.py):
FULLY_CONNECTED and 1x1 stride-1 CONV_2D with XNNPACK's qd8 per row / pixel, other CONV_2D with qd8 per
image, DEPTHWISE_CONV_2D with TFLite's builtin AsymmetricQuantizeFloats per image.

The bound: every output within 1e-4 of LiteRT's output range (max |y|). Integer sums are exact on
both sides; what remains is the order of LiteRT's last float operations (its SIMD depthwise epilogue
multiplies by the two scales in the other order for the first multiple-of-4 channels: 1 ulp)."""
import pathlib

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

import edgenet  # noqa: E402
from edgenet.graph import Tensor  # noqa: E402
from edgenet.quant_math import QuantParams  # noqa: E402
from tflite_models import TFLiteBuilder, litert_run, mobilenet_style, quantized_variant  # noqa: E402

from edgenet.converters.tflite_import import TFLiteImportError  # noqa: E402

RTOL = 1e-4  # of LiteRT's output range


def run_edgenet(model_bytes, feeds, threads=1):
    model = edgenet.convert(model_bytes)
    interp = edgenet.Interpreter(model.to_bytes(), num_threads=threads)
    return [np.asarray(v) for v in interp.run(dict(zip([t.name for t in model.inputs], feeds))).values()], model


def assert_like_litert(model_bytes, x, threads=1):
    """edgenet's output within RTOL of LiteRT's range; returns the relative difference."""
    got = run_edgenet(model_bytes, [x], threads)[0][0]
    want = litert_run(model_bytes, [x])[0]
    assert got.shape == want.shape
    scale = float(np.abs(want).max())
    diff = float(np.abs(got.astype(np.float64) - want).max()) / scale
    assert diff <= RTOL, f"max |edgenet - LiteRT| = {diff:.3g} of the output range"
    return diff


def int8_weights(rng, shape, axis, per_channel):
    q = rng.integers(-127, 128, shape).astype(np.int8)
    scale = rng.uniform(0.002, 0.02, shape[axis] if per_channel else 1).astype(np.float32)
    return q, scale


def fc_model(rng, rows, k, n, per_channel, bias=True, activation="NONE", keep_num_dims=False, lead=None):
    w, scale = int8_weights(rng, (n, k), 0, per_channel)
    b = TFLiteBuilder()
    in_shape = (lead or (rows,)) + (k,)
    x = b.tensor("x", in_shape)
    wt = b.tensor("w", (n, k), data=w, scale=scale, axis=0)
    bt = b.tensor("b", (n,), data=rng.normal(0, 1, n).astype(np.float32)) if bias else -1
    y = b.tensor("y", (in_shape[:-1] if keep_num_dims else (int(np.prod(in_shape[:-1])),)) + (n,))
    b.op("FULLY_CONNECTED", [x, wt, bt], [y], "FullyConnectedOptions", fused_activation_function=activation,
         keep_num_dims=keep_num_dims)
    return b.finish([x], [y])


def conv_model(rng, x_shape, out_c, k, stride, padding, per_channel=True, depthwise=False, dilation=1,
               activation="NONE"):
    n, h, w_, c = x_shape
    axis = 3 if depthwise else 0
    w, scale = int8_weights(rng, (1, k, k, out_c) if depthwise else (out_c, k, k, c), axis, per_channel)
    b = TFLiteBuilder()
    x = b.tensor("x", x_shape)
    wt = b.tensor("w", w.shape, data=w, scale=scale, axis=axis)
    bt = b.tensor("b", (out_c,), data=rng.normal(0, 1, out_c).astype(np.float32))
    span = (k - 1) * dilation + 1
    size = [-(-d // stride) if padding == "SAME" else (d - span) // stride + 1 for d in (h, w_)]
    y = b.tensor("y", (n, size[0], size[1], out_c))
    fields = dict(padding=padding, stride_w=stride, stride_h=stride, dilation_w_factor=dilation,
                  dilation_h_factor=dilation, fused_activation_function=activation)
    if depthwise:
        b.op("DEPTHWISE_CONV_2D", [x, wt, bt], [y], "DepthwiseConv2DOptions", depth_multiplier=out_c // c, **fields)
    else:
        b.op("CONV_2D", [x, wt, bt], [y], "Conv2DOptions", **fields)
    return b.finish([x], [y])


def images(rng, shape):
    return (rng.normal(0.3, 1, shape) * rng.uniform(0.5, 5)).astype(np.float32)


# ---- the MobileNet-style model (tests/tflite_models.py) -------------------------------------------


@pytest.mark.parametrize("head", ["mean", "flatten"])
def test_mobilenet_style_dynamic_range_model_answers_like_litert(head):
    """Conv 3x3/2, depthwise, 1x1 convs (as fully connected), a fully connected head: all hybrid.
    Measured (LiteRT 2.3, x86-64 AVX2): max difference 1.1e-7 of the output range with the MEAN head
    (edgenet's float MEAN sums in another order), 0 with the flatten head."""
    rng = np.random.default_rng(5)
    calibration = [rng.normal(0, 1, (1, 32, 32, 3)).astype(np.float32) for _ in range(4)]
    dynamic = quantized_variant(mobilenet_style(seed=3, head=head), calibration, "dynamic")
    _, model = run_edgenet(dynamic, [calibration[0]])
    hybrid = [n for n in model.graph.nodes if len(n.inputs) > 1 and n.inputs[1] is not None and
              n.inputs[1].dtype == "int8"]
    assert len(hybrid) == 6 and all(n.inputs[0].dtype == "float32" for n in hybrid)
    worst = max(assert_like_litert(dynamic, rng.normal(0, 1, (1, 32, 32, 3)).astype(np.float32)) for _ in range(6))
    assert worst <= RTOL


def test_a_model_from_tfs_converter_answers_like_litert():
    """tests/data/tflite/dynamic_range_tf.tflite: TF 2.21's converter (Optimize.DEFAULT, no dataset) made
    every layer hybrid: CONV_2D 3x3 and 3x3/2, a 1x1 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, per-channel
    scales. Measured: outputs identical to LiteRT's."""
    data = (pathlib.Path(__file__).parent / "data" / "tflite" / "dynamic_range_tf.tflite").read_bytes()
    _, model = run_edgenet(data, [np.zeros((1, 16, 16, 8), np.float32)])
    assert sum(len(n.inputs) > 1 and n.inputs[1] is not None and n.inputs[1].dtype == "int8"
               for n in model.graph.nodes) == 5
    rng = np.random.default_rng(8)
    for _ in range(4):
        assert_like_litert(data, rng.normal(0, 1, (1, 16, 16, 8)).astype(np.float32))


# ---- FULLY_CONNECTED: qd8 per row ----------------------------------------------------------------


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("rows,k,n", [(1, 7, 3), (4, 33, 19), (7, 256, 40)])
def test_fully_connected_rows_are_quantized_one_by_one(per_channel, rows, k, n):
    rng = np.random.default_rng(rows * 100 + k)
    model = fc_model(rng, rows, k, n, per_channel)
    x = images(rng, (rows, k))
    x[-1] *= 50  # rows of very different ranges: a per-tensor grid would round the small ones away
    assert_like_litert(model, x)


def test_fully_connected_zero_rows_and_outliers():
    """An all-zero row (range 0: scale 1, the zero point at the top of the grid), an all-positive and an
    all-negative row (the zero point saturates at -128 / 127), a huge outlier, and no bias."""
    rng = np.random.default_rng(11)
    model = fc_model(rng, 5, 24, 6, per_channel=True, bias=False)
    x = images(rng, (5, 24))
    x[0] = 0
    x[1] = np.abs(x[1]) + 0.5
    x[2] = -np.abs(x[2]) - 0.5
    x[3, 4] = 1e30
    got = run_edgenet(model, [x])[0][0]
    want = litert_run(model, [x])[0]
    assert np.all(got[0] == 0) and np.all(want[0] == 0)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * np.abs(want[1:3]).max())


@pytest.mark.parametrize("activation", ["RELU", "RELU6"])
def test_fully_connected_fused_activation_saturates_like_litert(activation):
    rng = np.random.default_rng(12)
    model = fc_model(rng, 6, 40, 12, per_channel=True, activation=activation)
    x = images(rng, (6, 40)) * 3
    got, want = run_edgenet(model, [x])[0][0], litert_run(model, [x])[0]
    assert (want == 0).any() and (activation == "RELU" or (want == 6).any())
    np.testing.assert_allclose(got, want, rtol=0, atol=RTOL * np.abs(want).max())


@pytest.mark.parametrize("keep_num_dims", [True, False])
def test_fully_connected_with_a_3d_input(keep_num_dims):
    rng = np.random.default_rng(13)
    model = fc_model(rng, None, 16, 5, per_channel=False, keep_num_dims=keep_num_dims, lead=(2, 3))
    assert_like_litert(model, images(rng, (2, 3, 16)))


# ---- CONV_2D: qd8 per image; 1x1 stride 1 as a fully connected layer (per pixel) ------------------


@pytest.mark.parametrize("case", [
    dict(x_shape=(1, 9, 9, 3), out_c=8, k=3, stride=2, padding="SAME"),
    dict(x_shape=(2, 7, 7, 5), out_c=6, k=3, stride=1, padding="VALID", per_channel=False),
    dict(x_shape=(2, 8, 8, 4), out_c=5, k=3, stride=1, padding="SAME", dilation=2),
    dict(x_shape=(3, 6, 6, 8), out_c=7, k=1, stride=1, padding="SAME"),  # per pixel
    dict(x_shape=(2, 6, 6, 8), out_c=7, k=1, stride=2, padding="VALID"),  # per image
    dict(x_shape=(2, 5, 5, 4), out_c=9, k=3, stride=1, padding="SAME", activation="RELU6"),
], ids=["3x3s2", "per-tensor", "dilated", "1x1", "1x1s2", "relu6"])
@pytest.mark.parametrize("threads", [1, 2])
def test_conv_2d_answers_like_litert(case, threads):
    rng = np.random.default_rng(len(str(case)))
    model = conv_model(rng, **case)
    x = images(rng, case["x_shape"])
    x[-1] *= 20  # images of different ranges: each has its own grid
    assert_like_litert(model, x, threads)


# ---- DEPTHWISE_CONV_2D: TFLite's builtin hybrid kernel, per image --------------------------------


@pytest.mark.parametrize("case", [
    dict(x_shape=(1, 8, 8, 16), out_c=16, k=3, stride=1, padding="SAME"),
    dict(x_shape=(2, 7, 7, 3), out_c=6, k=3, stride=2, padding="SAME"),  # depth multiplier 2
    dict(x_shape=(2, 9, 9, 5), out_c=5, k=5, stride=1, padding="VALID", dilation=2, activation="RELU"),
], ids=["3x3", "multiplier2", "dilated-relu"])
def test_depthwise_conv_2d_answers_like_litert(case):
    rng = np.random.default_rng(len(str(case)))
    model = conv_model(rng, depthwise=True, **case)
    x = images(rng, case["x_shape"])
    x[0] = np.abs(x[0])  # an all-positive image: its zero point at the bottom of the grid
    assert_like_litert(model, x)


# ---- refused: what edgenet cannot answer like LiteRT ------------------------------------------------


def test_depthwise_with_one_weight_scale_is_refused():
    rng = np.random.default_rng(1)
    model = conv_model(rng, (1, 5, 5, 4), 4, 3, 1, "SAME", per_channel=False, depthwise=True)
    with pytest.raises(TFLiteImportError, match="DEPTHWISE_CONV_2D.*one weight scale per channel"):
        edgenet.convert(model)


def test_nonzero_weight_zero_points_are_refused():
    b = TFLiteBuilder()
    x = b.tensor("x", (2, 4))
    w = b.tensor("w", (3, 4), data=np.ones((3, 4), np.int8), scale=[0.1], zero_point=[3])
    y = b.tensor("y", (2, 3))
    b.op("FULLY_CONNECTED", [x, w, -1], [y], "FullyConnectedOptions")
    with pytest.raises(TFLiteImportError, match="FULLY_CONNECTED.*nonzero zero points"):
        edgenet.convert(b.finish([x], [y]))


def test_dynamic_range_transpose_conv_and_batch_matmul_are_refused():
    """LiteRT runs both with hybrid kernels (measured: 0.6% from the float result), which edgenet lacks."""
    b = TFLiteBuilder()
    x = b.tensor("x", (1, 4, 4, 3))
    shape = b.tensor("shape", (4,), data=np.array([1, 8, 8, 2], np.int32))
    w = b.tensor("w", (2, 3, 3, 3), data=np.ones((2, 3, 3, 3), np.int8), scale=[0.1, 0.2], axis=0)
    y = b.tensor("y", (1, 8, 8, 2))
    b.op("TRANSPOSE_CONV", [shape, w, x], [y], "TransposeConvOptions", padding="SAME", stride_w=2, stride_h=2)
    with pytest.raises(TFLiteImportError, match="dynamic-range TRANSPOSE_CONV"):
        edgenet.convert(b.finish([x], [y]))
    b = TFLiteBuilder()
    x = b.tensor("x", (2, 3, 8))
    w = b.tensor("w", (8, 5), data=np.ones((8, 5), np.int8), scale=[0.1])
    y = b.tensor("y", (2, 3, 5))
    b.op("BATCH_MATMUL", [x, w], [y], "BatchMatMulOptions")
    with pytest.raises(TFLiteImportError, match="dynamic-range BATCH_MATMUL"):
        edgenet.convert(b.finish([x], [y]))


# ---- the C core against the numpy reference, every mode ------------------------------------------

MODES = ["onnx_tensor", "xnnpack_row", "xnnpack_batch", "tflite_batch"]


def hybrid_layer(op, mode, rng, activation=None):
    g = edgenet.Graph(op)
    if op == "fully_connected":
        x, w, axis = g.input("x", (3, 2, 20)), rng.integers(-128, 128, (7, 20)).astype(np.int8), 0
    else:
        x = g.input("x", (2, 6, 7, 4))
        w = rng.integers(-128, 128, (5, 3, 3, 4) if op == "conv2d" else (1, 3, 3, 8)).astype(np.int8)
        axis = 0 if op == "conv2d" else 3
    n = w.shape[axis]
    zero_point = rng.integers(-5, 6, n) if mode == "onnx_tensor" else np.zeros(n, np.int64)
    weights = Tensor(g, "w", w.shape, "int8", data=w,
                     quant=QuantParams(rng.uniform(0.001, 0.02, n).astype(np.float32), zero_point, axis))
    extra = {} if op == "fully_connected" else {"padding": "same", "strides": 2 if op == "conv2d" else 1}
    y = getattr(g, op)(x, weights, rng.normal(0, 1, n).astype(np.float32), activation=activation, **extra)
    y.producer.attrs = dict(y.producer.attrs, hybrid_quantization=mode)
    g.output(y, "y")
    return g, x.shape


# Every op with every mode it accepts (a conv refuses xnnpack_row: test_row_quantization_of_a_conv_is_refused).
@pytest.mark.parametrize("op,mode", [(op, mode) for op in ["fully_connected", "conv2d", "depthwise_conv2d"]
                                     for mode in MODES if mode != "xnnpack_row" or op == "fully_connected"])
def test_c_core_matches_the_numpy_reference_bit_for_bit(op, mode):
    rng = np.random.default_rng(MODES.index(mode))
    g, shape = hybrid_layer(op, mode, rng, activation="relu6")
    data = edgenet.convert(g).to_bytes()
    for threads in (1, 2):
        interp = edgenet.Interpreter(data, num_threads=threads)
        for x in (images(rng, shape), np.zeros(shape, np.float32), np.abs(images(rng, shape)),
                  np.where(rng.random(shape) < 0.05, 1e6, images(rng, shape)).astype(np.float32)):
            np.testing.assert_array_equal(interp.run({"x": x})["y"], edgenet.reference.run(g, {"x": x})["y"])


def test_row_quantization_of_a_conv_is_refused():
    g, _ = hybrid_layer("conv2d", "xnnpack_row", np.random.default_rng(0))
    with pytest.raises((ValueError, RuntimeError), match="XNNPACK_ROW is for fully connected"):
        edgenet.Interpreter(edgenet.convert(g).to_bytes())


def test_unknown_hybrid_quantization_in_a_file_is_refused(monkeypatch):
    """A hostile file: Operator.hybrid_quantization out of the enum's range."""
    from edgenet._schema import edgenet_generated as S

    monkeypatch.setattr(S.HybridQuantization, "HOSTILE", 77, raising=False)
    g, _ = hybrid_layer("fully_connected", "hostile", np.random.default_rng(0))
    with pytest.raises((ValueError, RuntimeError), match="unknown hybrid_quantization 77"):
        edgenet.Interpreter(edgenet.convert(g).to_bytes())
