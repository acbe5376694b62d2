#!/usr/bin/env bash
# Sanitized runs of the C core (issue 12, item 3). Each part prints PASS/FAIL; the script
# fails if any part fails.
#   1. AddressSanitizer + UBSan (-fno-sanitize-recover=undefined) build of the core, its C
#      tests (native/tests) and the fuzz harnesses (native/fuzz, replay-only with gcc):
#      ctest; the fuzz regression corpus (native/fuzz/regressions) through fuzz_raw; the
#      seed corpora of both harnesses (written by gen_seeds) through fuzz_raw and
#      fuzz_structured. Known findings another branch fixes (native/fuzz/known-findings)
#      are replayed too and reported as KNOWN while they still crash, without failing.
#   2. A slice of the Python tests against an ASan + UBSan build of the extension
#      (libasan preloaded into the plain python, leak checks off: CPython's own
#      allocations would drown them). Needs the test venv (pytest, numpy, cython, cmake);
#      skipped with a visible SKIP line when edgenet is not importable.
#   3. ThreadSanitizer build: test_kernels (the thread pool with 1-3 threads) and
#      test_threads (N threads x one shared enet_model x their own interpreters, outputs
#      compared bit for bit with a single-threaded run) over the fuzz seed models and,
#      when the Python package is importable, a converted float + int8 CNN.
#
# Usage: scripts/run_sanitizer_tests.sh [build-root]   (default: build/sanitize)
# Needs: gcc with libasan/libubsan/libtsan (build-essential), cmake; installed with apt when root.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$REPO/build/sanitize}"
JOBS=2

need=()
command -v gcc >/dev/null || need+=(build-essential)
command -v cmake >/dev/null || need+=(cmake)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "error: missing ${need[*]}; install them with apt-get" >&2; exit 2; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
export CC="${CC:-gcc}"
PYTHON="${PYTHON:-python3}"
# Sanitizer reports end the program with a distinct status; leaks are checked in the C programs.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=98"
export TSAN_OPTIONS="halt_on_error=1:exitcode=97"

failed=0
run() { # run LABEL COMMAND...
  local label="$1"; shift
  echo "-- $label"
  if "$@"; then echo "PASS $label"; else echo "FAIL $label"; failed=$((failed + 1)); fi
}
build() { # build DIR SANITIZERS [cmake args...]
  local dir="$1" san="$2"; shift 2
  cmake -S "$REPO/native" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGENET_BUILD_TESTS=ON \
    -DEDGENET_SANITIZE="$san" "$@" >/dev/null && cmake --build "$dir" -j "$JOBS" >/dev/null
}

# ---- 1. ASan + UBSan: C tests and fuzz corpora ----------------------------------------
ASAN_DIR="$BUILD/asan"
echo "== ASan + UBSan build ($CC)"
if ! build "$ASAN_DIR" address,undefined -DEDGENET_BUILD_FUZZERS=ON; then
  echo "FAIL ASan + UBSan build"; exit 1
