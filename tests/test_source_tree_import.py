"""`import edgenet` in the repository root while a regular (non-editable) install exists: the
checkout's edgenet/ shadows the installed package, which has converters/ inside it and the compiled
core; the checkout has neither (docs/ARCHITECTURE.md, "Python packaging").

Simulated without a second install: a fresh interpreter without site processing (so no editable
finder), the repository root first on sys.path as `python -c` puts it, and a folder standing in for
site-packages that holds the compiled core and a converters/ package, as a wheel does (the
checkout's converters/ must win: edgenet/__init__.py loads it lazily, on first use).
"""
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

import numpy

import edgenet.interpreter

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_checkout_imports_over_a_regular_install(tmp_path):
    installed = tmp_path / "site-packages" / "edgenet"
    installed.mkdir(parents=True)
    native = pathlib.Path(edgenet.interpreter._native.__file__)
    shutil.copy(native, installed / native.name)
    (installed / "converters").mkdir()
    (installed / "converters" / "__init__.py").write_text("raise ImportError('the installed converters/ ran')\n")
    # numpy and flatbuffers from this environment's site-packages, without its .pth files (-S)
    paths = [str(tmp_path / "site-packages"), sysconfig.get_paths()["purelib"],
             str(pathlib.Path(numpy.__file__).parents[1])]
    code = ("import sys, edgenet; assert 'edgenet.converters' not in sys.modules; "  # loaded on first use
            "import edgenet.converters.quantize.policy; assert edgenet.convert is edgenet.converters.pipeline.convert; "
            "print(edgenet.__file__); print(edgenet.converters.__file__); print(edgenet.interpreter._native.__file__)")
    result = subprocess.run([sys.executable, "-S", "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(paths)), timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    package, converters, core = result.stdout.split()
    assert pathlib.Path(package) == ROOT / "edgenet" / "__init__.py"  # the checkout's Python runs
    assert pathlib.Path(converters) == ROOT / "converters" / "__init__.py"
    assert pathlib.Path(core) == installed / native.name  # the compiled core comes from the install
