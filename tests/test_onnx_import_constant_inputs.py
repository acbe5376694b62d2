"""constant_inputs= (an input frozen to a value at conversion, onnx-simplifier's "freeze input") and the
CLI's --constant-input. The frozen input is no longer an input of the converted model, and what is
computed from it folds: an If on it keeps one branch, integer arithmetic on it becomes constants.

Oracle: onnxruntime running the original model with the frozen value fed."""
import numpy as np
import pytest

import edgenet
from edgenet import cli
from edgenet.converters.onnx_import import ONNXImportError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper  # noqa: E402

DEFAULT_SCALE = np.array([0.5, -1.0, 2.0], np.float32)


def configurable_model():
    """y = a * scale if k > 3 else a - scale, with a = x + float(k * 2): `k` (int64 scalar) a setting fed
    at run time, run-time integer arithmetic on it and an If on it; `scale` an input with a default
    value (an initializer of the same name, which a feed overrides)."""
    then_branch = helper.make_graph([helper.make_node("Mul", ["a", "scale"], ["y_then"])], "then", [],
                                    [helper.make_tensor_value_info("y_then", TensorProto.FLOAT, [2, 3])])
    else_branch = helper.make_graph([helper.make_node("Sub", ["a", "scale"], ["y_else"])], "else", [],
                                    [helper.make_tensor_value_info("y_else", TensorProto.FLOAT, [2, 3])])
    nodes = [helper.make_node("Mul", ["k", "two"], ["k2"], name="double"),
             helper.make_node("Cast", ["k2"], ["kf"], to=TensorProto.FLOAT, name="to_float"),
             helper.make_node("Add", ["x", "kf"], ["a"], name="offset"),
             helper.make_node("Greater", ["k", "three"], ["big"], name="is_big"),
             helper.make_node("If", ["big"], ["y"], then_branch=then_branch, else_branch=else_branch, name="choose")]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
              helper.make_tensor_value_info("k", TensorProto.INT64, []),
              helper.make_tensor_value_info("scale", TensorProto.FLOAT, [3])]
    inits = [helper.make_tensor("two", TensorProto.INT64, [], [2]),
             helper.make_tensor("three", TensorProto.INT64, [], [3]),
             onnx.numpy_helper.from_array(DEFAULT_SCALE, "scale")]
    output = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    graph = helper.make_graph(nodes, "configurable", inputs, [output], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


X = np.array([[0.5, -1.25, 3.0], [2.0, 0.0, -0.75]], np.float32)


def onnxruntime_y(model, **feeds):
    return ort.InferenceSession(model.SerializeToString()).run(None, {"x": X, **feeds})[0]


@pytest.mark.parametrize("k", [5, 1])  # both branches of the If
def test_a_frozen_input_folds_and_matches_onnxruntime_fed_the_value(k):
    model = configurable_model()
    converted = edgenet.convert(model, constant_inputs={"k": k}, verbose=False)
    assert [t.name for t in converted.graph.inputs] == ["x"]
    assert not any(n.op == "cond" for n in converted.graph.nodes)  # the If kept one branch, inline
    got = edgenet.Interpreter(converted.to_bytes()).run({"x": X})["y"]
    np.testing.assert_allclose(got, onnxruntime_y(model, k=np.array(k, np.int64)), rtol=0, atol=1e-6)


def test_freezing_an_input_with_a_default_value_replaces_the_default():
    """An input that is also an initializer is a default onnxruntime lets a feed override; the frozen
    value overrides it the same way (a list converts to the input's float32)."""
    model = configurable_model()
    scale = [1.5, -2, 0.25]
    converted = edgenet.convert(model, constant_inputs={"k": 4, "scale": scale}, verbose=False)
    got = edgenet.Interpreter(converted.to_bytes()).run({"x": X})["y"]
    expected = onnxruntime_y(model, k=np.array(4, np.int64), scale=np.array(scale, np.float32))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    assert not np.allclose(expected, onnxruntime_y(model, k=np.array(4, np.int64)))  # the default differs


def test_without_it_the_refusal_names_the_input_to_freeze():
    """The If's condition and the integer product are computed from `k` only: the hint names `k`, not the
    data input `x` nor `scale` (a constant by default)."""
    with pytest.raises(ONNXImportError) as refused:
        edgenet.convert(configurable_model(), verbose=False)
    message = str(refused.value)
    assert "double (Mul): input 'k' has dtype int64; only float32 arithmetic is supported" in message
    assert refused.value.freeze == ["k"]
    assert "freeze it with constant_inputs={'k': ...}" in message
    cli_hint = refused.value.hint("cli")
    assert "--constant-input k=VALUE" in cli_hint and "constant_inputs" not in cli_hint


def test_branches_of_different_ranks_suggest_freezing_the_condition():
    """If(c, Squeeze(x), x): the branches give ranks 1 and 2, which a run-time IF cannot (everything after
    it is prepared before the condition is known); frozen, `c` keeps one branch."""
    def value(name, shape):
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)

    then_branch = helper.make_graph([helper.make_node("Squeeze", ["x", "axis"], ["a"])], "then", [], [value("a", [4])])
    else_branch = helper.make_graph([helper.make_node("Identity", ["x"], ["b"])], "else", [], [value("b", [1, 4])])
    graph = helper.make_graph(
        [helper.make_node("If", ["c"], ["y"], then_branch=then_branch, else_branch=else_branch, name="maybe_squeeze")],
        "squeeze", [value("x", [1, 4]), helper.make_tensor_value_info("c", TensorProto.BOOL, [])], [value("y", [])],
        [helper.make_tensor("axis", TensorProto.INT64, [1], [0])])  # (y's declared shape: the checker wants one)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ONNXImportError, match=r"maybe_squeeze \(If\): cond: false_fn result 0 is float32 \(1, 4\), "
                                              r"but true_fn's has float32 \(4,\).*constant_inputs=\{'c': \.\.\.\}"):
        edgenet.convert(model, verbose=False)
    x = np.array([[1.0, -2.0, 3.0, 0.5]], np.float32)
    for c, expected in ((True, x[0]), (False, x)):
        converted = edgenet.convert(model, constant_inputs={"c": c}, verbose=False)
        np.testing.assert_array_equal(edgenet.Interpreter(converted.to_bytes()).run({"x": x})["y"], expected)


