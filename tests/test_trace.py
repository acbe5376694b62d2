"""edgenet.trace (issue 16 item 2), tensor operators and indexing, open dims at build time (item 4),
and the edgenet.cond / edgenet.while_loop free functions.

Oracles: numpy (the same expression on arrays), a hand-built graph run by edgenet.reference, and
the C core running the converted file (float, and int8 within a cosine bound).
"""
import numpy as np
import pytest

import edgenet
from edgenet.converters.accuracy import cosine
from edgenet.graph import DataDependentError

RNG = np.random.default_rng(16)
W = RNG.standard_normal((8, 6)).astype(np.float32)
B = RNG.standard_normal(6).astype(np.float32)


def block(x, scale):
    """Plain Python over tensors or numpy arrays alike (the numpy run is the oracle)."""
    h = x @ W + B
    h = (h - h.mean(axis=-1, keepdims=True)) / 2.0 * scale
    for k in range(2):  # a static Python loop: unrolled while tracing
        h = h + 0.5 * k
    if h.shape[-1] > 4:  # a static Python branch on a shape
        h = h[:, ::2]
    gate = 1.0 - h
    return -h * gate + h.sum(axis=1, keepdims=True), (h > 0.25)


def hand_built():
    g = edgenet.Graph("block")
    x = g.input("x", (5, 8))
    scale = g.input("scale", (1, 3))
    h = g.add(g.matmul(x, W), B)
    h = g.mul(g.div(g.sub(h, g.mean(h, axis=-1, keepdims=True)), 2.0), g.slice(g.concat([scale, scale], 1),
                                                                                   (0, 0), (1, 6)))
    h = g.add(g.add(h, 0.0), 0.5)
    h = g.slice(h, (0, 0), (5, 6), (1, 2))
    y = g.add(g.mul(g.mul(h, -1.0), g.sub(1.0, h)), g.reduce_sum(h, 1, keepdims=True))
    g.output(y, "y")
    g.output(g.greater(h, 0.25), "positive")
    return g


def feeds():
    return {"x": RNG.standard_normal((5, 8)).astype(np.float32),
            "scale": RNG.uniform(0.5, 1.5, (1, 3)).astype(np.float32)}


def traced_block(x, scale):
    wide = x.graph.concat([scale, scale], axis=1)[:, :6]  # builder ops through x.graph
    y, positive = block(x, wide)
    return {"y": y, "positive": positive}


def numpy_block(f):
    wide = np.concatenate([f["scale"], f["scale"]], axis=1)[:, :6]
    return block(f["x"].astype(np.float64), wide)


