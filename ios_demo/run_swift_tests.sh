#!/usr/bin/env bash
# Builds and tests the edgenet Swift package (Package.swift at the repo root).
#
#   1. make_test_fixtures.py writes models, inputs and the Python Interpreter's
#      outputs into ios_demo/Tests/Fixtures (the oracle for the Swift tests);
#   2. swift build — warnings are errors, the package must build clean under
#      Swift 6 strict concurrency;
#   3. swift test.
#
# Assumes the repository is already pip-installed in the active Python
# environment (PYTHON overrides the interpreter) and a Swift 6 toolchain is on
# PATH or in /opt/swift.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
# Keep parallel compile jobs modest on shared CI machines.
JOBS="${SWIFT_JOBS:-2}"

cd "$REPO"
echo "== fixtures (Python edgenet $("$PYTHON" -c 'import edgenet; print(edgenet.__version__)'))"
"$PYTHON" ios_demo/make_test_fixtures.py

echo "== swift build"
swift build --build-tests -j "$JOBS" -Xswiftc -warnings-as-errors

echo "== swift test"
swift test --skip-build