def test_an_op_edgenet_only_folds_suggests_freezing_its_input():
    """Not (edgenet computes it only on constants) of a bool input: refused naming the input; frozen, it folds."""
    graph = helper.make_graph(
        [helper.make_node("Not", ["flag"], ["off"], name="invert"), helper.make_node("Cast", ["off"], ["gain"], to=1),
         helper.make_node("Mul", ["x", "gain"], ["y"])], "gate",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("flag", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ONNXImportError, match=r"invert \(Not\): only supported when its inputs are constants.*"
                                              r"freeze it with constant_inputs=\{'flag': \.\.\.\}"):
        edgenet.convert(model, verbose=False)
    for flag in (True, False):
        converted = edgenet.convert(model, constant_inputs={"flag": flag}, verbose=False)
        expected = ort.InferenceSession(model.SerializeToString()).run(None, {"x": X, "flag": np.array(flag)})[0]
        np.testing.assert_array_equal(edgenet.Interpreter(converted.to_bytes()).run({"x": X})["y"], expected)


@pytest.mark.parametrize("options, message", [
    (dict(constant_inputs={"K": 5}), r"constant_inputs names \['K'\], which are not model inputs; inputs are "
                                     r"\['x', 'k'\]"),
    (dict(constant_inputs={"k": 2.5}), r"constant_inputs\['k'\] = 2.5 \(float64\) does not convert exactly to int64, "
                                       r"the dtype of input 'k'"),
    (dict(constant_inputs={"k": True}), r"constant_inputs\['k'\] = True \(bool\) does not convert exactly to int64"),
    (dict(constant_inputs={"k": 2**63}), r"constant_inputs\['k'\] = 9223372036854775808 \(uint64\) does not convert "
                                         r"exactly to int64"),
    (dict(constant_inputs={"k": "5"}), r"constant_inputs\['k'\] has dtype <U1; give a number, a bool or an array"),
    (dict(constant_inputs={"k": [5]}), r"constant_inputs\['k'\] has shape \(1,\), but input 'k' has shape \(\)"),
    (dict(constant_inputs={"scale": [1.0, 2.0]}), r"constant_inputs\['scale'\] has shape \(2,\), but input 'scale' "
                                                  r"has shape \(3,\)"),
    (dict(constant_inputs={"k": 5}, input_shapes={"k": ()}), r"inputs \['k'\] have both a pinned shape and a "
                                                              r"constant value"),
])
def test_values_that_do_not_fit_the_input_are_refused_naming_it(options, message):
    with pytest.raises(ONNXImportError, match=message):
        edgenet.convert(configurable_model(), verbose=False, **options)


def test_an_open_dim_takes_any_size_and_a_graph_source_refuses_the_option():
    model = configurable_model()
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "n"  # x: (2, n)
    with pytest.raises(ONNXImportError, match=r"constant_inputs\['x'\] has shape \(3, 3\), but input 'x' has shape "
                                              r"\(2, \?\)"):
        edgenet.convert(model, constant_inputs={"x": np.zeros((3, 3), np.float32), "k": 5}, verbose=False)
    g = edgenet.Graph()
    x = g.input("x", (1, 3))
    g.output(g.relu(x))
    with pytest.raises(ValueError, match="constant_inputs= apply to ONNX / TFLite / torch sources"):
        edgenet.convert(g, constant_inputs={"x": [[1.0, 2.0, 3.0]]}, verbose=False)


# ---- the command line -----------------------------------------------------------------------------------


def test_cli_constant_input_freezes_and_the_refusal_speaks_cli_syntax(tmp_path, capsys):
    model = configurable_model()
    path = tmp_path / "configurable.onnx"
    onnx.save(model, str(path))
    assert cli.main(["convert", str(path), "-o", str(tmp_path / "refused.enet")]) == 1
    err = capsys.readouterr().err
    assert "--constant-input k=VALUE" in err and "constant_inputs=" not in err
    assert cli.main(["convert", str(path), "-o", str(tmp_path / "k5.enet"), "--constant-input", "k=5",
                     "--constant-input", "scale=1.5,-2,0.25"]) == 0
    interpreter = edgenet.Interpreter(str(tmp_path / "k5.enet"))
    expected = onnxruntime_y(model, k=np.array(5, np.int64), scale=np.array([1.5, -2, 0.25], np.float32))
    np.testing.assert_allclose(interpreter.run({"x": X})["y"], expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("flag, message", [
    ("k=five", "--constant-input 'k=five': expected NAME=VALUE with VALUE a number, true / false, or a comma list"),
    ("k", "--constant-input 'k': expected NAME=VALUE"),
    ("k=1,,2", "--constant-input 'k=1,,2': expected NAME=VALUE"),
    ("k=1,true", "--constant-input 'k=1,true': expected NAME=VALUE"),
    ("k=5,", r"constant_inputs['k'] has shape (1,), but input 'k' has shape ()"),  # "5," is a 1-D array
    ("n=5", "constant_inputs names ['n'], which are not model inputs; inputs are ['x', 'k']"),
])
def test_cli_constant_input_errors(tmp_path, capsys, flag, message):
    path = tmp_path / "configurable.onnx"
    onnx.save(configurable_model(), str(path))
    assert cli.main(["convert", str(path), "-o", str(tmp_path / "out.enet"), "--constant-input", flag]) == 1
    assert message in capsys.readouterr().err
