"""The user guide runs, and the generated reference pages are fresh.

- Every ```python block of docs/guide.md runs, in order, in one namespace and a temporary working
  directory, as a reader pasting them into one session would. A block that imports onnx,
  onnxruntime or torch skips, naming the package, where that package is missing (CI installs
  them; a later block never depends on a skipped one).
- The ```c block compiles against native/include/edgenet.h alone, links with the C core, and
  runs on the model the Python blocks saved.
- docs/ops.md, docs/c_api.md and docs/format.md equal what scripts/gen_docs.py makes from the op
  registry, edgenet.h and the schema.
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "guide.md"
OPTIONAL_PACKAGES = ("onnxruntime", "onnx", "torch")


def code_blocks(path, language):
    """(first line number, code) of each fenced block of `language` in a Markdown file."""
    blocks, text = [], path.read_text()
    for m in re.finditer(rf"^```{language}\n(.*?)^```$", text, re.S | re.M):
        blocks.append((text.count("\n", 0, m.start()) + 2, m.group(1)))
    return blocks


PYTHON_BLOCKS = code_blocks(GUIDE, "python")


def test_guide_has_the_promised_sections():
    sections = re.findall(r"^## (.+)$", GUIDE.read_text(), re.M)
    for needed in ("Define a graph", "Import ONNX", "Import PyTorch", "Quantize to int8", "Check accuracy",
                   "Convert and run from Python", "Run from C", "Run from Java", "Run from Swift", "Deploy in an app"):
        assert any(s.startswith(needed) for s in sections), f"docs/guide.md has no section {needed!r}"
    assert len(PYTHON_BLOCKS) >= 6


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """The shared namespace and working directory of the guide's Python blocks."""
    workdir = tmp_path_factory.mktemp("guide")
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        yield {"__name__": "__guide__"}, workdir
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("line, code", PYTHON_BLOCKS, ids=[f"guide.md:{line}" for line, _ in PYTHON_BLOCKS])
def test_guide_python_block(session, line, code):
    namespace, _ = session
    for package in OPTIONAL_PACKAGES:
        if re.search(rf"^\s*(import|from) {package}\b", code, re.M) and importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed (pip install -e '.[test]' installs it)")
    exec(compile(code, f"{GUIDE}:{line}", "exec"), namespace)


def test_guide_c_block_compiles_and_runs(session, tmp_path):
    """Built as an app would: the public header only, linked with the static core library of the
    session's C build (native/tests/build_programs.py, sanitized where the compiler can)."""
    (line, code), = code_blocks(GUIDE, "c")
    sys.path.insert(0, str(ROOT / "native" / "tests"))
    import build_programs

    programs = build_programs.build_programs()
    build_dir = Path(programs["edgenet_run"]).parent
    flags = build_programs.SANITIZE_FLAGS.split() if programs["sanitized"] else []
    source, exe = tmp_path / "guide.c", tmp_path / "guide"
    source.write_text(code)
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    build = subprocess.run([compiler, "-std=c11", "-Wall", "-Werror", *flags, f"-I{ROOT / 'native' / 'include'}",
                            str(source), str(build_dir / "libedgenet.a"), "-lm", "-lpthread", "-o", str(exe)],
                           capture_output=True, text=True)
    assert build.returncode == 0, f"docs/guide.md:{line} does not build:\n{build.stderr[-3000:]}"
    _, workdir = session
    if not (workdir / "tiny_cnn.enet").exists():
        pytest.skip("the guide's Python blocks did not run first (run the whole file)")
    run = subprocess.run([str(exe)], cwd=workdir, capture_output=True, text=True, timeout=60,
                         env={**os.environ, **build_programs.SANITIZER_ENV})
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("class 0 score ")


def test_generated_reference_pages_are_fresh():
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
