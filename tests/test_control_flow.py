"""Control flow: g.cond / g.while_loop (edgenet/ops/control_flow.py), the IF / WHILE ops of the C core
(native/src/ops/control_flow.c) and the loader's checks of subgraphs (hostile files).

Oracles: plain numpy / Python loops written here, the numpy reference executor (edgenet.reference),
the integer reference for int8 bodies, and onnxruntime for ONNX If / Loop / Scan
(tests/test_control_flow_onnx.py)."""
import re
import sys

import numpy as np
import pytest

import edgenet
from edgenet import reference
from edgenet.converters import convert
from edgenet.graph import GraphBuildError
from edgenet.interpreter import Interpreter

D = 4


def sequence_rnn(w):
    """The textbook case: y_t = (y_(t-1) + x_t) @ w over x (T, D) with T known only at run time."""
    g = edgenet.Graph("rnn")
    x = g.input("x", (None, D))
    length = g.cast(g.slice(g.shape(x), (0,), (1,)), "float32")  # (1,): T as a float

    def step(t, y):
        x_t = g.gather(x, g.cast(t, "int32"), axis=0)  # (D,)
        return t + 1.0, g.reshape(g.matmul(g.reshape(y + x_t, (1, D)), w), (D,))

    _, y = g.while_loop(lambda t, y: g.less(t, length), step, (0.0, np.zeros(D, np.float32)))
    g.output(y, "y")
    return g


def numpy_rnn(x, w):
    y = np.zeros(w.shape[1])
    for x_t in x.astype(np.float64):
        y = (y + x_t) @ w
    return y


