"""The Python graph API contract (issue 2): builders, shape inference, overloading, errors."""
import inspect
import os

import numpy as np
import pytest

import edgenet

THIS_FILE = os.path.abspath(__file__)


def rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def test_issue_contract_block_shapes():
    rng = np.random.default_rng(0)
    g = edgenet.Graph("block")
    x = g.input("image", shape=(1, 32, 32, 3))
    y = g.conv2d(x, rand(rng, 16, 3, 3, 3), rand(rng, 16), strides=2, padding="same", activation="relu6")
    assert y.shape == (1, 16, 16, 16) and y.dtype == "float32"
    y = g.depthwise_conv2d(y, rand(rng, 1, 3, 3, 16), rand(rng, 16), padding="same", activation="relu")
    assert y.shape == (1, 16, 16, 16)
    z = g.conv2d(y, rand(rng, 16, 1, 1, 16), rand(rng, 16), padding="valid")
    y = y + z
    assert y.producer.op == "add"
    y = g.mean(y, axis=(1, 2))
    assert y.shape == (1, 16)
    y = g.fully_connected(y, rand(rng, 10, 16), rand(rng, 10))
    probs = g.output(g.softmax(y), "probs")
    assert probs.name == "probs" and probs.shape == (1, 10)
    assert [n.op for n in g.nodes] == ["conv2d", "depthwise_conv2d", "conv2d", "add", "mean",
                                       "fully_connected", "softmax"]
    assert [t.name for t in g.outputs] == ["probs"] and [t.name for t in g.inputs] == ["image"]


@pytest.mark.parametrize("build,expected", [
    (lambda g, x: g.conv2d(x, np.zeros((4, 3, 3, 5)), strides=2, padding="valid"), (1, 5, 6, 4)),
    (lambda g, x: g.conv2d(x, np.zeros((4, 3, 3, 5)), dilation=2, padding="same"), (1, 11, 13, 4)),
    (lambda g, x: g.conv2d(x, np.zeros((4, 3, 2, 5)), padding=((1, 0), (2, 3))), (1, 10, 17, 4)),
    (lambda g, x: g.conv2d(x, np.zeros((4, 1, 1, 5)), strides=3, padding=(0, 0, 0, 0)), (1, 4, 5, 4)),
    (lambda g, x: g.depthwise_conv2d(x, np.zeros((1, 3, 3, 10)), strides=(2, 3), padding="same"), (1, 6, 5, 10)),
    (lambda g, x: g.max_pool2d(x, 2), (1, 5, 6, 5)),
    (lambda g, x: g.avg_pool2d(x, 3, strides=2, padding="same"), (1, 6, 7, 5)),
    (lambda g, x: g.mean(x, axis=-1, keepdims=True), (1, 11, 13, 1)),
    (lambda g, x: g.reshape(x, (-1, 5)), (143, 5)),
    (lambda g, x: g.transpose(x, (0, 3, 1, 2)), (1, 5, 11, 13)),
    (lambda g, x: g.concat([x, x], axis=-1), (1, 11, 13, 10)),
    (lambda g, x: g.pad(x, [(0, 0), (1, 1), (2, 0), (0, 3)]), (1, 13, 15, 8)),
    (lambda g, x: g.fully_connected(x, np.zeros((7, 5))), (1, 11, 13, 7)),
    (lambda g, x: x * np.ones(5) - 1.0, (1, 11, 13, 5)),
    (lambda g, x: g.hard_swish(g.clip(x, min=0.0, max=1.0)), (1, 11, 13, 5)),
])
def test_shape_inference(build, expected):
    g = edgenet.Graph("shapes")
    x = g.input("x", (1, 11, 13, 5))
    y = build(g, x)
    assert y.shape == expected
    # The shape rule agrees with what the numpy reference computes.
    g.output(y, "y")
    feed = np.random.default_rng(1).standard_normal((1, 11, 13, 5)).astype(np.float32)
    assert edgenet.reference.run(g, {"x": feed})["y"].shape == expected


