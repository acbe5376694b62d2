"""Serializer: graph -> .enet bytes -> edgenet.load round trip, file layout, metadata, errors."""
import struct

import numpy as np
import pytest

import edgenet
from edgenet.converters import FORMAT_VERSION


def rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def build_graph(rng):
    g = edgenet.Graph("roundtrip")
    x = g.input("image", (None, 9, 9, 3))
    w1, b1 = rand(rng, 5, 3, 3, 3), rand(rng, 5)
    y = g.conv2d(x, w1, b1, strides=2, padding="same", activation="relu6")
    y = g.depthwise_conv2d(y, rand(rng, 1, 3, 3, 10), None, dilation=2, padding=(1, 2, 0, 1), activation="relu")
    y = g.batch_norm(y, mean=rand(rng, 10), variance=rng.uniform(0.5, 1, 10), scale=rand(rng, 10),
                     offset=rand(rng, 10))
    y = g.avg_pool2d(y, (2, 3), strides=1, padding="same", count_include_pad=True)
    y = g.pad(g.clip(y, min=-1.0, max=2.0), [(0, 0), (1, 0), (0, 2), (0, 0)], constant_value=0.25)
    y = g.transpose(g.mean(y, axis=(1, 2), keepdims=True), (0, 3, 1, 2))
    y = g.reshape(y, (-1, 10))
    y = g.concat([y, g.tanh(y)], axis=-1)
    logits = g.fully_connected(y, rand(rng, 4, 20), rand(rng, 4))
    g.output(g.softmax(logits, beta=0.5), "probs")
    g.output(g.hard_swish(logits), "features")
    return g, w1, b1


def test_round_trip_structure():
    rng = np.random.default_rng(0)
    g, w1, b1 = build_graph(rng)
    model = edgenet.convert(g, metadata={"labels": "a,b,c,d", "author": "tests"})
    loaded = edgenet.load(model.to_bytes())

    assert loaded.version == FORMAT_VERSION
    assert loaded.producer == f"edgenet {edgenet.__version__}"
    # convert adds the op counts (edgenet.ops_*_optimization, tested in test_passes.py).
    user_metadata = {k: v for k, v in loaded.metadata.items() if not k.startswith("edgenet.")}
    assert user_metadata == {"labels": "a,b,c,d", "author": "tests"}
    assert loaded.name == "roundtrip"
    assert [t.name for t in loaded.inputs] == ["image"] and loaded.inputs[0].shape == (-1, 9, 9, 3)
    assert [t.name for t in loaded.outputs] == ["probs", "features"]
    assert loaded.outputs[0].shape == (-1, 4)

    # batch_norm has no opcode: it is lowered to MUL + ADD.
    assert [op.opcode for op in loaded.operators] == [
        "CONV_2D", "DEPTHWISE_CONV_2D", "MUL", "ADD", "AVG_POOL_2D", "CLIP", "PAD", "MEAN", "TRANSPOSE",
        "RESHAPE", "TANH", "CONCAT", "FULLY_CONNECTED", "SOFTMAX", "HARD_SWISH"]
    conv, dw, _, _, pool, clip, pad, mean, transpose, reshape, _, concat, fc, softmax, _ = loaded.operators
    # "same" resolved with the TFLite rule: 9 -> 5 with stride 2, total pad 2 -> (1, 1)
    assert conv.options == {"stride_h": 2, "stride_w": 2, "dilation_h": 1, "dilation_w": 1, "pad_top": 1,
                            "pad_bottom": 1, "pad_left": 1, "pad_right": 1, "depth_multiplier": 1}
    assert conv.activation == "relu6" and dw.activation == "relu" and fc.activation == "none"
    assert dw.options["depth_multiplier"] == 2 and dw.options["dilation_h"] == 2
    assert (dw.options["pad_top"], dw.options["pad_bottom"], dw.options["pad_left"], dw.options["pad_right"]) == \
        (1, 2, 0, 1)
    assert dw.inputs[2] == -1  # absent bias
    # pool 2x3 stride 1 "same": total pads (1, 2) -> top 0, bottom 1, left 1, right 1
    assert pool.options == {"filter_h": 2, "filter_w": 3, "stride_h": 1, "stride_w": 1, "pad_top": 0,
                            "pad_bottom": 1, "pad_left": 1, "pad_right": 1, "count_include_pad": True,
                            "tflite_int8_average": False}
    assert clip.options == {"min": -1.0, "max": 2.0}
    assert pad.options == {"paddings": [0, 0, 1, 0, 0, 2, 0, 0], "constant_value": 0.25, "mode": 0}  # 0 = CONSTANT
    assert mean.options == {"axes": [1, 2], "keep_dims": True}
    assert transpose.options == {"perm": [0, 3, 1, 2]}
    assert reshape.options == {"new_shape": [-1, 10]}
    assert concat.options == {"axis": 1}
    assert softmax.options == {"axis": 1, "beta": 0.5}

    # Wiring: each op reads tensors that are inputs, constants or earlier outputs.
    available = {t.index for t in loaded.inputs} | {t.index for t in loaded.tensors if t.buffer >= 0}
    for op in loaded.operators:
        assert all(i == -1 or i in available for i in op.inputs), op.name
        available.update(op.outputs)

    # Constant data survives bit-exactly, and the conv reads the weights the user passed.
    tensors = loaded.tensors
    np.testing.assert_array_equal(tensors[conv.inputs[1]].data, w1)
    np.testing.assert_array_equal(tensors[conv.inputs[2]].data, b1)
    assert loaded.parameter_count == sum(t.data.size for t in tensors if t.buffer >= 0)


