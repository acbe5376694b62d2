"""`import edgenet` is lazy: running a .enet model loads numpy and the C core's binding, not the
converter toolchain (edgenet/__init__.py and converters/__init__.py say how: PEP 562 module
`__getattr__`). Each check runs in a fresh interpreter and reads `sys.modules`; no timings.
The models are converted here, in the test's own process.
"""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import edgenet

# Never loaded by `import edgenet` or by running a model: the toolchain and what it imports.
HEAVY = ["edgenet.converters", "edgenet.converters.pipeline", "edgenet.converters.tflite_import.schema_generated",
         "edgenet.converters.onnx_import", "onnx", "torch", "edgenet.ops", "edgenet.graph"]


def _fresh(code, cwd):
    """Run `code` in a new interpreter; its last stdout line is JSON, returned decoded."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def _loaded(names):
    """Code for a fresh interpreter: `loaded(label)` records which of `names` are imported at that point."""
    return f"import json, sys\nNAMES = {names!r}\nseen = {{}}\n" \
           "def loaded(label):\n    seen[label] = [n for n in NAMES if n in sys.modules]\n"


def _tiny_graph():
    rng = np.random.default_rng(0)
    g = edgenet.Graph("tiny")
    x = g.input("x", shape=(1, 8, 8, 3))
    y = g.conv2d(x, rng.standard_normal((4, 3, 3, 3)).astype(np.float32), np.zeros(4, np.float32),
                 padding="same", activation="relu")
    g.output(g.mean(y, axis=(1, 2)), "y")
    return g


@pytest.fixture
def tiny_model(tmp_path):
    g = _tiny_graph()
    path = tmp_path / "tiny.enet"
    edgenet.convert(g).save(path)
    x = np.random.default_rng(1).standard_normal((1, 8, 8, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    return path, edgenet.reference.run(g, {"x": x})["y"]


def test_running_a_model_loads_no_converter(tiny_model, tmp_path):
    path, expected = tiny_model
    seen = _fresh(_loaded(HEAVY) + f"""
import edgenet
loaded("import")
import numpy as np
out = edgenet.Interpreter({str(path)!r}).run({{"x": np.load("x.npy")}})["y"]
loaded("run")
print(json.dumps(dict(seen, out=out.tolist())))
""", tmp_path)
    assert seen["import"] == [] and seen["run"] == []
    np.testing.assert_allclose(seen["out"], expected, rtol=1e-4, atol=1e-5)


def test_the_toolchain_loads_on_first_use(tmp_path):
    # A Graph's conversion loads the converters but neither importer; each importer loads for its format.
    from tflite_models import TFLiteBuilder

    b = TFLiteBuilder()
    x, y = b.tensor("x", (1, 4)), b.tensor("y", (1, 4))
    b.op("RELU", [x], [y])
    (tmp_path / "relu.tflite").write_bytes(b.finish([x], [y]))
    seen = _fresh(_loaded(HEAVY) + """
import numpy as np
import edgenet
loaded("import")
g = edgenet.Graph("g")
g.output(g.relu(g.input("x", shape=(1, 4))), "y")
model = edgenet.convert(g)
assert isinstance(model, edgenet.EnetModel) and isinstance(g, edgenet.Graph)
loaded("convert graph")
edgenet.convert("relu.tflite")
loaded("convert tflite")
print(json.dumps(seen))
""", tmp_path)
    assert seen["import"] == []
    assert seen["convert graph"] == ["edgenet.converters", "edgenet.converters.pipeline", "edgenet.ops",
                                     "edgenet.graph"]
    assert "edgenet.converters.tflite_import.schema_generated" in seen["convert tflite"]
    assert "onnx" not in seen["convert tflite"] and "torch" not in seen["convert tflite"]


def test_onnx_loads_when_an_onnx_model_is_converted(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "relu.onnx")
    seen = _fresh(_loaded(HEAVY) + """
import edgenet
edgenet.convert("relu.onnx")
loaded("convert onnx")
print(json.dumps(seen))
""", tmp_path)
    assert "onnx" in seen["convert onnx"] and "edgenet.converters.onnx_import" in seen["convert onnx"]
    assert "edgenet.converters.tflite_import.schema_generated" not in seen["convert onnx"]


def test_the_public_api_is_unchanged(tmp_path):
    # Every name edgenet exported when it imported everything eagerly: `from edgenet import X`,
    # attribute access, dir(), the same objects as in their modules, and pickling of an EnetModel.
    names = ["AccuracyTarget", "DataDependentError", "EnetModel", "Graph", "Interpreter", "compare", "cond",
             "convert", "converters", "load", "quantization_report", "reference", "register_custom_op", "trace",
             "unregister_custom_op", "while_loop", "graph", "interpreter", "ops", "quant_math", "tracing",
             "integrity", "__version__"]
    seen = _fresh(f"""
import json, pickle
import edgenet
from edgenet import {", ".join(names)}
assert set({names!r}) <= set(dir(edgenet))
assert edgenet.convert is edgenet.converters.pipeline.convert is edgenet.converters.convert
assert edgenet.EnetModel is edgenet.converters.model.EnetModel and edgenet.Graph is edgenet.graph.Graph
assert edgenet.register_custom_op is edgenet.ops.custom.register_custom_op and edgenet.trace is edgenet.tracing.trace
assert set(edgenet.converters.__all__) <= set(dir(edgenet.converters))
assert edgenet.converters.passes.prepare and edgenet.converters.FORMAT_VERSION >= 2  # submodules as attributes
g = edgenet.Graph("g")
g.output(g.relu(g.input("x", shape=(1, 4))), "y")
model = pickle.loads(pickle.dumps(edgenet.convert(g)))
assert isinstance(model, edgenet.EnetModel) and model.to_bytes() == edgenet.convert(g).to_bytes()
try:
    edgenet.no_such_name
except AttributeError as e:
    error = str(e)
print(json.dumps({{"error": error}}))
""", tmp_path)
    assert seen["error"] == "module 'edgenet' has no attribute 'no_such_name'"


@pytest.mark.parametrize("command", [["run", "tiny.enet", "--input", "x=x.npy"], ["bench", "tiny.enet", "--runs", "2"],
                                     ["inspect", "tiny.enet"]])
def test_cli_on_an_enet_file_loads_no_toolchain(tiny_model, tmp_path, command):
    # `inspect` reads the file with edgenet.load (converters/model.py) and nothing else of the toolchain.
    toolchain = [n for n in HEAVY if n != "edgenet.converters"]
    seen = _fresh(_loaded(HEAVY) + f"""
import contextlib, io
from edgenet.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    status = main({command!r})
loaded("cli")
print(json.dumps(dict(seen, status=status)))
""", tmp_path)
    assert seen["status"] == 0
    if command[0] == "inspect":
        assert not set(seen["cli"]) & set(toolchain)
    else:
        assert seen["cli"] == []
