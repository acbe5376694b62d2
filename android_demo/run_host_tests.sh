#!/usr/bin/env bash
# Host verification of the Android library and demo logic (no Android SDK/NDK needed):
#   1. test data: models, inputs and expected outputs from the edgenet Python package
#      (android_demo/tools/testdata.py); the example digits models are copied into the app's assets
#   2. the JNI library + core built for this machine against the installed JDK
#   3. javac of the library, the app's plain-Java logic and their JUnit 4 tests; the tests run on
#      the host JVM with -Xcheck:jni (any JNI warning counts as a failure)
#   4. cross builds of the core + JNI library for aarch64 and armv7 (Debian cross gcc,
#      native/toolchains/*.cmake); the core's C tests and its runner (native/tests) run under
#      qemu-user and the runner's outputs are compared with the Python Interpreter's
# Ends with "N passed, N failed"; exit status 0 only when nothing failed.
#
# Needs: the edgenet Python package installed in the active Python (`pip install .` at the repo
# root). Installs the rest with apt when run as root on Debian/Ubuntu.
# Env: EDGENET_ANDROID_BUILD (build dir, default build/android), SKIP_CROSS=1 (host only).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BUILD="${EDGENET_ANDROID_BUILD:-$REPO/build/android}"
PYTHON="${PYTHON:-python3}"
JOBS=2
passed=0
failed=0

note() { printf '\n== %s\n' "$*"; }
record() { # record NAME STATUS(0=pass)
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}

# ---- 0. tools -------------------------------------------------------------------------------
need_pkgs=()
command -v javac >/dev/null || need_pkgs+=(default-jdk-headless)
[ -f /usr/share/java/junit4.jar ] || need_pkgs+=(junit4)
command -v cmake >/dev/null || need_pkgs+=(cmake)
command -v cc >/dev/null || need_pkgs+=(gcc libc6-dev)
if [ "${SKIP_CROSS:-0}" != 1 ]; then
  command -v aarch64-linux-gnu-gcc >/dev/null || need_pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
  command -v arm-linux-gnueabihf-gcc >/dev/null || need_pkgs+=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
  command -v qemu-aarch64-static >/dev/null || need_pkgs+=(qemu-user-static)
  command -v aarch64-linux-gnu-strip >/dev/null || need_pkgs+=(binutils-aarch64-linux-gnu binutils-arm-linux-gnueabihf)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  note "installing ${need_pkgs[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing ${need_pkgs[*]}; run as root or install them with apt-get" >&2
    exit 2
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
if ! "$PYTHON" -c "import edgenet, edgenet.converters" 2>/dev/null; then
  echo "error: the edgenet Python package is not importable with $PYTHON." >&2
  echo "       Run 'pip install .' in $REPO (in the active Python environment) first." >&2
  exit 2
fi
JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
export JAVA_HOME
JUNIT_CP="/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar"

# ---- 1. test data ---------------------------------------------------------------------------
note "test data (Python package)"
DATA="$BUILD/testdata"
rm -rf "$DATA"
"$PYTHON" "$HERE/tools/testdata.py" make "$DATA"

# ---- 2. host JNI library ----------------------------------------------------------------------
CPP="$HERE/edgenet/src/main/cpp"
note "host build of libedgenet_jni.so (JDK: $JAVA_HOME)"
cmake -S "$CPP" -B "$BUILD/host" -DCMAKE_BUILD_TYPE=Release -DJAVA_HOME="$JAVA_HOME" >/dev/null
cmake --build "$BUILD/host" -j "$JOBS" >/dev/null

# ---- 3. Java: compile and run the JUnit tests on the host JVM -----------------------------------
note "javac + JUnit 4 (-Xcheck:jni)"
CLASSES="$BUILD/classes"
rm -rf "$CLASSES"
mkdir -p "$CLASSES"
find "$HERE/edgenet/src/main/java" "$HERE/app/src/main/java/org/edgenet/demo/logic" \
     "$HERE/edgenet/src/test/java" "$HERE/app/src/test/java" "$HERE/testing/java" "$HERE/host/java" \
     -name '*.java' > "$BUILD/sources.txt"