def test_constant_data_is_64_byte_aligned_after_the_flatbuffer():
    g, _, _ = build_graph(np.random.default_rng(1))
    data = edgenet.convert(g).to_bytes()
    assert data[4:8] == b"ENET"
    loaded = edgenet.load(data)
    root_offset = struct.unpack_from("<I", data, 0)[0]
    ends = []
    for offset, size in loaded.buffers:
        assert offset % 64 == 0 and offset > root_offset
        assert offset + size <= len(data)
        ends.append((offset, offset + size))
    ends.sort()
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(ends, ends[1:]))  # no overlap


def test_save_and_load_from_path(tmp_path):
    g, _, _ = build_graph(np.random.default_rng(2))
    model = edgenet.convert(g)
    path = tmp_path / "model.enet"
    model.save(str(path))
    assert path.read_bytes() == model.to_bytes()
    loaded = edgenet.load(path)
    assert loaded.to_bytes() == model.to_bytes() and loaded.size == path.stat().st_size


def test_conversion_is_deterministic_and_leaves_graph_untouched():
    g, _, _ = build_graph(np.random.default_rng(3))
    ops_before = [n.op for n in g.nodes]
    assert edgenet.convert(g).to_bytes() == edgenet.convert(g).to_bytes()
    assert [n.op for n in g.nodes] == ops_before  # batch_norm is lowered on a copy


def test_dead_nodes_are_dropped_only_when_optimizing():
    g = edgenet.Graph("dead")
    x = g.input("x", (1, 4))
    g.sigmoid(x)  # unused
    g.output(g.relu(x), "y")
    assert [op.opcode for op in edgenet.convert(g).operators] == ["RELU"]
    assert [op.opcode for op in edgenet.convert(g, optimize=False).operators] == ["SIGMOID", "RELU"]


def test_quantization_params_are_written():
    g = edgenet.Graph("q")
    x = g.input("x", (1, 3))
    y = g.relu(x)
    y.quant = edgenet.graph.QuantParams(scale=np.array([0.5, 0.25], np.float32), zero_point=np.array([3, -2]), axis=1)
    g.output(y, "y")
    t = edgenet.load(edgenet.convert(g).to_bytes()).outputs[0]
    np.testing.assert_array_equal(t.quantization["scale"], [0.5, 0.25])
    np.testing.assert_array_equal(t.quantization["zero_point"], [3, -2])
    assert t.quantization["axis"] == 1


def test_graph_without_outputs_is_rejected():
    g = edgenet.Graph("empty")
    g.input("x", (1, 3))
    with pytest.raises(ValueError, match="no outputs"):
        edgenet.convert(g)


@pytest.mark.parametrize("corrupt", [
    lambda d: b"",
    lambda d: d[:6],
    lambda d: d[:4] + b"XXXX" + d[8:],
    lambda d: d[:40],
    lambda d: d[: len(d) // 2],
])
def test_load_rejects_bad_bytes_with_value_error(corrupt):
    g, _, _ = build_graph(np.random.default_rng(4))
    with pytest.raises(ValueError, match="edgenet model"):
        edgenet.load(corrupt(edgenet.convert(g).to_bytes()))


def test_load_never_crashes_on_flipped_bytes():
    g, _, _ = build_graph(np.random.default_rng(5))
    data = bytearray(edgenet.convert(g).to_bytes())
    rng = np.random.default_rng(6)
    flatbuffer_end = min(offset for offset, _ in edgenet.load(bytes(data)).buffers)
    for _ in range(200):
        bad = bytearray(data)
        for pos in rng.integers(0, flatbuffer_end, size=4):
            bad[pos] ^= int(rng.integers(1, 256))
        try:
            edgenet.load(bytes(bad))
        except ValueError:
            pass  # a clear rejection is fine; anything else (crash, other exception) fails the test


@pytest.mark.parametrize("where", ["input", "output", "metadata"])
def test_nul_byte_in_a_name_is_refused_at_conversion_naming_it(where):
    """The file stores names as C strings; an imported name with a NUL would be cut short, so
    conversion refuses it (the loader refuses such a file too, later and less helpfully)."""
    g = edgenet.Graph("nul")
    x = g.input("a\0b" if where == "input" else "x", (1, 4))
    g.output(g.relu(x), "y\0z" if where == "output" else "y")
    with pytest.raises(ValueError, match=r"contains a NUL byte"):
        edgenet.convert(g, metadata={"note\0": "v"} if where == "metadata" else None)