def test_shape_mismatch_names_op_shapes_and_user_line():
    g = edgenet.Graph("bad")
    a = g.input("a", (1, 4, 4, 16))
    b = g.input("b", (1, 4, 4, 8))
    line = inspect.currentframe().f_lineno + 2  # the `a + b` line below
    with pytest.raises(ValueError) as info:
        a + b  # noqa: B018 - the line the error must point at
    message = str(info.value)
    assert message.startswith("add:")
    assert "(1, 4, 4, 16)" in message and "(1, 4, 4, 8)" in message
    assert f"{THIS_FILE}:{line}" in message


@pytest.mark.parametrize("build,fragments", [
    (lambda g, x: g.conv2d(x, np.zeros((4, 3, 3, 2))), ["conv2d:", "(4, 3, 3, 2)", "(1, 8, 8, 3)", "channels"]),
    (lambda g, x: g.conv2d(x, np.zeros((4, 3, 3, 3)), np.zeros(5)), ["conv2d:", "bias", "(4,)", "(5,)"]),
    (lambda g, x: g.conv2d(x, np.zeros((4, 3, 3))), ["conv2d:", "weights", "rank 4"]),
    (lambda g, x: g.conv2d(x, np.zeros((4, 3, 3, 3)), groups=2), ["conv2d:", "groups=2"]),
    (lambda g, x: g.conv2d(x, np.zeros((4, 3, 3, 3)), padding="full"), ["conv2d:", "padding", "full"]),
    (lambda g, x: g.conv2d(x, np.zeros((4, 3, 3, 3)), strides=0), ["conv2d:", "strides"]),
    (lambda g, x: g.conv2d(x, np.zeros((4, 3, 3, 3)), activation="gelu"), ["conv2d:", "activation", "gelu"]),
    (lambda g, x: g.conv2d(x, np.zeros((4, 9, 9, 3))), ["conv2d:", "does not fit"]),
    (lambda g, x: g.depthwise_conv2d(x, np.zeros((1, 3, 3, 4))), ["depthwise_conv2d:", "(1, 3, 3, 4)", "3*multiplier"]),
    (lambda g, x: g.fully_connected(x, np.zeros((4, 5))), ["fully_connected:", "(4, 5)", "(1, 8, 8, 3)"]),
    (lambda g, x: g.reshape(x, (5, -1)), ["reshape:", "(1, 8, 8, 3)"]),
    (lambda g, x: g.reshape(x, (2, 3)), ["reshape:", "192 elements"]),
    (lambda g, x: g.transpose(x, (0, 1, 2)), ["transpose:", "perm"]),
    (lambda g, x: g.concat([x, np.zeros((1, 8, 7, 3))], axis=3), ["concat:", "(1, 8, 7, 3)"]),
    (lambda g, x: g.mean(x, axis=4), ["mean:", "axis 4"]),
    (lambda g, x: g.pad(x, [(1, 1)]), ["pad:", "1 (before, after) pairs"]),
    (lambda g, x: g.max_pool2d(x, 2, padding=(2, 0, 0, 0)), ["max_pool2d:", "smaller than the pool size"]),
    (lambda g, x: g.batch_norm(x, mean=np.zeros(4), variance=np.ones(4)), ["batch_norm:", "mean", "(3,)", "(4,)"]),
    (lambda g, x: g.clip(x, min=2.0, max=1.0), ["clip:", "min <= max"]),
    (lambda g, x: g.softmax(x, axis=5), ["softmax:", "axis 5"]),
    (lambda g, x: g.add(x, np.array(["a"])), ["constant", "dtype"]),
])
def test_bad_arguments_raise_clear_value_errors(build, fragments):
    g = edgenet.Graph("bad")
    x = g.input("x", (1, 8, 8, 3))
    with pytest.raises(ValueError) as info:
        build(g, x)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert f"{THIS_FILE}:" in str(info.value)