fi
run "C tests (ctest) under ASan + UBSan" ctest --test-dir "$ASAN_DIR" --output-on-failure
# Known findings first: while one still crashes, the generator steps around those
# patterns (ENET_FUZZ_SKIP_KNOWN, native/fuzz/model_gen.c) so the seed corpora test the rest.
for known in "$REPO"/native/fuzz/known-findings/*.enet; do
  [ -e "$known" ] || continue
  if "$ASAN_DIR/fuzz/fuzz_raw" "$known" >/dev/null 2>&1; then
    echo "NOTE known finding $(basename "$known") no longer crashes: move it to native/fuzz/regressions/"
  else
    echo "KNOWN $(basename "$known") still crashes (fixed on branch hardening; not counted as a failure)"
    export ENET_FUZZ_SKIP_KNOWN=1
  fi
done
SEEDS="$BUILD/seeds"
rm -rf "$SEEDS" && mkdir -p "$SEEDS/structured" "$SEEDS/raw"
"$ASAN_DIR/fuzz/gen_seeds" "$SEEDS/structured" "$SEEDS/raw" 4 >/dev/null
# The harnesses print one line per input; keep only the summary and any report.
replay() { "$@" 2>&1 | grep -v '^running ' ; return "${PIPESTATUS[0]}"; }
run "fuzz regression corpus (native/fuzz/regressions) through fuzz_raw" \
  replay "$ASAN_DIR/fuzz/fuzz_raw" "$REPO/native/fuzz/regressions"
run "fuzz seed corpus through fuzz_raw" replay "$ASAN_DIR/fuzz/fuzz_raw" "$SEEDS/raw"
run "fuzz seed corpus through fuzz_structured" replay "$ASAN_DIR/fuzz/fuzz_structured" "$SEEDS/structured"
# ---- 2. Python tests against an ASan + UBSan extension ----------------------------------
PY_SLICE=(tests/test_corrupt_models.py tests/test_interpreter.py tests/test_runtime_index_errors.py
          tests/test_invoke_repeat.py tests/test_int8_ops.py tests/ops/test_recurrent.py tests/test_control_flow.py tests/test_state.py)
# These build and run their own sanitized C programs (part 1 covers that): minutes here.
PY_SKIP="not test_corruptions_under_address_sanitizer and not test_int8_kernels_under_sanitizers"
PY_SKIP+=" and not test_hostile_subgraph_files_under_address_sanitizer"
if "$PYTHON" -c "import edgenet, pytest, numpy" 2>/dev/null; then
  echo "== ASan + UBSan Python extension"
  "$PYTHON" -c "import Cython" 2>/dev/null || "$PYTHON" -m pip install -q "cython>=3.0"
  PY_DIR="$BUILD/asan-python"
  if build "$PY_DIR" address,undefined -DSKBUILD=ON -DPython_EXECUTABLE="$(command -v "$PYTHON")"; then
    # A package tree that is the source tree plus the sanitized extension; the editable
    # install's import hook is switched off so this tree is what `import edgenet` finds.
    PKG="$PY_DIR/pkg/edgenet"
    rm -rf "$PY_DIR/pkg" && mkdir -p "$PKG"
    for f in "$REPO"/edgenet/*; do case "$f" in *.so) ;; *) ln -s "$f" "$PKG/" ;; esac; done
    ln -s "$REPO/converters" "$PKG/converters"
    cp "$PY_DIR"/_native*.so "$PKG/"
    LIBASAN="$($CC -print-file-name=libasan.so)"
    # python -S: no site-packages .pth files, so an editable install's import hook cannot hand out
    # the regular extension instead of this one; site-packages itself comes back through PYTHONPATH.
    SITE="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    run "the Python slice imports the ASan + UBSan extension" \
      env PYTHONPATH="$PY_DIR/pkg:$SITE" LD_PRELOAD="$LIBASAN" ASAN_OPTIONS="detect_leaks=0" "$PYTHON" -S -c \
      'import sys, edgenet._native as n; print(n.__file__); sys.exit(n.__file__.startswith(sys.argv[1]) is False)' \
      "$PY_DIR/pkg"
    run "Python slice (${PY_SLICE[*]}) against the ASan + UBSan extension" \
      env PYTHONPATH="$PY_DIR/pkg:$SITE" LD_PRELOAD="$LIBASAN" \
      ASAN_OPTIONS="detect_leaks=0:exitcode=99" "$PYTHON" -S -m pytest -q -p no:cacheprovider \
      "${PY_SLICE[@]/#/$REPO/}" -x -k "$PY_SKIP"
  else
    echo "FAIL building the ASan Python extension"; failed=$((failed + 1))
  fi
else
  echo "SKIP Python slice under ASan: edgenet/pytest not importable with $PYTHON (run from the test venv)"
fi

# ---- 3. ThreadSanitizer: thread pool, many interpreters over one model -------------------
TSAN_DIR="$BUILD/tsan"
echo "== ThreadSanitizer build"
if build "$TSAN_DIR" thread; then
  run "test_kernels (thread pool, 1-3 threads) under TSan" "$TSAN_DIR/test_kernels"
  MODELS="$BUILD/thread-models"
  rm -rf "$MODELS" && mkdir -p "$MODELS"
  if "$PYTHON" -c "import edgenet" 2>/dev/null; then
    "$PYTHON" - "$MODELS" <<'EOF'
import sys
import numpy as np
import edgenet

rng = np.random.default_rng(0)
g = edgenet.Graph("thread_cnn")
x = g.input("image", (1, 16, 16, 3))
w = lambda *s: (rng.standard_normal(s) * 0.3).astype(np.float32)
y = g.relu(g.conv2d(x, w(8, 3, 3, 3), w(8), padding="same"))
y = g.relu(g.depthwise_conv2d(y, w(1, 3, 3, 8), w(8), strides=(2, 2), padding="same"))
y = g.fully_connected(g.mean(y, axis=(1, 2)), w(4, 8), w(4))
g.output(g.softmax(y), "probs")
calibration = [{"image": rng.standard_normal((1, 16, 16, 3)).astype(np.float32)} for _ in range(4)]
open(f"{sys.argv[1]}/cnn_float.enet", "wb").write(edgenet.convert(g, verbose=False).to_bytes())
open(f"{sys.argv[1]}/cnn_int8.enet", "wb").write(
    edgenet.convert(g, quantize="int8", calibration=calibration, verbose=False).to_bytes())
EOF
  fi
  cp "$SEEDS"/raw/*-0.enet "$MODELS/"
  run "test_threads (4 threads x one model x own interpreters) under TSan" \
    "$TSAN_DIR/test_threads" --threads 4 --runs 3 "$MODELS"/*.enet
else
  echo "FAIL ThreadSanitizer build"; failed=$((failed + 1))
fi

echo "== $failed failed"
[ "$failed" -eq 0 ]
