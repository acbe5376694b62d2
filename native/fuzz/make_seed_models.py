"""Seed models for fuzz_raw made by the converter: every op, float and int8.

Runs the op test suites (their builders draw random shapes and attributes for every op,
through edgenet.Graph + edgenet.convert, float and int8) with edgenet.Interpreter wrapped
so that every model file it is given is also written to OUT_DIR (deduplicated by content,
at most MAX_BYTES each). The tests themselves run as usual; their outcome does not matter
here.

    python native/fuzz/make_seed_models.py OUT_DIR [pytest args...]

Default suites: tests/test_ops_vs_reference.py, test_new_ops_c.py, test_int8_ops.py,
test_int8_lookup_ops.py (a few minutes of CPU; run it once per campaign, not in CI).
"""
import hashlib
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITES = ["test_ops_vs_reference.py", "test_new_ops_c.py", "test_int8_ops.py", "test_int8_lookup_ops.py"]
MAX_BYTES = 64 * 1024  # libFuzzer mutates small files far faster


class CaptureModels:
    """pytest plugin: edgenet.Interpreter also saves the model bytes it loads."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.saved = 0

    def pytest_configure(self, config):
        import edgenet.interpreter

        original_init = edgenet.interpreter.Interpreter.__init__
        plugin = self

        def init(interpreter, model, *args, **kwargs):
            if isinstance(model, (bytes, bytearray, memoryview)):
                plugin.save(bytes(model))
            elif isinstance(model, (str, os.PathLike)) and os.path.isfile(model):
                with open(model, "rb") as f:
                    plugin.save(f.read())
            return original_init(interpreter, model, *args, **kwargs)

        edgenet.interpreter.Interpreter.__init__ = init

    def save(self, data):
        if len(data) > MAX_BYTES:
            return
        path = os.path.join(self.out_dir, hashlib.sha1(data).hexdigest()[:16] + ".enet")
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
            self.saved += 1


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    args = sys.argv[2:] or [os.path.join(ROOT, "tests", s) for s in SUITES]
    plugin = CaptureModels(out_dir)
    pytest.main(["-q", "-p", "no:cacheprovider", *args], plugins=[plugin])
    print(f"{plugin.saved} new seed models in {out_dir}")


if __name__ == "__main__":
    main()