def test_operator_overloading_with_arrays_and_scalars():
    g = edgenet.Graph("ops")
    x = g.input("x", (2, 3))
    c = np.arange(3, dtype=np.float32)
    y = ((x + c) * 2 - 1.0)
    y = 10.0 - y
    y = c * y + (-x)
    g.output(y, "y")
    feed = np.random.default_rng(2).standard_normal((2, 3)).astype(np.float32)
    expected = c * (10.0 - ((feed + c) * 2 - 1.0)) - feed
    np.testing.assert_allclose(edgenet.reference.run(g, {"x": feed})["y"], expected, rtol=1e-6)
    assert all(n.op in ("add", "sub", "mul") for n in g.nodes)
    assert all(t.dtype == "float32" for t in g.tensors)  # float64 arrays/ints become float32 constants


def test_broadcasting_shapes():
    g = edgenet.Graph("bc")
    a = g.input("a", (5, 1, 7))
    assert (a + g.input("b", (3, 1))).shape == (5, 3, 7)
    assert (a * np.ones((1, 7))).shape == (5, 1, 7)
    with pytest.raises(ValueError, match=r"\(5, 1, 7\) and \(4,\)"):
        a - np.ones(4)


def test_dynamic_batch():
    g = edgenet.Graph("dyn")
    x = g.input("x", (None, 8, 8, 3))
    assert g.input("x2", (-1, 4)).shape == (None, 4)
    y = g.conv2d(x, np.zeros((4, 3, 3, 3)), padding="same")
    assert y.shape == (None, 8, 8, 4)
    assert g.reshape(y, (-1, 256)).shape == (None, 256)
    assert g.mean(y, axis=(1, 2)).shape == (None, 4)
    assert g.input("open", (1, None, 3)).shape == (1, None, 3)  # any dim may be open (issue 16 item 4)
    with pytest.raises(ValueError, match="positive ints, or None"):
        g.input("bad", (1, -2, 3))


def test_input_validation():
    g = edgenet.Graph("inputs")
    g.input("x", (1, 2))
    with pytest.raises(ValueError, match="already used"):
        g.input("x", (1, 2))
    with pytest.raises(ValueError, match="dtype int8"):
        g.input("q", (1, 2), dtype="int8")
    with pytest.raises(ValueError, match="positive"):
        g.input("z", (1, 0))


def test_output_validation_and_naming():
    g = edgenet.Graph("outs")
    x = g.input("x", (1, 2))
    y = g.relu(x)
    with pytest.raises(ValueError, match="not computed by any op"):
        g.output(x, "same_as_input")
    with pytest.raises(ValueError, match="already used"):
        g.output(y, "x")
    g.output(y, "y")
    with pytest.raises(ValueError, match="already an output"):
        g.output(y, "y2")
    other = edgenet.Graph("other")
    with pytest.raises(ValueError, match="belongs to graph 'outs'"):
        other.relu(y)


def test_copy_is_independent():
    g = edgenet.Graph("orig")
    x = g.input("x", (1, 4))
    g.output(g.relu(x * np.ones(4)), "y")
    clone = g.copy()
    assert [n.op for n in clone.nodes] == [n.op for n in g.nodes]
    assert all(t.graph is clone for t in clone.tensors)
    assert not {id(t) for t in clone.tensors} & {id(t) for t in g.tensors}
    clone.nodes.pop()
    clone.nodes[0].attrs["activation"] = "relu"
    assert len(g.nodes) == 2 and g.nodes[0].attrs["activation"] is None


def test_unknown_op_and_builder_help():
    g = edgenet.Graph("h")
    with pytest.raises(ValueError, match="unknown op .frobnicate."):
        g.add_node("frobnicate", [], {})
    assert "OHWI" in edgenet.Graph.conv2d.__doc__

