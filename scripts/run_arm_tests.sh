#!/usr/bin/env bash
# ARM verification of the C core (issue 5, item 5): cross-builds the core, its
# shared library and its C tests for aarch64 and armv7 Linux with Debian's
# cross gcc (native/toolchains/*.cmake) and runs the tests under qemu-user:
#   aarch64  qemu-aarch64-static -cpu max         (NEON + dotprod + i8mm paths)
#   aarch64  qemu-aarch64-static -cpu cortex-a72  (plain NEON fallbacks)
#   armv7    qemu-arm-static                      (32-bit NEON)
# test_kernels checks every optimized kernel the emulated CPU runs against the
# reference kernels (float within tolerance, int8 bit-exact, identical for any
# thread count). Prints the stripped libedgenet.so size per architecture.
#
# Usage: scripts/run_arm_tests.sh [build-root]   (default: build/arm)
# Needs: gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross
#        libc6-dev-armhf-cross qemu-user-static cmake (installed with apt when root).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$REPO/build/arm}"

need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v arm-linux-gnueabihf-gcc >/dev/null || need+=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
command -v cmake >/dev/null || need+=(cmake)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "error: missing ${need[*]}; install them with apt-get" >&2; exit 2; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

failed=0
run() { # run LABEL COMMAND...
  local label="$1"; shift
  echo "-- $label"
  if "$@"; then echo "PASS $label"; else echo "FAIL $label"; failed=$((failed + 1)); fi
}

sizes=""
for triple in aarch64-linux-gnu arm-linux-gnueabihf; do
  dir="$BUILD/$triple"
  echo "== cross build for $triple"
  cmake -S "$REPO/native" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DEDGENET_BUILD_TESTS=ON -DEDGENET_BUILD_SHARED=ON \
    -DCMAKE_TOOLCHAIN_FILE="$REPO/native/toolchains/$triple.cmake" >/dev/null
  cmake --build "$dir" -j 2 >/dev/null
  "$triple-strip" -o "$dir/libedgenet.stripped.so" "$dir/libedgenet.so"
  sizes="$sizes  $triple: $(stat -c %s "$dir/libedgenet.stripped.so") bytes\n"
  if [ "$triple" = aarch64-linux-gnu ]; then
    emulators=("qemu-aarch64-static -cpu max" "qemu-aarch64-static -cpu cortex-a72")
  else
    emulators=("qemu-arm-static")
  fi
  for qemu in "${emulators[@]}"; do
    for test in test_c_api test_kernels; do
      # shellcheck disable=SC2086
      run "$triple $test under '$qemu'" $qemu -L "/usr/$triple" "$dir/$test"
    done
  done
done
printf '== stripped libedgenet.so (all kernels)\n%b' "$sizes"
echo "== $failed failed"
[ "$failed" -eq 0 ]
