"""Builds the C test programs of native/tests with CMake, once per pytest session.

Used by tests/test_interpreter.py, tests/test_corrupt_models.py and tests/ops/test_custom.py. The build
uses native/CMakeLists.txt itself (so it compiles exactly what ships), with
AddressSanitizer + UBSan when the compiler supports them, so every run of the
programs also checks for out-of-bounds accesses and undefined behaviour.

    programs = build_programs()        # {"edgenet_run": path, "test_c_api": path, "test_custom_op": path, "sanitized": bool}
"""
import os
import shutil
import subprocess
import sys
import tempfile

NATIVE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SANITIZE_FLAGS = "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"
# Environment for running sanitized programs: distinct exit codes for sanitizer reports.
SANITIZER_ENV = {"ASAN_OPTIONS": "exitcode=99:detect_leaks=1", "UBSAN_OPTIONS": "halt_on_error=1:exitcode=98"}

_cache = {}


def _tool(name):
    """A build tool from PATH or next to the running Python (pip-installed cmake/ninja)."""
    found = shutil.which(name) or shutil.which(name, path=os.path.dirname(sys.executable))
    if not found:
        raise RuntimeError(f"{name} not found: pip install {name}")
    return found


def _build(build_dir, sanitize):
    cmake = _tool("cmake")
    args = [cmake, "-S", NATIVE, "-B", build_dir, "-DEDGENET_BUILD_TESTS=ON", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"]
    ninja = shutil.which("ninja") or shutil.which("ninja", path=os.path.dirname(sys.executable))
    if ninja:
        args += ["-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={ninja}"]
    if sanitize:
        args += [f"-DCMAKE_C_FLAGS={SANITIZE_FLAGS}", f"-DCMAKE_EXE_LINKER_FLAGS={SANITIZE_FLAGS}"]
    for cmd in (args, [cmake, "--build", build_dir, "-j", "2"]):
        result = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
        if result.returncode != 0:
            return result.stdout[-3000:] + result.stderr[-3000:]
    return None


def build_programs():
    if not _cache:
        root = tempfile.mkdtemp(prefix="edgenet-native-tests-")
        error = _build(os.path.join(root, "sanitized"), sanitize=True)
        sanitized = error is None
        if not sanitized:  # e.g. a compiler without sanitizer runtimes: plain build
            error = _build(os.path.join(root, "plain"), sanitize=False)
            if error is not None:
                raise RuntimeError(f"building native/tests failed:\n{error}")
        build_dir = os.path.join(root, "sanitized" if sanitized else "plain")
        _cache.update(edgenet_run=os.path.join(build_dir, "edgenet_run"),
                      test_c_api=os.path.join(build_dir, "test_c_api"),
                      test_custom_op=os.path.join(build_dir, "test_custom_op"), sanitized=sanitized)
    return _cache


def run(program, *args, timeout=60):
    """Runs a built program with the sanitizer environment; returns the CompletedProcess."""
    return subprocess.run([program, *map(str, args)], capture_output=True, text=True, errors="replace",
                          env=dict(os.environ, **SANITIZER_ENV), timeout=timeout)