def test_traced_function_equals_hand_built_graph_and_numpy():
    f = feeds()
    graph = edgenet.trace(traced_block, f)
    assert [t.name for t in graph.inputs] == ["x", "scale"] and [t.name for t in graph.outputs] == ["y", "positive"]
    expected_y, expected_positive = numpy_block(f)
    traced = edgenet.reference.run(graph, f)
    built = edgenet.reference.run(hand_built(), f)
    np.testing.assert_allclose(traced["y"], built["y"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(traced["y"], expected_y, rtol=1e-5, atol=1e-5)
    assert np.array_equal(traced["positive"], expected_positive)
    core = edgenet.Interpreter(edgenet.convert(graph).to_bytes()).run(f)
    np.testing.assert_allclose(core["y"], expected_y, rtol=1e-5, atol=1e-5)
    assert np.array_equal(core["positive"], expected_positive)


def test_traced_function_int8_after_convert():
    def f(x):
        h = x.graph.relu(x.graph.fully_connected(x, W.T, B))
        return (h - h.mean(axis=-1, keepdims=True)) * 0.5

    calibration = [{"x": RNG.standard_normal((5, 8)).astype(np.float32)} for _ in range(16)]
    model = edgenet.convert(edgenet.trace(f, calibration[0]), quantize="int8", calibration=calibration,
                            int8_outputs=True)
    assert {"MATMUL", "MEAN"} & {op.opcode for op in model.operators} and \
        any(t.dtype == "int8" for t in model.graph.tensors)
    interpreter = edgenet.Interpreter(model.to_bytes())
    for sample in [{"x": RNG.standard_normal((5, 8)).astype(np.float32)} for _ in range(4)]:
        h = np.maximum(sample["x"] @ W + B, 0)  # fully_connected weights are (out, in)
        expected = (h - h.mean(axis=-1, keepdims=True)) * 0.5
        assert cosine(interpreter.run(sample)["output"].ravel(), expected.ravel()) >= 0.99


def test_python_if_on_a_tensor_value_explains_cond_and_while_loop():
    def branchy(x):
        if x.sum() > 0:  # the tensor's value: not known while tracing
            return x * 2.0
        return x

    with pytest.raises(DataDependentError, match=r"edgenet\.cond.*edgenet\.while_loop") as info:
        edgenet.trace(branchy, {"x": np.ones((2, 3), np.float32)})
    assert "test_trace.py" in str(info.value)  # points at the user's line

    def loopy(x):
        while x.mean() < 10.0:
            x = x * 2.0
        return x

    with pytest.raises(DataDependentError, match="while_loop"):
        edgenet.trace(loopy, {"x": np.ones((2, 3), np.float32)})
    for convert in (int, float, lambda t: range(t)):
        with pytest.raises(DataDependentError):
            edgenet.trace(lambda x: convert(x.sum()), {"x": np.ones((2, 3), np.float32)})
    with pytest.raises(DataDependentError, match="len"):
        edgenet.trace(lambda x: x * len(x), {"x": np.ones((2, 3), np.float32)}, input_shapes={"x": (None, 3)})
    assert len(edgenet.trace(lambda x: x * float(len(x)), {"x": np.ones((2, 3), np.float32)}).nodes) == 1


INDEX_KEYS = [(1,), (-1,), (slice(1, None),), (slice(None, None, -2),), (Ellipsis, 2), (None, 0, slice(None, 3)),
              (slice(None), None, slice(4, 0, -2), Ellipsis), (-2, -1, slice(None, None, 2)), (0, 1, 2)]


@pytest.mark.parametrize("key", INDEX_KEYS, ids=[str(k) for k in INDEX_KEYS])
def test_indexing_matches_numpy(key):
    x = RNG.standard_normal((3, 5, 4)).astype(np.float32)
    graph = edgenet.trace(lambda x: x[key] * 1.0, {"x": x})
    expected = x[key]
    assert graph.outputs[0].shape == expected.shape
    got = edgenet.Interpreter(edgenet.convert(graph).to_bytes()).run({"x": x})["output"]
    assert got.shape == expected.shape and np.array_equal(got, expected)


def test_tensor_index_gathers_and_bad_indices_name_the_problem():
    x = RNG.standard_normal((6, 3)).astype(np.float32)
    idx = np.array([4, 0, 5], np.int64)
    graph = edgenet.trace(lambda x, i: x[i] + 0.0, {"x": x, "i": idx})
    got = edgenet.Interpreter(edgenet.convert(graph).to_bytes()).run({"x": x, "i": idx})["output"]
    assert np.array_equal(got, x[idx])
    for key, message in [(7, "out of range"), ((0, 0, 0), "too many indices"), ("a", "index 'a'"),
                         ((Ellipsis, Ellipsis), "single ellipsis"), (slice(3, 1), "empty")]:
        with pytest.raises(ValueError, match=message):
            edgenet.trace(lambda x: x[key], {"x": x})


def test_outputs_tuple_input_passthrough_and_reverse_operators():
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    const = RNG.standard_normal((3, 3)).astype(np.float32)

    def f(x):
        return x, 2.0 - x, const @ x.T, 1.0 / (x * x + 1.0), x ** 2.0, (x <= 0.0), (x >= 0.5), (x < 0.1)

    graph = edgenet.trace(f, {"x": x})
    assert [t.name for t in graph.outputs] == [f"output_{i}" for i in range(8)]
    got = edgenet.Interpreter(edgenet.convert(graph).to_bytes()).run({"x": x})
    expected = [x, 2.0 - x, const @ x.T, 1.0 / (x * x + 1.0), x ** 2, x <= 0, x >= 0.5, x < 0.1]
    for i, e in enumerate(expected):
        np.testing.assert_allclose(got[f"output_{i}"], e, rtol=1e-5, atol=1e-6)
    assert edgenet.trace(lambda x: x.transpose().reshape(-1) * 1.0, {"x": x}).outputs[0].shape == (6,)
    with pytest.raises(TypeError, match="returned int"):
        edgenet.trace(lambda x: 3, {"x": x})
    with pytest.raises(ValueError, match="does not depend on any input"):
        edgenet.trace(lambda x: x.graph.constant(np.ones(2)), {"x": x})


def test_output_named_like_an_intermediate_keeps_the_users_name():
    x = np.ones((2, 2), np.float32)
    graph = edgenet.trace(lambda x: {"mul": x + 1.0, "add": x * 3.0}, {"x": x})
    got = edgenet.reference.run(graph, {"x": x})
    assert np.array_equal(got["mul"], x + 1) and np.array_equal(got["add"], x * 3)


def test_open_dims_one_file_runs_at_several_lengths():
    """Issue 16 item 4: None dims at build time, through shape inference, conversion and the C
    core; the same .enet runs at each length, float and int8."""
    kernel = RNG.standard_normal((4, 3, 1, 2)).astype(np.float32)  # OHWI: 3 taps along the sequence

    def f(x):  # x: (1, T, 1, 2), T open
        h = x.graph.conv2d(x, kernel, np.zeros(4, np.float32), padding="same", activation="relu")
        return h.mean(axis=(1, 2)) + h[:, :, 0, :].sum(axis=1) * 0.1

    def numpy_f(x):
        padded = np.pad(x[0, :, 0, :], ((1, 1), (0, 0)))
        h = np.maximum(np.stack([sum(padded[t + k] @ kernel[:, k, 0, :].T for k in range(3))
                                 for t in range(x.shape[1])]), 0)
        return h.mean(axis=0, keepdims=True) + h.sum(axis=0, keepdims=True) * 0.1

    example = {"x": RNG.standard_normal((1, 7, 1, 2)).astype(np.float32)}
    graph = edgenet.trace(f, example, input_shapes={"x": (1, None, 1, 2)})
    assert graph.inputs[0].shape == (1, None, 1, 2)
    calibration = [{"x": RNG.standard_normal((1, n, 1, 2)).astype(np.float32)} for n in (5, 9, 13, 17)]
    float_model = edgenet.Interpreter(edgenet.convert(graph).to_bytes())
    int8_model = edgenet.Interpreter(edgenet.convert(graph, quantize="int8", calibration=calibration).to_bytes())
    for length in (3, 8, 31):
        x = RNG.standard_normal((1, length, 1, 2)).astype(np.float32)
        expected = numpy_f(x)
        np.testing.assert_allclose(float_model.run({"x": x})["output"], expected, rtol=1e-5, atol=1e-5)
        assert cosine(int8_model.run({"x": x})["output"].ravel(), expected.ravel()) >= 0.99


def test_open_dims_limits_are_clear_errors():
    g = edgenet.Graph("open")
    x = g.input("x", (1, None, None, 3))
    with pytest.raises(ValueError, match="stride 2 on a dynamic dim"):
        g.conv2d(x, np.ones((2, 3, 3, 3)), padding="same", strides=2)
    with pytest.raises(ValueError, match="dynamic dim"):
        x[:, 1:]
    with pytest.raises(ValueError, match="two dynamic dims"):
        x[0, ..., None]


# ---- edgenet.cond / edgenet.while_loop: thin wrappers over Graph.cond / Graph.while_loop ----------

needs_cond = pytest.mark.skipif(not hasattr(edgenet.Graph, "cond"), reason="Graph.cond not on this branch")
needs_while_loop = pytest.mark.skipif(not hasattr(edgenet.Graph, "while_loop"),
                                      reason="Graph.while_loop not on this branch")


def test_free_functions_say_what_is_missing():
    class GraphWithoutControlFlow:  # stands for a build whose Graph has no cond / while_loop
        name = "bare"

    x = edgenet.Graph("g").input("x", (1,))
    x.graph = GraphWithoutControlFlow()
    with pytest.raises(NotImplementedError, match="Graph.cond"):
        edgenet.cond(x, lambda: x, lambda: x)
    with pytest.raises(NotImplementedError, match="Graph.while_loop"):
        edgenet.while_loop(lambda v: v, lambda v: (v,), (x,))


@needs_cond
def test_cond_in_a_traced_function_takes_both_branches():
    def f(x):
        return edgenet.cond(x.sum() > 0.0, lambda a: a * 2.0, lambda a: a - 1.0, x)

    graph = edgenet.trace(f, {"x": np.ones((2, 3), np.float32)})
    interpreter = edgenet.Interpreter(edgenet.convert(graph).to_bytes())
    for x in (np.full((2, 3), 0.5, np.float32), np.full((2, 3), -0.5, np.float32)):
        expected = x * 2.0 if x.sum() > 0 else x - 1.0
        np.testing.assert_allclose(interpreter.run({"x": x})["output"], expected, rtol=1e-6)


@needs_while_loop
def test_while_loop_in_a_traced_function_runs_a_data_dependent_count():
    def f(x):
        steps, value = edgenet.while_loop(lambda i, v: v.sum() < 100.0, lambda i, v: (i + 1.0, v * 2.0),
                                          (x.sum(axis=0) * 0.0, x))
        return {"steps": steps, "value": value}

    graph = edgenet.trace(f, {"x": np.ones((1, 2), np.float32)})
    interpreter = edgenet.Interpreter(edgenet.convert(graph).to_bytes())
    for start in (0.5, 3.0, 70.0):
        x = np.full((1, 2), start, np.float32)
        steps, value = 0, x.copy()
        while value.sum() < 100.0:  # the plain Python loop is the oracle
            steps, value = steps + 1, value * 2.0
        got = interpreter.run({"x": x})
        assert float(np.asarray(got["steps"]).reshape(-1)[0]) == steps
        np.testing.assert_allclose(got["value"], value)
