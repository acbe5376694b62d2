"""Optimization passes (converters/passes.py): each pass on graphs built to contain its pattern
and on near-misses where it must not fire.

Every case checks three things: the rewritten graph computes the same as the original on the
numpy reference executor (rel 1e-5), the pattern is gone (or, for a near-miss, still there), and
the C core runs the rewritten graph's file to the original graph's reference result.
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import edgenet
from edgenet.converters import passes

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "digits"


def rand(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def bn_params(rng, c):
    return {"mean": rand(rng, c, scale=0.3), "variance": rng.uniform(0.5, 1.5, c).astype(np.float32),
            "scale": rng.uniform(0.5, 1.5, c).astype(np.float32), "offset": rand(rng, c, scale=0.3)}


def rewritten(g, *pass_fns):
    """A copy of `g` rewritten by `pass_fns` then dead-code elimination (all of optimize() if none)."""
    h = g.copy()
    if pass_fns:
        for run_pass in pass_fns:
            run_pass(h)
        passes.eliminate_dead_nodes(h)
    else:
        passes.optimize(h)
    return h


def ops(g):
    return [n.op for n in g.nodes]


def check_same_function(g, h, seed=0):
    """h (rewritten g) equals g on the reference executor, and h's file in the C core equals it too."""
    rng = np.random.default_rng(seed)
    # scale 3: values beyond 6 exercise relu6's upper clamp
    feeds = {t.name: rand(rng, *[2 if d is None else d for d in t.shape], scale=3.0) for t in g.inputs}
    expected = edgenet.reference.run(g, feeds)
    got = edgenet.reference.run(h, feeds)
    assert list(got) == list(expected)  # same output names, same order
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, atol=1e-6, err_msg=name)
    native = edgenet.Interpreter(edgenet.convert(h, optimize=False).to_bytes()).run(feeds)
    for name in expected:
        np.testing.assert_allclose(native[name], expected[name], rtol=1e-4, atol=1e-5, err_msg=name)


# ---- constant folding ---------------------------------------------------------------------------


def test_constant_subgraphs_are_folded():
    rng = np.random.default_rng(1)
    g = edgenet.Graph("consts")
    x = g.input("x", (1, 6, 6, 3))
    weights_ihwo = g.constant(rand(rng, 3, 3, 3, 4), "w_ihwo")
    weights = g.transpose(weights_ihwo, (3, 1, 2, 0))  # IHWO -> OHWI, computed from constants only
    bias = g.constant(rand(rng, 4)) * 0.5 + 1.0
    y = g.conv2d(x, weights, bias, padding="same")
    g.output(g.tanh(y), "y")
    h = rewritten(g, passes.fold_constants)
    assert ops(h) == ["conv2d", "tanh"]
    conv = h.nodes[0]
    assert conv.inputs[1].is_constant and conv.inputs[2].is_constant
    check_same_function(g, h)


def test_constant_folding_keeps_graph_outputs_and_growing_results():
    rng = np.random.default_rng(2)
    g = edgenet.Graph("consts")
    x = g.input("x", (8, 8))
    g.output(g.add(g.constant(rand(rng, 4)), g.constant(rand(rng, 4))), "constant_output")
    # (8, 1) + (1, 8) -> (8, 8): folding would store a larger constant than its inputs.
    grid = g.add(g.constant(rand(rng, 8, 1)), g.constant(rand(rng, 1, 8)))
    g.output(x * grid, "y")
    h = rewritten(g, passes.fold_constants)
    assert ops(h) == ops(g) == ["add", "add", "mul"]
    check_same_function(g, h)


# ---- batch norm folding -------------------------------------------------------------------------


def weighted_op(g, rng, kind, x, bias=True, activation=None):
    """conv2d / depthwise_conv2d (multiplier 2) / fully_connected on x, random constant weights."""
    channels = x.shape[-1]
    if kind == "conv2d":
        return g.conv2d(x, rand(rng, 5, 3, 3, channels), rand(rng, 5) if bias else None, padding="same",
                        activation=activation)
    if kind == "depthwise_conv2d":
        return g.depthwise_conv2d(x, rand(rng, 1, 3, 3, 2 * channels), rand(rng, 2 * channels) if bias else None,
                                  strides=2, padding="same", activation=activation)
    return g.fully_connected(x, rand(rng, 5, channels), rand(rng, 5) if bias else None, activation=activation)


def input_for(g, kind):
    return g.input("x", (None, 7, 6, 3) if kind != "fully_connected" else (None, 3))