def test_textbook_rnn_is_one_while_loop_that_runs_at_any_length(tmp_path):
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((D, D)) * 0.5).astype(np.float32)
    model = convert(sequence_rnn(w))
    path = tmp_path / "rnn.enet"
    model.save(str(path))
    interpreter = Interpreter(str(path))  # one file, one interpreter, several lengths
    for length in (1, 2, 5, 17, 3):
        x = rng.standard_normal((length, D)).astype(np.float32)
        got = interpreter.run({"x": x})["y"]
        np.testing.assert_allclose(got, numpy_rnn(x, w), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(reference.run(model.graph, {"x": x})["y"], numpy_rnn(x, w), rtol=1e-9)


def test_file_has_one_while_op_and_its_bodies_as_subgraphs():
    from edgenet._schema import edgenet_generated as S

    data = convert(sequence_rnn(np.eye(D, dtype=np.float32))).to_bytes()
    m = S.Model.GetRootAs(data, 0)
    assert m.SubgraphsLength() == 3  # main, cond, body
    opcodes = [m.Subgraphs(0).Operators(i).Opcode() for i in range(m.Subgraphs(0).OperatorsLength())]
    assert opcodes.count(S.OpCode.WHILE) == 1


def countdown_graph():
    """A data-dependent number of iterations: halve v until its sum is below `limit`; count the steps."""
    g = edgenet.Graph("halve")
    v = g.input("v", (3,))
    limit = g.input("limit", (1,))

    def cond(n, v):
        return g.greater_equal(g.reduce_sum(v, axis=0, keepdims=True), limit)

    n, v_final = g.while_loop(cond, lambda n, v: (n + 1.0, v * 0.5), (0.0, v))
    g.output(g.add(n, 0.0), "steps")
    g.output(g.add(v_final, 0.0), "v_final")
    return g


@pytest.mark.parametrize("values, limit", [((1.0, 1.0, 1.0), 5.0), ((10.0, 20.0, 30.0), 1.0),
                                           ((1e4, 3.0, 7.0), 0.01)])
def test_while_loop_runs_a_data_dependent_number_of_iterations(values, limit):
    v = np.array(values, np.float32)
    expected_steps, expected_v = 0, v.astype(np.float64)
    while expected_v.sum() >= limit:  # the plain Python loop
        expected_steps, expected_v = expected_steps + 1, expected_v * 0.5
    out = Interpreter(convert(countdown_graph()).to_bytes()).run({"v": v, "limit": np.array([limit], np.float32)})
    assert out["steps"] == expected_steps
    np.testing.assert_allclose(out["v_final"], expected_v, rtol=1e-6)


def test_greedy_decoder_stops_at_the_end_token():
    """Greedy decoding: the next token is the argmax of the current token's logits; the loop stops at the
    end token (data-dependent) or after max_iterations. Oracle: the same decoding as a Python loop."""
    vocabulary, end = 8, 0
    # token -> its most likely successor: 1 -> 2 -> 0 ends, 3 -> 3 and 5 <-> 6 never end (max_iterations stops them)
    successor = [0, 2, 0, 3, 1, 6, 5, 4]
    logits = np.random.default_rng(9).standard_normal((vocabulary, vocabulary)).astype(np.float32)
    logits[np.arange(vocabulary), successor] += 5.0
    g = edgenet.Graph("decoder")
    start = g.input("start", (1,))  # a token id, as float32

    def step(n, token, total):
        row = g.gather(logits, g.cast(token, "int32"), axis=0)  # (1, vocabulary)
        best = g.cast(g.arg_max(row, axis=1, keepdims=False), "float32")  # (1,)
        return n + 1.0, best, total + g.reduce_max(row, axis=1)

    n, token, total = g.while_loop(lambda n, token, total: g.greater(g.abs(token - float(end)), 0.5), step,
                                   (np.zeros(1, np.float32), start, np.zeros(1, np.float32)), max_iterations=20)
    for name, t in (("steps", n), ("token", token), ("score", total)):
        g.output(g.add(t, 0.0), name)
    interpreter = Interpreter(convert(g).to_bytes())
    for first in range(1, vocabulary):
        steps, token, score = 0, first, 0.0  # the plain Python loop
        while token != end and steps < 20:
            steps, score, token = steps + 1, score + float(logits[token].max()), int(np.argmax(logits[token]))
        out = interpreter.run({"start": np.array([first], np.float32)})
        assert (out["steps"][0], out["token"][0]) == (steps, token)
        np.testing.assert_allclose(out["score"][0], score, rtol=1e-5)


def test_loop_invariant_work_moves_out_of_the_loop():
    """An op reading only invariants (here x * w, x an input) runs once before the loop; results unchanged."""
    g = edgenet.Graph("hoist")
    x = g.input("x", (3,))
    w = np.array([0.5, -1.0, 2.0], np.float32)
    _, acc = g.while_loop(lambda i, acc: g.less(i, 4.0), lambda i, acc: (i + 1.0, acc + g.tanh(x * w)),
                          (0.0, np.zeros(3, np.float32)))
    g.output(g.add(acc, 0.0), "acc")
    model = convert(g)
    body = model.graph.bodies()[1]
    assert [n.op for n in body.nodes] == ["add", "add"]  # i + 1, acc + (the hoisted tanh(x * w))
    assert {"mul", "tanh"} <= {n.op for n in model.graph.nodes}
    xv = np.array([1.0, 2.0, -3.0], np.float32)
    np.testing.assert_allclose(Interpreter(model.to_bytes()).run({"x": xv})["acc"], 4 * np.tanh(xv * w), rtol=1e-6)


def test_max_iterations_bounds_the_loop():
    g = edgenet.Graph("bounded")
    x = g.input("x", (2,))
    (y,) = g.while_loop(lambda y: g.less(g.reduce_sum(y, axis=0, keepdims=True), 1e9), lambda y: (y + 1.0,), (x,),
                        max_iterations=7)
    g.output(g.add(y, 0.0), "y")
    out = Interpreter(convert(g).to_bytes()).run({"x": np.array([1.0, 2.0], np.float32)})
    np.testing.assert_array_equal(out["y"], [8.0, 9.0])


def test_a_loop_without_max_iterations_stops_at_the_core_limit_with_an_error():
    g = edgenet.Graph("forever")
    x = g.input("x", (1,))
    (y,) = g.while_loop(lambda y: g.greater(y, -1.0), lambda y: (y + 0.0,), (x,))
    g.output(g.add(y, 0.0), "y")
    with pytest.raises(RuntimeError, match=r"still running after 1048576 iterations.*max_iterations"):
        Interpreter(convert(g).to_bytes()).run({"x": np.array([1.0], np.float32)})


def branchy_graph():
    g = edgenet.Graph("branchy")
    x = g.input("x", (2, 3))
    w = g.constant(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, "w")
    pred = g.greater(g.reduce_sum(x, axis=(0, 1), keepdims=False), 0.0)
    # true branch reads an outer tensor (w) and an outer computed one (x2); false branch its operand only
    x2 = g.mul(x, 2.0)
    y, z = g.cond(pred, lambda a: (g.matmul(a + x2, w), g.relu(a)), lambda a: (g.matmul(a, w) * -1.0, a - 1.0), x)
    g.output(y, "y")
    g.output(z, "z")
    return g


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cond_takes_both_branches(sign):
    x = (np.abs(np.random.default_rng(1).standard_normal((2, 3))) * sign).astype(np.float32)
    w = np.arange(6, dtype=np.float64).reshape(3, 2) / 10
    if x.sum() > 0:
        want_y, want_z = (x + 2 * x) @ w, np.maximum(x, 0)
    else:
        want_y, want_z = -(x @ w), x - 1.0
    out = Interpreter(convert(branchy_graph()).to_bytes()).run({"x": x})
    np.testing.assert_allclose(out["y"], want_y, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["z"], want_z, rtol=1e-6)


def test_nested_control_flow_captures_from_every_enclosing_scope():
    """A cond inside a while body reads the outer graph's input: captures pass through both levels."""
    g = edgenet.Graph("nested")
    x = g.input("x", (3,))
    bias = g.input("bias", (3,))

    def body(i, acc):
        even = g.less(g.sub(i, g.mul(g.floor(g.mul(i, 0.5)), 2.0)), 0.5)
        acc = g.cond(even, lambda a: a + bias, lambda a: a - x, acc)
        return i + 1.0, acc

    _, acc = g.while_loop(lambda i, acc: g.less(i, 5.0), body, (0.0, np.zeros(3, np.float32)))
    g.output(g.add(acc, 0.0), "acc")
    xv, bv = np.array([1.0, 2.0, 3.0], np.float32), np.array([0.5, 0.25, 4.0], np.float32)
    want = np.zeros(3)
    for i in range(5):
        want = want + bv if i % 2 == 0 else want - xv
    np.testing.assert_allclose(Interpreter(convert(g).to_bytes()).run({"x": xv, "bias": bv})["acc"], want, rtol=1e-6)


def test_shape_op_gives_run_time_dims():
    g = edgenet.Graph("dims")
    x = g.input("x", (None, 5, 2))
    g.output(g.shape(x), "dims")
    g.output(g.shape(x, dtype="int64"), "dims64")
    interpreter = Interpreter(convert(g).to_bytes())
    for n in (1, 4):
        out = interpreter.run({"x": np.zeros((n, 5, 2), np.float32)})
        assert out["dims"].dtype == np.int32 and out["dims64"].dtype == np.int64
        np.testing.assert_array_equal(out["dims"], [n, 5, 2])
        np.testing.assert_array_equal(out["dims64"], [n, 5, 2])


# ---- build-time errors ------------------------------------------------------------------------


def _graph():
    g = edgenet.Graph("errors")
    return g, g.input("x", (2, 3))


def test_branches_with_different_shapes_or_dtypes_are_rejected():
    g, x = _graph()
    pred = g.greater(g.reduce_sum(x, axis=(0, 1)), 0.0)
    with pytest.raises(GraphBuildError, match=r"cond: false_fn result 0 is float32 \(3,\), but true_fn's has "
                                              r"float32 \(2, 3\).*test_control_flow.py"):
        g.cond(pred, lambda a: a, lambda a: g.reduce_sum(a, axis=0), x)
    with pytest.raises(GraphBuildError, match=r"false_fn result 0 is bool .* true_fn's has float32"):
        g.cond(pred, lambda a: a, lambda a: g.greater(a, 0.0), x)
    with pytest.raises(GraphBuildError, match=r"false_fn gives 2 results, true_fn's has 1"):
        g.cond(pred, lambda a: a, lambda a: (a, a), x)


def test_pred_must_be_a_scalar_bool():
    g, x = _graph()
    with pytest.raises(GraphBuildError, match=r"pred must be a scalar bool tensor \(one element\), got float32"):
        g.cond(g.reduce_sum(x, axis=(0, 1)), lambda a: a, lambda a: a, x)
    with pytest.raises(GraphBuildError, match=r"pred must be a scalar bool tensor \(one element\), got bool \(2, 3\)"):
        g.cond(g.greater(x, 0.0), lambda a: a, lambda a: a, x)


def test_loop_body_results_must_match_the_loop_vars():
    g, x = _graph()
    with pytest.raises(GraphBuildError, match=r"while_loop: body_fn result 1 is float32 \(3,\), but loop_vars has "
                                              r"float32 \(2, 3\)"):
        g.while_loop(lambda i, v: g.less(i, 3.0), lambda i, v: (i + 1.0, g.reduce_sum(v, axis=0)), (0.0, x))
    with pytest.raises(GraphBuildError, match=r"body_fn gives 1 results, loop_vars has 2"):
        g.while_loop(lambda i, v: g.less(i, 3.0), lambda i, v: (i + 1.0,), (0.0, x))
    with pytest.raises(GraphBuildError, match=r"cond_fn's result must be a scalar bool"):
        g.while_loop(lambda i, v: i, lambda i, v: (i, v), (0.0, x))
    with pytest.raises(GraphBuildError, match=r"max_iterations must be None or an int"):
        g.while_loop(lambda i: g.less(i, 3.0), lambda i: (i,), (0.0,), max_iterations=-2)


def test_a_body_tensor_used_outside_its_body_is_an_error():
    g, x = _graph()
    leaked = []
    pred = g.greater(g.reduce_sum(x, axis=(0, 1)), 0.0)
    g.cond(pred, lambda a: leaked.append(a * 2.0) or leaked[0], lambda a: a, x)
    with pytest.raises(GraphBuildError, match=r"belongs to graph 'cond/then"):
        g.add(leaked[0], x)


# ---- hostile files: the loader's checks of subgraphs ------------------------------------------


def _loop_graph():
    g = edgenet.Graph("loop")
    x = g.input("x", (3,))
    (y,) = g.while_loop(lambda y: g.less(g.reduce_sum(y, axis=0, keepdims=True), 10.0), lambda y: (y + 1.0,), (x,),
                        max_iterations=100)
    g.output(g.add(y, 0.0), "y")
    return g


def _hostile(change):
    """A valid loop model (prepared for the file), changed by `change(main_graph, while_node)`, as bytes."""
    from edgenet.converters import passes, serialize

    graph = passes.prepare(_loop_graph())
    node = next(n for n in graph.nodes if n.op == "while_loop")
    change(graph, node)
    return serialize.to_bytes(graph, {})


def _nested_conds(depth, shared):
    """`depth` conds nested in each other's then-branch; `shared`: each else branch is the same graph as its
    then branch (so the file is small but an interpreter would instantiate 2^depth bodies)."""
    g = edgenet.Graph("deep")
    x = g.input("x", (1,))
    pred = g.greater(x, 0.0)

    def level(k):
        return (lambda a: g.cond(pred, level(k - 1), lambda b: b - 1.0, a)) if k else (lambda a: a + 1.0)

    y = level(depth)(x)
    g.output(g.add(y, 0.0), "y")
    from edgenet.converters import passes, serialize

    graph = passes.prepare(g)
    if shared:
        def share(graph):
            for n in graph.nodes:
                if n.op == "cond":
                    n.attrs["else_branch"] = n.attrs["then_branch"]
                    share(n.attrs["then_branch"])
        share(graph)
    return serialize.to_bytes(graph, {})


def _set(attr, value):
    def change(graph, node):
        node.attrs[attr] = value(graph, node) if callable(value) else value
    return change


def _body_input_dtype(graph, node):
    node.attrs["body_graph"].inputs[0].dtype = "int32"


def _drop_body_output(graph, node):
    node.attrs["body_graph"].outputs = []


def _cond_gives_float(graph, node):
    cond = node.attrs["cond_graph"]
    cond.outputs = [cond.inputs[0]]


def _body_runs_itself(graph, node):
    body = node.attrs["body_graph"]
    inner = edgenet.graph.Node("while_loop", list(body.inputs), [edgenet.graph.Tensor(body, "again", (3,), "float32")],
                               dict(node.attrs), "again")
    body.nodes.append(inner)


HOSTILE = [
    ("body index out of range", _hostile(_set("body_graph", 9)),
     r"body subgraph index 9 out of range \(1\.\.1; 0 is the main graph\)"),
    ("body is the main graph", _hostile(_set("cond_graph", 0)), r"cond subgraph index 0 out of range"),
    ("body runs itself", _hostile(_body_runs_itself),
     r"runs itself or an enclosing graph \(recursion is not allowed\)"),
    ("body input of another dtype", _hostile(_body_input_dtype),
     r"input 0: tensor 'x' is FLOAT32 but subgraph 2's .* is INT32"),
    ("body with too few outputs", _hostile(_drop_body_output), r"subgraph 2 '.*' has 1 inputs and 0 outputs; this "
                                                               r"WHILE needs 1 and 1"),
    ("condition not bool", _hostile(_cond_gives_float),
     r"condition subgraph 1's output '.*' must be BOOL, got FLOAT32"),
    ("nesting deeper than 16", _nested_conds(17, shared=False), r"control flow nested deeper than 16 levels"),
    ("2^12 body instances from 12 subgraphs", _nested_conds(12, shared=True),
     r"control flow would create more than 1024 body interpreters"),
]


@pytest.mark.parametrize("name, model, message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_subgraph_files_get_a_clear_error(name, model, message):
    with pytest.raises((ValueError, RuntimeError), match=message):
        Interpreter(model)


def test_shared_bodies_within_the_limits_still_run():
    """Sharing one body between two branches is valid (10 levels: 2^10 = 1024 interpreters would be the limit,
    so 9 levels, 2^10 - 1 with the main graph... stay under)."""
    out = Interpreter(_nested_conds(9, shared=True)).run({"x": np.array([2.0], np.float32)})
    np.testing.assert_array_equal(out["y"], [3.0])


def test_hostile_subgraph_files_under_address_sanitizer(tmp_path):
    """The C runner built with ASan + UBSan rejects each with the same message, and runs a valid loop model
    and the textbook RNN cleanly."""
    from test_corrupt_models import REPO

    sys.path.insert(0, str(REPO / "native" / "tests"))
    import build_programs

    programs = build_programs.build_programs()
    if not programs["sanitized"]:
        pytest.skip("the C compiler cannot build with AddressSanitizer/UBSan here")
    path = tmp_path / "hostile.enet"
    for name, model, message in HOSTILE:
        path.write_bytes(model)
        result = build_programs.run(programs["edgenet_run"], path)
        assert result.returncode == 1, f"{name}: exit {result.returncode}\n{result.stderr[-3000:]}"
        assert re.search(message, result.stderr), f"{name}: {result.stderr}"
    for graph in (_loop_graph(), branchy_graph()):
        path.write_bytes(convert(graph).to_bytes())
        result = build_programs.run(programs["edgenet_run"], path)
        assert result.returncode == 0, result.stderr[-3000:]


# ---- int8 ---------------------------------------------------------------------------------------


def int8_rnn(w):
    """The textbook RNN with a fully connected layer (an int8 kernel): y (1, D), t (1,)."""
    g = edgenet.Graph("rnn8")
    x = g.input("x", (None, D))
    length = g.cast(g.slice(g.shape(x), (0,), (1,)), "float32")

    def step(t, y):
        x_t = g.gather(x, g.cast(t, "int32"), axis=0)  # (1, D)
        return t + 1.0, g.fully_connected(y + x_t, np.ascontiguousarray(w.T))

    _, y = g.while_loop(lambda t, y: g.less(t, length), step, (np.zeros(1, np.float32), np.zeros((1, D), np.float32)))
    g.output(y, "y")
    return g


def cosine(a, b):
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_int8_while_loop_is_close_to_float_and_bit_exact_with_the_integer_reference():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((D, D))
    w = (0.8 * w / np.linalg.norm(w, 2)).astype(np.float32)  # contractive: the state stays in a calibrated range
    samples = [{"x": rng.standard_normal((n, D)).astype(np.float32)} for n in (3, 6, 12, 9, 15)]
    model = convert(int8_rnn(w), quantize="int8", calibration=samples)
    body = model.graph.bodies()[1]
    assert {"fully_connected", "add_1"} <= set(model.quantization.int8_ops), model.quantization
    assert any(t.dtype == "int8" for t in body.tensors)
    # the sequence is quantized once, before the loop (passes.hoist_loop_invariants), not at every step
    assert [n.op for n in body.nodes].count("quantize") == 1  # the state y's, at the body's edge
    assert any(n.op == "quantize" and n.inputs[0].name == "x" for n in model.graph.nodes)
    # the loop counter and the condition stay float: they decide how often the loop runs
    reasons = {name: reason for name, _, reason in model.quantization.float_ops}
    assert "how often the while_loop runs" in reasons["less"] and "add" in reasons  # (add: the counter t + 1)
    interpreter = Interpreter(model.to_bytes())
    for length in (1, 4, 10, 14):
        x = rng.standard_normal((length, D)).astype(np.float32)
        got = interpreter.run({"x": x})["y"][0]
        assert cosine(got, numpy_rnn(x, w)) >= 0.99, length
        np.testing.assert_array_equal(got, reference.run(model.graph, {"x": x})["y"][0].astype(np.float32))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_int8_cond_takes_both_branches(sign):
    rng = np.random.default_rng(6)
    w = rng.standard_normal((3, 3)).astype(np.float32)
    g = edgenet.Graph("branchy8")
    x = g.input("x", (2, 3))
    pred = g.greater(g.reduce_sum(x, axis=(0, 1)), 0.0)
    y = g.cond(pred, lambda a: g.fully_connected(a, w, activation="relu"), lambda a: g.fully_connected(a * 0.5, w), x)
    g.output(g.add(y, 0.0), "y")
    samples = [{"x": (np.abs(rng.standard_normal((2, 3))) * s).astype(np.float32)} for s in (1, -1) * 8]
    model = convert(g, quantize="int8", calibration=samples)
    assert sum(name.startswith("fully_connected") for name in model.quantization.int8_ops) == 2
    x = (np.minimum(np.abs(rng.standard_normal((2, 3))), 1.5) * sign).astype(np.float32)  # inside the calibration
    want = np.maximum(x @ w.T, 0) if sign > 0 else (x * 0.5) @ w.T
    got = Interpreter(model.to_bytes()).run({"x": x})["y"]
    assert cosine(got, want) >= 0.99
    np.testing.assert_array_equal(got, reference.run(model.graph, {"x": x})["y"].astype(np.float32))
