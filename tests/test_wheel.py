"""The installed package is complete and self-consistent: what a wheel must hold for `pip install
edgenet` to work with no compiler (cibuildwheel runs this file against each wheel it builds,
[tool.cibuildwheel] in pyproject.toml; scripts/test_wheel.sh against a wheel built here).

The checks that only mean something for a regular install (not the editable one of the test
environment) skip with that reason when the package is imported from the checkout.
"""
import importlib.metadata
import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import edgenet
from edgenet import _native

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = pathlib.Path(edgenet.__file__).resolve().parent
from_checkout = pytest.mark.skipif(PACKAGE == ROOT / "edgenet",
                                   reason="edgenet is imported from this checkout (editable install), not a wheel")


def test_versions_agree():
    """The distribution's metadata, the Python package and the compiled C core are one release."""
    assert importlib.metadata.version("edgenet") == edgenet.__version__ == _native.version()


def test_compiled_core_and_toolchain_are_importable():
    assert pathlib.Path(_native.__file__).suffix in (".so", ".pyd")
    for module in ("edgenet.converters", "edgenet.converters.onnx_import", "edgenet.ops", "edgenet.cli"):
        assert importlib.util.find_spec(module) is not None, f"{module} is missing from the install"


@from_checkout
def test_installed_package_is_not_the_checkout():
    """Inside the wheel: converters/ is edgenet/converters, and the core sits beside the package."""
    assert (PACKAGE / "converters" / "__init__.py").is_file()
    assert pathlib.Path(_native.__file__).resolve().parent == PACKAGE
    assert not list(PACKAGE.glob("*.pyx")), "sources are excluded from the wheel (wheel.exclude)"


@from_checkout
def test_wheel_needs_no_test_or_build_tools():
    """What the wheel declares: numpy and flatbuffers only; onnx/torch are optional extras."""
    requires = importlib.metadata.requires("edgenet") or []
    required = sorted(r.split(">")[0].split("=")[0].strip() for r in requires if "extra ==" not in r)
    assert required == ["flatbuffers", "numpy"]
    assert sys.version_info >= (3, 9)


def test_convert_and_run_match_the_numpy_reference():
    """A small graph converted to float32 and int8 runs in the installed core; float32 matches the
    numpy reference executor, int8 stays within 0.05 of it."""
    rng = np.random.default_rng(0)
    g = edgenet.Graph("wheel_check")
    x = g.input("x", shape=(1, 6, 6, 3))
    y = g.conv2d(x, rng.normal(0, 0.5, (8, 3, 3, 3)).astype(np.float32), np.zeros(8, np.float32),
                 padding="same", activation="relu")
    y = g.mean(y, axis=(1, 2))
    y = g.fully_connected(y, rng.normal(0, 0.5, (4, 8)).astype(np.float32), np.zeros(4, np.float32))
    g.output(g.softmax(y), "probs")
    inputs = [rng.uniform(0, 1, (1, 6, 6, 3)).astype(np.float32) for _ in range(16)]

    float_run = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    int8_model = edgenet.convert(g, quantize="int8", calibration=[{"x": a} for a in inputs])
    int8_run = edgenet.Interpreter(int8_model.to_bytes())
    for a in inputs[:4]:
        reference = edgenet.reference.run(g, {"x": a})["probs"]
        np.testing.assert_allclose(float_run.run({"x": a})["probs"], reference, atol=1e-5)
        np.testing.assert_allclose(int8_run.run({"x": a})["probs"], reference, atol=0.05)