@pytest.mark.parametrize("kind", ["conv2d", "depthwise_conv2d", "fully_connected"])
@pytest.mark.parametrize("bias", [True, False])
def test_batch_norm_folds_into_weights(kind, bias):
    rng = np.random.default_rng(3)
    g = edgenet.Graph("bn")
    y = weighted_op(g, rng, kind, input_for(g, kind), bias=bias)
    g.output(g.batch_norm(y, **bn_params(rng, y.shape[-1]), epsilon=1e-3), "y")
    h = rewritten(g, passes.fold_batch_norm)
    assert ops(h) == [kind]
    assert h.nodes[0].inputs[2] is not None  # a bias is created when absent
    assert [t.name for t in h.outputs] == ["y"]
    check_same_function(g, h)


@pytest.mark.parametrize("kind", ["conv2d", "depthwise_conv2d", "fully_connected"])
def test_per_channel_mul_and_add_fold_into_weights(kind):
    """Imported models spell batch norm as mul + add (either operand order, or sub)."""
    rng = np.random.default_rng(4)
    g = edgenet.Graph("affine")
    y = weighted_op(g, rng, kind, input_for(g, kind))
    c = y.shape[-1]
    y = rand(rng, c) * y                                   # (C,) constant on the left
    y = y + rand(rng, *([1] * (y.ndim - 1)), c)            # (1, ..., 1, C) constant
    y = g.sub(y, rand(rng, 1), activation="relu6")         # scalar-like constant; activation moves over
    g.output(y, "y")
    h = rewritten(g, passes.fold_batch_norm)
    assert ops(h) == [kind]
    assert h.nodes[0].attrs["activation"] == "relu6"
    check_same_function(g, h)


def test_batch_norm_near_misses_stay():
    rng = np.random.default_rng(5)
    g = edgenet.Graph("bn_near_miss")
    x = g.input("x", (1, 6, 6, 3))
    shared = g.conv2d(x, rand(rng, 4, 3, 3, 3), None, padding="same")       # two readers
    g.output(g.batch_norm(shared, **bn_params(rng, 4)), "bn_of_shared")
    g.output(g.tanh(shared), "tanh_of_shared")
    activated = g.conv2d(x, rand(rng, 4, 1, 1, 3), None, activation="relu")  # BN after relu != BN in weights
    g.output(g.batch_norm(activated, **bn_params(rng, 4)), "bn_of_activated")
    exported = g.conv2d(x, rand(rng, 4, 1, 1, 3), None)                     # conv output is a graph output
    g.output(exported, "conv_output")
    g.output(g.batch_norm(exported, **bn_params(rng, 4)), "bn_of_output")
    spatial = g.conv2d(x, rand(rng, 4, 1, 1, 3), None)                      # a per-row, not per-channel, mul
    g.output(g.mul(spatial, rand(rng, 1, 6, 1, 1)), "mul_by_rows")
    h = rewritten(g, passes.fold_batch_norm)
    assert ops(h) == ops(g)
    check_same_function(g, h)


# ---- activation fusion --------------------------------------------------------------------------

ACTIVATIONS = {  # builder -> the fused activation it must become
    "relu": (lambda g, y: g.relu(y), "relu"),
    "relu6": (lambda g, y: g.relu6(y), "relu6"),
    "clip(0,6)": (lambda g, y: g.clip(y, 0.0, 6.0), "relu6"),
    "clip(0,inf)": (lambda g, y: g.clip(y, min=0.0), "relu"),
}


def producer_op(g, rng, kind, x):
    if kind in ("add", "sub"):
        return getattr(g, kind)(x, rand(rng, *x.shape[1:]))
    return weighted_op(g, rng, kind, x)


