"""Streaming state: Graph.state / Graph.assign, state variables in the file and the C core,
Interpreter.reset_state, and Interpreter.resize_input.

The oracle is a plain numpy loop over the stream (and, for int8, the integer reference executor
edgenet.reference run on the quantized graph with its state carried the same way)."""
import re
from unittest import mock

import numpy as np
import pytest

import edgenet
from edgenet import reference
from edgenet.converters import serialize
from edgenet._schema import edgenet_generated as S
from edgenet.graph import GraphBuildError

RNG = np.random.default_rng(16)


def frames(count, shape, scale=1.0):
    return [(RNG.standard_normal(shape) * scale).astype(np.float32) for _ in range(count)]


# ---- models -----------------------------------------------------------------------------------


def accumulator():
    """y_t = x_1 + ... + x_t (the state holds the running sum)."""
    g = edgenet.Graph("accumulator")
    x = g.input("x", (1, 4))
    total = g.state("total", np.zeros((1, 4), np.float32))
    new = g.add(total, x)
    g.assign(total, new)
    g.output(g.mul(new, 1.5), "y")
    return g


def ring_buffer(k=4, n=3):
    """The last k frames: window_t = (x_{t-k+1}, ..., x_t), zeros before the stream starts."""
    g = edgenet.Graph("ring_buffer")
    x = g.input("x", (1, n))
    window = g.state("window", np.zeros((k, n), np.float32))
    shifted = g.concat([g.slice(window, [1, 0], [k, n]), x], axis=0)
    g.assign(window, shifted)
    g.output(g.mean(shifted, axis=0, keepdims=True), "mean")
    g.output(g.mul(shifted, 2.0), "window2")
    return g


def rnn_cell(n_in=6, n_hidden=8):
    """h_t = tanh(W [x_t, h_{t-1}] + b); output y_t = h_t @ V."""
    rng = np.random.default_rng(5)
    w = (rng.standard_normal((n_hidden, n_in + n_hidden)) * 0.4).astype(np.float32)
    b = (rng.standard_normal(n_hidden) * 0.1).astype(np.float32)
    v = (rng.standard_normal((3, n_hidden)) * 0.5).astype(np.float32)
    g = edgenet.Graph("rnn")
    x = g.input("x", (1, n_in))
    h = g.state("h", np.zeros((1, n_hidden), np.float32))
    h_new = g.tanh(g.fully_connected(g.concat([x, h], axis=1), w, b))
    g.assign(h, h_new)
    g.output(g.fully_connected(h_new, v), "y")
    return g, (w, b, v)


def rnn_numpy(stream, params, n_hidden=8):
    w, b, v = (p.astype(np.float64) for p in params)
    h, ys = np.zeros((1, n_hidden)), []
    for x in stream:
        h = np.tanh(np.concatenate([x, h], axis=1) @ w.T + b)
        ys.append(h @ v.T)
    return ys


def run_stream(interp, stream, name="x"):
    return [interp.run({name: x}) for x in stream]


# ---- float ------------------------------------------------------------------------------------


def test_accumulator_over_many_calls_equals_a_numpy_loop_and_reset_restores():
    model = edgenet.convert(accumulator())
    assert [s.tensor.name for s in model.states] == ["total"]
    interp = edgenet.Interpreter(model.to_bytes())
    stream = frames(60, (1, 4))
    total = np.zeros((1, 4), np.float64)
    for x, out in zip(stream, run_stream(interp, stream)):
        total += x
        np.testing.assert_allclose(out["y"], 1.5 * total, rtol=1e-5, atol=1e-5)
    interp.reset_state()
    np.testing.assert_allclose(interp.run({"x": stream[0]})["y"], 1.5 * stream[0], rtol=1e-6)
    np.testing.assert_allclose(interp.run({"x": stream[1]})["y"], 1.5 * (stream[0] + stream[1]), rtol=1e-6)


def test_ring_buffer_of_the_last_frames_equals_a_numpy_loop():
    k, n = 4, 3
    interp = edgenet.Interpreter(edgenet.convert(ring_buffer(k, n)).to_bytes())
    stream = frames(25, (1, n))
    for t, out in enumerate(run_stream(interp, stream)):
        past = [np.zeros((1, n), np.float32)] * max(0, k - 1 - t) + stream[max(0, t - k + 1):t + 1]
        window = np.concatenate(past, axis=0)
        np.testing.assert_array_equal(out["window2"], 2 * window)
        np.testing.assert_allclose(out["mean"], window.mean(axis=0, keepdims=True), rtol=1e-6, atol=1e-7)
    interp.reset_state()
    first = interp.run({"x": stream[5]})["window2"]
    np.testing.assert_array_equal(first, 2 * np.concatenate([np.zeros((k - 1, n)), stream[5]], axis=0))