if grep -l 'import android\.' $(cat "$BUILD/sources.txt") >/dev/null 2>&1; then
  echo "error: plain-Java sources must not import android.*:" >&2
  grep -l 'import android\.' $(cat "$BUILD/sources.txt") >&2
  exit 1
fi
javac -Xlint:all -Werror -Xlint:-options --release 8 -d "$CLASSES" -cp "$JUNIT_CP" @"$BUILD/sources.txt"
TEST_CLASSES=(
  org.edgenet.InterpreterOutputsTest
  org.edgenet.InterpreterErrorsTest
  org.edgenet.InterpreterThreadsAndMemoryTest
  org.edgenet.ModelSignatureTest
  org.edgenet.StreamingStateTest
  org.edgenet.demo.logic.DigitPreprocessorTest
  org.edgenet.demo.logic.TopKLabelsBenchmarkTest
)
set +e
# A fixed, pre-touched heap keeps RSS flat on the Java side, so the memory test sees native growth.
java -Xcheck:jni -Xms256m -Xmx256m -XX:+AlwaysPreTouch \
  -Djava.library.path="$BUILD/host" -Dedgenet.testdata="$DATA" \
  -cp "$CLASSES:$JUNIT_CP" org.edgenet.host.HostTestMain "${TEST_CLASSES[@]}" 2>&1 | tee "$BUILD/junit.log"
set -e
read -r junit_passed junit_failed < <(grep '^JUNIT-RESULT' "$BUILD/junit.log" | awk '{print $2, $3}' || echo "0 1")
passed=$((passed + ${junit_passed:-0}))
failed=$((failed + ${junit_failed:-1}))
# -Xcheck:jni reports misuse (local reference overflow, calls with a pending exception...) as warnings.
if grep -E 'WARNING in native method|JNI local refs|FATAL ERROR in native method' "$BUILD/junit.log"; then
  record "no -Xcheck:jni warnings" 1
else
  record "no -Xcheck:jni warnings" 0
fi

# ---- 4. ARM cross builds under qemu-user --------------------------------------------------------
if [ "${SKIP_CROSS:-0}" != 1 ]; then
  SIZES=""
  for target in aarch64-linux-gnu:"qemu-aarch64-static -cpu max" arm-linux-gnueabihf:"qemu-arm-static"; do
    triple="${target%%:*}"
    qemu="${target#*:}"
    dir="$BUILD/$triple"
    note "cross build for $triple, tests under $qemu"
    status=0
    { cmake -S "$CPP" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DEDGENET_BUILD_TESTS=ON \
        -DCMAKE_TOOLCHAIN_FILE="$REPO/native/toolchains/$triple.cmake" -DJAVA_HOME="$JAVA_HOME" >/dev/null &&
      cmake --build "$dir" -j "$JOBS" >/dev/null; } || status=1
    record "$triple: core + libedgenet_jni.so cross build" $status
    [ $status -eq 0 ] || continue
    file "$dir/libedgenet_jni.so" 2>/dev/null | sed 's/^/    /' || true
    "$triple-strip" -o "$dir/libedgenet_jni.stripped.so" "$dir/libedgenet_jni.so"
    SIZES="$SIZES    $triple: libedgenet_jni.so stripped $(stat -c %s "$dir/libedgenet_jni.stripped.so") bytes\n"
    # The core's own C tests (ctest runs them through CMAKE_CROSSCOMPILING_EMULATOR = qemu).
    status=0
    ctest --test-dir "$dir/edgenet-core" --output-on-failure || status=1
    record "$triple: core C tests (ctest under qemu)" $status
    # The core's runner on every test model vs the Python Interpreter.
    set +e
    # shellcheck disable=SC2086
    "$PYTHON" "$HERE/tools/testdata.py" check-runner "$DATA" "$dir/edgenet-core/edgenet_run" $qemu \
      -L "/usr/$triple" | tee "$BUILD/runner-$triple.log"
    set -e
    read -r p f < <(grep '^RUNNER-RESULT' "$BUILD/runner-$triple.log" | awk '{print $2, $3}' || echo "0 1")
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-1}))
  done
  note "native library sizes (stripped)"
  printf "%b" "$SIZES"
fi

note "summary"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