@pytest.mark.parametrize("kind", ["conv2d", "depthwise_conv2d", "fully_connected", "add", "sub"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_activation_fuses_into_producer(kind, activation):
    rng = np.random.default_rng(6)
    g = edgenet.Graph("fuse")
    build, fused = ACTIVATIONS[activation]
    g.output(build(g, producer_op(g, rng, kind, input_for(g, kind))), "y")
    h = rewritten(g, passes.fuse_activations)
    assert ops(h) == [kind]
    assert h.nodes[0].attrs["activation"] == fused
    assert [t.name for t in h.outputs] == ["y"]  # the fused op writes the activation's output tensor
    check_same_function(g, h)


def test_activation_near_misses_stay():
    rng = np.random.default_rng(7)
    g = edgenet.Graph("fuse_near_miss")
    x = g.input("x", (1, 5, 5, 3))
    already = g.conv2d(x, rand(rng, 4, 1, 1, 3), None, activation="relu")
    g.output(g.relu6(already), "already_activated")
    shared = g.conv2d(x, rand(rng, 4, 1, 1, 3), None)
    g.output(g.relu(shared), "relu_of_shared")
    g.output(g.tanh(shared), "tanh_of_shared")
    g.output(g.clip(g.conv2d(x, rand(rng, 4, 1, 1, 3), None), 0.0, 5.0), "clip_to_5")
    g.output(g.clip(g.conv2d(x, rand(rng, 4, 1, 1, 3), None), -1.0, 6.0), "clip_from_minus_1")
    g.output(g.relu(g.max_pool2d(x, 2)), "relu_after_pool")  # pool has no fused activation
    h = rewritten(g, passes.fuse_activations)
    assert ops(h) == ops(g)
    check_same_function(g, h)


# ---- padding folding ----------------------------------------------------------------------------

ZERO_PAD = [(0, 0), (1, 2), (2, 1), (0, 0)]


@pytest.mark.parametrize("window", [
    lambda g, rng, y: g.conv2d(y, rand(rng, 4, 3, 3, 3), rand(rng, 4)),
    lambda g, rng, y: g.conv2d(y, rand(rng, 4, 3, 2, 3), None, strides=2, padding="same"),  # adds to "same"
    lambda g, rng, y: g.depthwise_conv2d(y, rand(rng, 1, 3, 3, 3), None, dilation=2),
    lambda g, rng, y: g.avg_pool2d(y, 3, strides=1, count_include_pad=False),  # no own padding: counts match
    lambda g, rng, y: g.avg_pool2d(y, 4, strides=2, padding=(1, 0, 0, 1), count_include_pad=True),
], ids=["conv", "conv_same", "depthwise", "avg_pool_valid", "avg_pool_include_pad"])
def test_zero_pad_folds_into_window_op(window):
    rng = np.random.default_rng(8)
    g = edgenet.Graph("pad")
    x = g.input("x", (1, 7, 8, 3))
    g.output(window(g, rng, g.pad(x, ZERO_PAD)), "y")
    h = rewritten(g, passes.fold_padding)
    assert "pad" not in ops(h) and len(h.nodes) == 1
    check_same_function(g, h)


def test_minus_infinity_pad_folds_into_max_pool():
    g = edgenet.Graph("pad")
    x = g.input("x", (1, 7, 8, 3))
    g.output(g.max_pool2d(g.pad(x, [(0, 0), (1, 0), (1, 1), (0, 0)], constant_value=-np.inf), 2), "y")
    h = rewritten(g, passes.fold_padding)
    assert ops(h) == ["max_pool2d"]
    check_same_function(g, h)


def test_padding_near_misses_stay():
    rng = np.random.default_rng(9)
    g = edgenet.Graph("pad_near_miss")
    x = g.input("x", (1, 7, 8, 3))
    g.output(g.conv2d(g.pad(x, ZERO_PAD, constant_value=0.5), rand(rng, 2, 3, 3, 3)), "nonzero_value")
    g.output(g.conv2d(g.pad(x, [(0, 0), (1, 1), (1, 1), (0, 1)]), rand(rng, 2, 3, 3, 4)), "channel_pad")
    g.output(g.max_pool2d(g.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)]), 2), "max_pool_zero_pad")
    g.output(g.max_pool2d(g.pad(x, [(0, 0), (2, 0), (0, 0), (0, 0)], constant_value=-np.inf), 2),
             "max_pool_pad_as_big_as_window")  # folded, a window would hold padding only
    g.output(g.avg_pool2d(g.pad(x, [(0, 0), (1, 0), (0, 1), (0, 0)]), 3, strides=2, padding=(1, 1, 1, 1)),
             "avg_pool_excluding_own_padding")  # would count the pad's zeros but not its own padding
    h = rewritten(g, passes.fold_padding)
    assert ops(h).count("pad") == 5
    h_outputs = edgenet.reference.run(h, {"x": rand(rng, 1, 7, 8, 3)})
    assert np.isneginf(h_outputs["max_pool_pad_as_big_as_window"]).any()  # why it must stay
    check_same_function(g, h)


# ---- identity ops -------------------------------------------------------------------------------