def test_rnn_cell_streams_like_a_numpy_loop():
    g, params = rnn_cell()
    interp = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    stream = frames(40, (1, 6))
    for out, expected in zip(run_stream(interp, stream), rnn_numpy(stream, params)):
        np.testing.assert_allclose(out["y"], expected, rtol=1e-4, atol=1e-5)


def test_two_interpreters_over_one_model_keep_separate_states(tmp_path):
    path = tmp_path / "acc.enet"
    edgenet.convert(accumulator()).save(path)
    a, b = edgenet.Interpreter(path), edgenet.Interpreter(path)
    stream_a, stream_b = frames(10, (1, 4)), frames(10, (1, 4))
    sum_a, sum_b = np.zeros((1, 4)), np.zeros((1, 4))
    for xa, xb in zip(stream_a, stream_b):  # interleaved
        sum_a, sum_b = sum_a + xa, sum_b + xb
        np.testing.assert_allclose(a.run({"x": xa})["y"], 1.5 * sum_a, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(b.run({"x": xb})["y"], 1.5 * sum_b, rtol=1e-5, atol=1e-5)
    b.reset_state()  # one reset leaves the other stream alone
    np.testing.assert_allclose(b.run({"x": stream_b[0]})["y"], 1.5 * stream_b[0], rtol=1e-6)
    np.testing.assert_allclose(a.run({"x": stream_a[0]})["y"], 1.5 * (sum_a + stream_a[0]), rtol=1e-5, atol=1e-5)


def test_states_that_swap_values_read_the_old_values():
    """a <- b and b <- a in one run (each copy must read the value before the other changes it),
    c <- c (a no-op), and a read-only state d (never assigned) stays at its initial value."""
    g = edgenet.Graph("swap")
    x = g.input("x", (2,))
    a = g.state("a", np.array([1.0, 2.0], np.float32))
    b = g.state("b", np.array([10.0, 20.0], np.float32))
    c = g.state("c", np.array([5.0, 5.0], np.float32))
    d = g.state("d", np.array([0.5, 0.25], np.float32))
    g.assign(a, b)
    g.assign(b, a)
    g.assign(c, c)
    g.output(g.add(g.add(g.sub(a, b), g.mul(c, d)), x), "y")
    interp = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    zero = np.zeros(2, np.float32)
    for t in range(5):
        sign = 1 if t % 2 == 0 else -1
        np.testing.assert_allclose(interp.run({"x": zero})["y"], sign * np.array([-9.0, -18.0]) + [2.5, 1.25])


def test_an_assigned_value_no_output_needs_survives_optimization():
    """y_t reads the state only (the sum of the earlier frames); the add that updates it feeds no output,
    so dead-code elimination must keep it for the assign. A state is not a constant to fold either."""
    g = edgenet.Graph("lagged")
    x = g.input("x", (3,))
    s = g.state("s", np.full(3, 2.0, np.float32))
    g.assign(s, g.add(s, x))
    g.output(g.relu(s), "y")
    model = edgenet.convert(g)
    assert [n.op for n in model.graph.nodes] == ["add", "relu"]
    interp = edgenet.Interpreter(model.to_bytes())
    total = np.full(3, 2.0)
    for x_t in frames(8, (3,)):
        np.testing.assert_allclose(interp.run({"x": x_t})["y"], np.maximum(total, 0), rtol=1e-5, atol=1e-6)
        total = total + x_t


def test_a_failed_run_leaves_the_state_unchanged():
    g = edgenet.Graph("gathered")
    x = g.input("x", (4,))
    index = g.input("index", (1,), dtype="int32")
    s = g.state("s", np.zeros(1, np.float32))
    new = g.add(s, g.gather(x, index))
    g.assign(s, new)
    g.output(g.relu(new), "y")
    interp = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    x_t = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    assert interp.run({"x": x_t, "index": np.array([3], np.int32)})["y"] == pytest.approx([4.0])
    with pytest.raises(ValueError, match="GATHER"):
        interp.run({"x": x_t, "index": np.array([7], np.int32)})
    assert interp.run({"x": x_t, "index": np.array([1], np.int32)})["y"] == pytest.approx([6.0])


def test_state_survives_resizing_a_dynamic_input():
    g = edgenet.Graph("batch_mean_sum")
    x = g.input("x", (None, 4))
    s = g.state("s", np.zeros((1, 4), np.float32))
    new = g.add(s, g.mean(x, axis=0, keepdims=True))
    g.assign(s, new)
    g.output(g.relu(new), "y")
    interp = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    total = np.zeros((1, 4))
    for batch in (2, 5, 1, 3):
        x_t = np.abs(RNG.standard_normal((batch, 4))).astype(np.float32)
        total = total + x_t.mean(axis=0, keepdims=True)
        np.testing.assert_allclose(interp.run({"x": x_t})["y"], total, rtol=1e-5)


# ---- int8 -------------------------------------------------------------------------------------


def test_int8_rnn_stream_equals_the_integer_reference_and_stays_close_to_float():
    """States stay float32 in an int8 model, on one grid with their assigned values (quantized after the
    read, dequantized before the assign); calibration runs the samples as one stream."""
    g, params = rnn_cell()
    calibration = [{"x": x} for x in frames(64, (1, 6))]
    model = edgenet.convert(g, quantize="int8", calibration=calibration, int8_outputs=True, verbose=False)
    qgraph = model.graph
    (state,) = qgraph.states
    assert state.tensor.dtype == "float32" and state.assigned.producer.op == "dequantize"
    read_quant = next(n for n in qgraph.nodes if n.op == "quantize" and n.inputs[0] is state.tensor).outputs[0].quant
    assert read_quant == state.assigned.producer.inputs[0].quant, "the state and its assigned value share one grid"
    assert {"fully_connected", "tanh"} <= {n.op for n in qgraph.nodes if n.outputs[0].dtype == "int8"}

    interp = edgenet.Interpreter(model.to_bytes())
    stream = frames(40, (1, 6))
    carried, outputs = {}, []
    for x in stream:
        outputs.append(interp.run({"x": x})["y"])
        oracle = reference.run(qgraph, {"x": x}, carried)["y"]
        np.testing.assert_allclose(outputs[-1], oracle, rtol=1e-6, atol=1e-6)  # float32 vs float64, same integers
    got, expected = np.concatenate(outputs).ravel(), np.concatenate(rnn_numpy(stream, params)).ravel()
    cosine = got @ expected / (np.linalg.norm(got) * np.linalg.norm(expected))
    assert cosine > 0.99, f"int8 stream vs the float numpy loop: cosine {cosine:.4f}"
    interp.reset_state()
    np.testing.assert_allclose(interp.run({"x": stream[0]})["y"], reference.run(qgraph, {"x": stream[0]})["y"],
                               rtol=1e-6, atol=1e-6)


def test_int8_accumulator_tracks_the_running_sum():
    g = edgenet.Graph("acc_int8")
    x = g.input("x", (1, 8))
    w = np.eye(8, dtype=np.float32)
    total = g.state("total", np.zeros((1, 8), np.float32))
    new = g.add(total, g.fully_connected(x, w))
    g.assign(total, new)
    g.output(g.mul(new, 0.5), "y")
    stream = [np.abs(x) for x in frames(20, (1, 8), 0.5)]
    model = edgenet.convert(g, quantize="int8", calibration=[{"x": x} for x in stream], int8_outputs=True,
                            verbose=False)
    interp = edgenet.Interpreter(model.to_bytes())
    running, carried = np.zeros((1, 8)), {}
    for x_t in stream:
        running = running + x_t
        got = interp.run({"x": x_t})["y"]
        np.testing.assert_allclose(got, reference.run(model.graph, {"x": x_t}, carried)["y"], rtol=1e-6, atol=1e-6)
        assert np.abs(got - 0.5 * running).max() < 0.05 * np.abs(0.5 * running).max() + 0.05


# ---- builder errors ---------------------------------------------------------------------------


def test_builder_rejects_bad_assigns():
    g = edgenet.Graph("bad")
    x = g.input("x", (1, 4))
    s = g.state("s", np.zeros((1, 4), np.float32))
    with pytest.raises(GraphBuildError, match=r"assign: state 's' is \(1, 4\) float32, the value \(1, 2\) float32"):
        g.assign(s, g.slice(x, [0, 0], [1, 2]))
    with pytest.raises(GraphBuildError, match=r"the value \(1, 4\) bool"):
        g.assign(s, g.equal(x, s))
    with pytest.raises(GraphBuildError, match="is not a state; make one with g.state"):
        g.assign(x, g.relu(x))
    with pytest.raises(GraphBuildError, match="belongs to graph"):
        g.assign(s, edgenet.Graph("other").input("x", (1, 4)))
    g.assign(s, g.add(s, x))
    with pytest.raises(GraphBuildError, match="state 's' is already assigned"):
        g.assign(s, x)
    with pytest.raises(GraphBuildError, match="name 's' is already used"):
        g.state("s", np.zeros(2))
    with pytest.raises(GraphBuildError, match=r"test_state.py:\d+"):  # errors point at the user's line
        g.state("x", np.zeros(2))


# ---- hostile files ----------------------------------------------------------------------------


def _base_graph():
    """x (1, 4) input; s state (1, 4); y = s + x; z = y * c (c constant (4,)); eq = (y == x) bool."""
    g = edgenet.Graph("base")
    x = g.input("x", (1, 4))
    s = g.state("s", np.zeros((1, 4), np.float32))
    y = g.add(s, x)
    g.assign(s, y)
    g.output(g.mul(y, np.arange(4, dtype=np.float32)), "z")
    g.output(g.equal(y, x), "eq")
    return g


def _with_states(states):
    """The base model's bytes with SubGraph.states replaced by raw (tensor, initial_value, assigned)
    index triples; names in a triple stand for that tensor's index."""
    graph = edgenet.convert(_base_graph(), optimize=False).graph
    index = {t.name: i for i, t in enumerate(graph.tensors)}

    def build_states(b, graph, index_of):
        offsets = []
        for triple in states:
            tensor, initial, assigned = (index[v] if isinstance(v, str) else v for v in triple)
            S.StateVariableStart(b)
            S.StateVariableAddTensor(b, tensor)
            S.StateVariableAddInitialValue(b, initial)
            S.StateVariableAddAssigned(b, assigned)
            offsets.append(S.StateVariableEnd(b))
        return serialize._vector_of_tables(b, offsets)

    with mock.patch.object(serialize, "_build_states", build_states):
        return serialize.to_bytes(graph, {})  # not convert(): its inspector would refuse the file first


def _constant_name():
    return next(t.name for t in edgenet.convert(_base_graph(), optimize=False).graph.tensors
                if t.is_constant and t.shape == (4,))


HOSTILE_STATES = [
    ("state tensor index out of range", [(99, "s/initial", "add")],
     r"state 0: tensor index 99 out of range \(subgraph has \d+\)"),
    ("negative state tensor index", [(-1, "s/initial", "add")], r"state 0: tensor index -1 out of range"),
    ("initial value index out of range", [("s", 1000, "add")],
     r"state 0 's': initial value tensor index 1000 out of range"),
    ("assigned index out of range", [("s", "s/initial", 77)], r"state 0 's': assigned tensor index 77 out of range"),
    ("a state that is a graph input", [("x", "s/initial", "add")], r"state 0: tensor \d+ 'x' is a graph input"),
    ("a state that is a constant", [("s/initial", "s/initial", "add")], r"state 0: tensor \d+ 's/initial' is a constant"),
    ("a state that an op computes", [("s", "s/initial", "add"), ("add", "s/initial", -1)],
     r"output 0: tensor \d+ 'add' is a state variable \(ops read states; the state table assigns them\)"),
    ("two assigns to one state", [("s", "s/initial", "add"), ("s", "s/initial", "x")],
     r"state 1: tensor \d+ 's' is already a state \(two entries would assign it twice\)"),
    ("an initial value that is not a constant", [("s", "x", "add")],
     r"state 0 's': initial value tensor \d+ 'x' is not a constant"),
    ("an initial value of another shape", [("s", "CONST", "add")],
     r"state 0 's': initial value tensor \d+ '.*' has shape \(4,\), the state \(1, 4\)"),
    ("an assigned value of another dtype", [("s", "s/initial", "eq")],
     r"state 0 's': assigned tensor \d+ 'eq' is BOOL, the state is FLOAT32"),
    ("an assigned value of another shape", [("s", "s/initial", "CONST")],
     r"state 0 's': assigned tensor \d+ '.*' has shape \(4,\), the state \(1, 4\)"),
]


@pytest.mark.parametrize("name, states, message", HOSTILE_STATES, ids=[h[0] for h in HOSTILE_STATES])
def test_a_broken_state_table_is_refused_at_load(name, states, message):
    constant = _constant_name()
    data = _with_states([tuple(constant if v == "CONST" else v for v in triple) for triple in states])
    with pytest.raises(ValueError, match=message):
        edgenet.Interpreter(data)


def test_the_patched_builder_writes_a_valid_model_when_the_triples_are_right():
    """The hostile files differ from a working one only in their state table."""
    interp = edgenet.Interpreter(_with_states([("s", "s/initial", "add")]))
    x = np.ones((1, 4), np.float32)
    interp.run({"x": x})
    np.testing.assert_allclose(interp.run({"x": x})["z"], 2 * np.arange(4)[None])


def test_states_in_a_file_are_listed_by_the_inspector():
    model = edgenet.load(_with_states([("s", "s/initial", -1)]))
    (state,) = model.states
    assert (state.tensor.name, state.initial_value.name, state.assigned) == ("s", "s/initial", None)


def test_an_assigned_shape_that_changes_with_a_dynamic_input_fails_at_resize():
    """The loader accepts a -1 dim in the assigned tensor; at a batch of 2 the run says why it cannot."""
    g = edgenet.Graph("dyn")
    x = g.input("x", (None, 4))
    s = g.state("s", np.zeros((1, 4), np.float32))
    y = g.add(s, x)
    g.output(g.relu(y), "y")
    g.states[0].assigned = y  # what the builder refuses ((None, 4) is not (1, 4)); a file can still say it
    interp = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    ones = np.ones((1, 4), np.float32)
    interp.run({"x": ones})
    np.testing.assert_allclose(interp.run({"x": ones})["y"], 2 * ones)
    with pytest.raises(ValueError, match=re.escape("state 0 's': the assigned tensor 'add' has shape (2, 4) at the "
                                                   "current input shapes, the state (1, 4)")):
        interp.run({"x": np.ones((2, 4), np.float32)})


# ---- resize_input -----------------------------------------------------------------------------


def _dynamic_model():
    g = edgenet.Graph("dyn")
    x = g.input("x", (None, 8, 3))
    g.output(g.relu(g.mul(x, 2.0)), "y")
    return edgenet.convert(g).to_bytes()


def test_resize_input_replans_memory_without_reloading():
    interp = edgenet.Interpreter(_dynamic_model())
    interp.resize_input("x", (2, 8, 3))
    small = interp.arena_size
    interp.resize_input(0, (16, 8, 3))
    assert interp.arena_size > small
    x = RNG.standard_normal((16, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(interp.run({"x": x})["y"], np.maximum(2 * x, 0))


@pytest.mark.parametrize("name, shape, error, message", [
    ("image", (1, 8, 3), ValueError, r"unknown input name 'image'; the model's inputs are \['x'\]"),
    (3, (1, 8, 3), ValueError, r"input index 3 out of range; the model has 1 inputs"),
    ("x", (1, 8), ValueError, r"input 'x' has rank 3 \(shape \(-1, 8, 3\)\), cannot resize it to \(1, 8\)"),
    ("x", (1, 9, 3), ValueError, r"input 'x': dim 1 is fixed at 8 in the model .* only dynamic \(-1\) dims"),
    ("x", (-2, 8, 3), ValueError, r"input 'x': dim 0 cannot be -2"),
    ("x", 5, TypeError, r"shape must be a sequence of ints"),
])
def test_resize_input_errors_name_the_problem(name, shape, error, message):
    interp = edgenet.Interpreter(_dynamic_model())
    with pytest.raises(error, match=message):
        interp.resize_input(name, shape)


def test_state_files_under_address_sanitizer(tmp_path):
    """The C runner built with ASan + UBSan (leak checks on): each broken state table gets its message, and a
    model whose states swap values (staged commit) runs clean."""
    import sys

    from test_corrupt_models import REPO
    sys.path.insert(0, str(REPO / "native" / "tests"))
    import build_programs

    programs = build_programs.build_programs()
    if not programs["sanitized"]:
        pytest.skip("the C compiler cannot build with AddressSanitizer/UBSan here")
    path = tmp_path / "state.enet"
    constant = _constant_name()
    for name, states, message in HOSTILE_STATES:
        path.write_bytes(_with_states([tuple(constant if v == "CONST" else v for v in t) for t in states]))
        result = build_programs.run(programs["edgenet_run"], path)
        assert result.returncode == 1, f"{name}: exit {result.returncode}\n{result.stderr[-3000:]}"
        assert re.search(message, result.stderr), f"{name}: {result.stderr}"
    g = edgenet.Graph("swap")
    x = g.input("x", (3,))
    a, b = g.state("a", np.ones(3, np.float32)), g.state("b", np.full(3, 2.0, np.float32))
    g.assign(a, b)
    g.assign(b, g.add(a, x))
    g.output(g.mul(a, b), "y")
    path.write_bytes(edgenet.convert(g).to_bytes())
    result = build_programs.run(programs["edgenet_run"], path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert [float(v) for v in result.stdout.split("\n")[1:4]] == [2.0, 2.0, 2.0]
