"""The checked-in edgenet/_schema/ must equal what flatc generates from schema/edgenet.fbs."""
import filecmp
import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKED_IN = os.path.join(REPO, "edgenet", "_schema")

def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_py_schema", os.path.join(REPO, "scripts", "gen_py_schema.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

def test_generated_schema_code_is_fresh(tmp_path):
    gen = _load_generator()
    gen.find_flatc()  # raises SystemExit with an install hint if flatc is missing
    gen.generate(str(tmp_path))
    fresh = sorted(p for p in os.listdir(tmp_path) if p.endswith(".py"))
    checked_in = sorted(p for p in os.listdir(CHECKED_IN) if p.endswith(".py"))
    assert fresh == checked_in, "file list differs; run: python scripts/gen_py_schema.py"
    stale = [name for name in fresh if not filecmp.cmp(tmp_path / name, os.path.join(CHECKED_IN, name), shallow=False)]
    assert not stale, f"stale generated files {stale}; run: python scripts/gen_py_schema.py"