@pytest.mark.parametrize("identity", [
    lambda g, y: g.reshape(y, (-1, 4, 5)),
    lambda g, y: g.transpose(y, (0, 1, 2)),
    lambda g, y: g.transpose(g.transpose(y, (0, 2, 1)), (0, 2, 1)),            # a pair that cancels
    lambda g, y: g.transpose(g.transpose(y, (1, 2, 0)), (2, 0, 1)),            # rotate and rotate back
    lambda g, y: g.reshape(g.reshape(y, (-1, 20)), (-1, 4, 5)),               # round trip via another shape
    lambda g, y: g.clip(y),
    lambda g, y: g.mul(y, np.ones((4, 5), np.float32)),
    lambda g, y: g.mul(np.ones(5, np.float32), y),
    lambda g, y: g.add(y, np.zeros((1, 1, 5), np.float32)),
    lambda g, y: g.sub(y, 0.0),
    lambda g, y: g.pad(y, [(0, 0)] * 3),
], ids=["reshape", "transpose", "transpose_pair", "transpose_rotations", "reshape_pair", "clip", "mul_1",
        "1_mul", "add_0", "sub_0", "pad_0"])
def test_identity_ops_are_removed(identity):
    rng = np.random.default_rng(10)
    g = edgenet.Graph("identity")
    x = g.input("x", (None, 4, 5))
    y = g.tanh(x)
    y = identity(g, y)
    g.output(g.sigmoid(y), "y")
    g.output(identity(g, g.tanh(y * 2.0)), "identity_is_output")  # the output name must survive
    h = rewritten(g, passes.remove_identity_ops)
    assert ops(h) == ["tanh", "sigmoid", "mul", "tanh"]
    assert [t.name for t in h.outputs] == ["y", "identity_is_output"]
    check_same_function(g, h)


def test_consecutive_reshapes_and_transposes_merge():
    g = edgenet.Graph("merge")
    x = g.input("x", (None, 4, 6))
    g.output(g.reshape(g.reshape(g.tanh(x), (-1, 24)), (-1, 2, 12)), "reshaped")
    g.output(g.transpose(g.transpose(g.tanh(x), (0, 2, 1)), (1, 0, 2)), "transposed")
    h = rewritten(g, passes.remove_identity_ops)
    assert ops(h) == ["tanh", "reshape", "tanh", "transpose"]
    assert h.nodes[1].inputs[0] is h.nodes[0].outputs[0] and h.nodes[1].attrs["new_shape"] == (-1, 2, 12)
    assert h.nodes[3].attrs["perm"] == (2, 0, 1)
    check_same_function(g, h)


def test_identity_near_misses_stay():
    g = edgenet.Graph("identity_near_miss")
    x = g.input("x", (1, 4, 5))
    y = g.tanh(x)
    g.output(g.mul(y, np.ones((3, 4, 5), np.float32)), "broadcasts_up")  # changes the shape
    g.output(g.sub(0.0, y), "zero_minus")
    g.output(g.add(y, 0.0, activation="relu"), "add_0_then_relu")
    g.output(g.mul(y, np.full(5, 1.0 + 1e-6, np.float32)), "almost_1")
    g.output(g.clip(y, max=0.5), "clip_one_side")
    g.output(g.reshape(x, (1, 4, 5)), "input_reshaped")  # an output cannot become the graph input
    h = rewritten(g, passes.remove_identity_ops)
    assert ops(h) == ops(g)
    check_same_function(g, h)


# ---- dead code ----------------------------------------------------------------------------------


def test_dead_nodes_are_removed():
    g = edgenet.Graph("dead")
    x = g.input("x", (2, 3))
    g.tanh(g.sigmoid(x))  # feeds no output
    g.output(g.relu6(x), "y")
    h = rewritten(g, passes.eliminate_dead_nodes)
    assert ops(h) == ["relu6"]
    check_same_function(g, h)


# ---- the whole pipeline -------------------------------------------------------------------------


def test_pad_conv_batch_norm_relu_becomes_one_conv():
    rng = np.random.default_rng(11)
    g = edgenet.Graph("chain")
    x = g.input("x", (1, 9, 9, 3))
    y = g.conv2d(g.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)]), rand(rng, 6, 3, 3, 3), None, strides=2)
    y = g.relu(g.batch_norm(y, **bn_params(rng, 6)))
    g.output(g.reshape(g.transpose(y, (0, 1, 2, 3)), (1, 5, 5, 6)), "y")
    h = rewritten(g)
    assert ops(h) == ["conv2d"] and h.nodes[0].attrs["activation"] == "relu"
    assert h.nodes[0].attrs["padding"] == ((1, 1), (1, 1))
    check_same_function(g, h)


