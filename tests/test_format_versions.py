"""Format version 2 reads version-1 files: the checked-in tests/data/v1 files (written by the version-1
converter, no checksum trailer, zero points stored as int64 per channel) load and give the outputs
of the numpy reference, computed here from the graph they were built from (tests/data/v1/make_files.py)."""
import importlib.util
import pathlib

import numpy as np
import pytest

import edgenet
from edgenet.converters import FORMAT_VERSION

V1 = pathlib.Path(__file__).resolve().parent / "data" / "v1"


@pytest.fixture(scope="module")
def fixture_module():
    spec = importlib.util.spec_from_file_location("v1_make_files", V1 / "make_files.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _feeds(count):
    rng = np.random.default_rng(11)
    return [{"image": rng.uniform(-1, 1, (1, 12, 12, 3)).astype(np.float32)} for _ in range(count)]


def test_the_files_are_version_1_without_a_trailer():
    assert FORMAT_VERSION == 2
    for name in ("float.enet", "int8.enet"):
        data = (V1 / name).read_bytes()
        assert edgenet.load(data).version == 1
        assert data[-4:] != b"ECRC"


@pytest.mark.parametrize("source", ["path", "bytes"])
def test_v1_float_file_matches_the_reference(fixture_module, source):
    path = V1 / "float.enet"
    interpreter = edgenet.Interpreter(str(path) if source == "path" else path.read_bytes())
    graph = fixture_module.build_graph()
    for feeds in _feeds(4):
        np.testing.assert_allclose(interpreter.run(feeds)["probs"], edgenet.reference.run(graph, feeds)["probs"],
                                   rtol=1e-5, atol=1e-7)


def test_v1_int8_file_matches_the_integer_reference(fixture_module):
    """The int8 graph is quantized again by today's converter (same calibration, so the same parameters);
    the integer reference on it is the oracle; the v1 and v2 files run the same integer program, so their
    outputs are identical."""
    graph = fixture_module.build_graph()
    model = edgenet.convert(graph, quantize="int8", calibration=fixture_module.calibration(), verbose=False)
    old, new = edgenet.Interpreter(str(V1 / "int8.enet")), edgenet.Interpreter(model.to_bytes())
    stored = edgenet.load(V1 / "int8.enet")
    weights = [t for t in stored.tensors if t.name.endswith("weights")]
    assert weights and all(len(t.quantization["zero_point"]) == len(t.quantization["scale"]) > 1 for t in weights)
    for feeds in _feeds(4):
        expected = edgenet.reference.run(model.graph, feeds)["probs"]  # softmax runs in float at the end
        np.testing.assert_allclose(old.run(feeds)["probs"], expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(old.run(feeds)["probs"], new.run(feeds)["probs"])


def test_future_versions_are_refused():
    data = bytearray((V1 / "float.enet").read_bytes())
    model = edgenet.load(bytes(data))
    assert model.version == 1
    # Model.version is the root table's first field; patch it in place through the parsed offset.
    from edgenet._schema import edgenet_generated as S

    root = S.Model.GetRootAs(bytes(data), 0)
    field = root._tab.Offset(4)  # vtable slot of `version`
    data[root._tab.Pos + field:root._tab.Pos + field + 4] = (3).to_bytes(4, "little")
    with pytest.raises(RuntimeError, match="model format version 3; this build reads versions 1 to 2"):
        edgenet.Interpreter(bytes(data))