def mobilenet_style(rng):
    """Stem conv, an inverted residual block and a head, each conv followed by batch_norm + relu6."""
    g = edgenet.Graph("mobilenet_style")
    x = g.input("image", (None, 17, 15, 3))
    y = g.relu6(g.batch_norm(g.conv2d(x, rand(rng, 8, 3, 3, 3, scale=0.3), None, strides=2, padding="same"),
                             **bn_params(rng, 8)))
    shortcut = y
    y = g.relu6(g.batch_norm(g.conv2d(y, rand(rng, 24, 1, 1, 8, scale=0.3), None), **bn_params(rng, 24)))
    y = g.clip(g.batch_norm(g.depthwise_conv2d(y, rand(rng, 1, 3, 3, 24, scale=0.3), None, padding="same"),
                            **bn_params(rng, 24)), 0.0, 6.0)
    y = g.batch_norm(g.conv2d(y, rand(rng, 8, 1, 1, 24, scale=0.3), None), **bn_params(rng, 8))
    y = g.relu6(y + shortcut)
    y = g.mean(y, axis=(1, 2))
    g.output(g.softmax(g.fully_connected(y, rand(rng, 10, 8), rand(rng, 10))), "probs")
    return g


def test_mobilenet_style_file_has_no_batch_norm_arithmetic_or_standalone_relu6():
    rng = np.random.default_rng(12)
    g = mobilenet_style(rng)
    unoptimized = edgenet.convert(g, optimize=False)
    model = edgenet.load(edgenet.convert(g).to_bytes())
    opcodes = [op.opcode for op in model.operators]
    assert "MUL" not in opcodes and "RELU6" not in opcodes and "CLIP" not in opcodes
    assert opcodes.count("ADD") == 1  # the residual add, which now carries the relu6
    assert [(op.opcode, op.activation) for op in model.operators if op.opcode != "FULLY_CONNECTED"
            and op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "ADD")] == \
        [("CONV_2D", "relu6"), ("CONV_2D", "relu6"), ("DEPTHWISE_CONV_2D", "relu6"), ("CONV_2D", "none"),
         ("ADD", "relu6")]
    assert len(model.operators) < len(unoptimized.operators)
    image = rand(rng, 3, 17, 15, 3)
    np.testing.assert_allclose(edgenet.Interpreter(model.to_bytes()).run({"image": image})["probs"],
                               edgenet.reference.run(g, {"image": image})["probs"], rtol=1e-4, atol=1e-6)


def test_convert_records_op_counts_and_optimize_false_keeps_ops():
    g = mobilenet_style(np.random.default_rng(13))
    ops_before = list(ops(g))
    optimized, unoptimized = edgenet.convert(g), edgenet.convert(g, optimize=False)
    assert ops(g) == ops_before  # the caller's graph is untouched
    n_before, n_after = len(unoptimized.operators), len(optimized.operators)
    assert n_after < n_before
    for model in (optimized, unoptimized):
        metadata = edgenet.load(model.to_bytes()).metadata
        assert metadata["edgenet.ops_before_optimization"] == str(n_before)
        assert metadata["edgenet.ops_after_optimization"] == str(len(model.operators))


def test_digits_example_converts_with_fewer_ops_and_same_accuracy(tmp_path):
    sys.path.insert(0, str(EXAMPLE))
    try:
        import model as digits
    finally:
        sys.path.remove(str(EXAMPLE))
    data = digits.load_data()
    g = digits.build_graph(data)
    optimized, unoptimized = edgenet.convert(g), edgenet.convert(g, optimize=False)
    opcodes = [op.opcode for op in optimized.operators]
    assert len(optimized.operators) < len(unoptimized.operators)
    assert "MUL" not in opcodes and "RELU" not in opcodes  # its batch_norm and separate relu are folded

    images, labels = digits.to_input(data["test_images"]), data["test_labels"]
    predictions = {}
    for name, model in (("optimized", optimized), ("unoptimized", unoptimized)):
        interpreter = edgenet.Interpreter(model.to_bytes())
        predictions[name] = np.array([np.argmax(interpreter.run({"image": im[None]})["probs"]) for im in images])
    reference = np.array([np.argmax(edgenet.reference.run(g, {"image": im[None]})["probs"]) for im in images[:40]])
    np.testing.assert_array_equal(predictions["optimized"][:40], reference)
    assert np.mean(predictions["optimized"] == labels) == np.mean(predictions["unoptimized"] == labels)

    # `edgenet inspect` reports both counts.
    path = tmp_path / "digits.enet"
    optimized.save(str(path))
    out = subprocess.run([sys.executable, "-m", "edgenet.cli", "inspect", str(path)], capture_output=True,
                         text=True, check=True).stdout
    assert f"ops: {len(optimized.operators)} ({len(unoptimized.operators)} before optimization)" in out
