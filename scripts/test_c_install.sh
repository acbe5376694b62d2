#!/usr/bin/env bash
# The C library as an app developer gets it: build native/ and `cmake --install` it into a prefix,
# build native/examples/ (its own CMake project: find_package(edgenet), edgenet::edgenet) against
# that prefix only, and classify bundled digits images with the float32 and int8 models, linked
# shared and static. The float32 scores are checked against the numpy reference executor
# (edgenet.reference), the int8 classes against the reference's.
#
#   scripts/test_c_install.sh [WORKDIR]        (needs cmake, a C compiler, and `import edgenet`)
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${1:-$(mktemp -d)}"
PYTHON="${PYTHON:-python3}"
JOBS="${JOBS:-2}"
mkdir -p "$WORK"
# A build dir from an earlier run may hold a CMake cache for another checkout: start clean.
rm -rf "$WORK/build-lib" "$WORK"/build-example-* "$WORK/prefix"

echo "== build and install the library into $WORK/prefix"
cmake -S "$REPO/native" -B "$WORK/build-lib" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$WORK/build-lib" -j "$JOBS" >/dev/null
cmake --install "$WORK/build-lib" --prefix "$WORK/prefix" | sed "s|$WORK/||"

echo "== models and inputs (digits, examples/digits/)"
"$PYTHON" - "$REPO/examples/digits" "$WORK" <<'PY'
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, sys.argv[1])
import edgenet  # noqa: E402
from model import build_graph, load_data, to_input  # noqa: E402

work = Path(sys.argv[2])
data = load_data()
graph = build_graph(data)
edgenet.convert(graph).save(work / "digits_float.enet")
calibration = [{"image": image[None]} for image in to_input(data["calibration_images"])]
edgenet.convert(graph, quantize="int8", calibration=calibration).save(work / "digits_int8.enet")
images = to_input(data["test_images"][:8])
with open(work / "expected.txt", "w") as expected:
    for i, image in enumerate(images):
        image[None].astype(np.float32).tofile(work / f"image{i}.f32")
        probs = edgenet.reference.run(graph, {"image": image[None]})["probs"][0]
        expected.write(f"image{i}.f32 {int(np.argmax(probs))} {float(np.max(probs)):.6f}\n")
PY

check_program() { # $1: classify binary, $2: label for messages
  local failures=0 line image klass prob got_class got_prob int8_class
  while read -r image klass prob; do
    line=$("$1" "$WORK/digits_float.enet" "$WORK/$image" 1 | grep '^class')
    read -r _ got_class got_prob <<<"$line"
    if [ "$got_class" != "$klass" ] || ! awk -v a="$got_prob" -v b="$prob" 'BEGIN{exit !((a-b)^2 < 1e-8)}'; then
      echo "FAIL $2 float32 $image: class $got_class p=$got_prob, reference class $klass p=$prob"; failures=$((failures+1))
    fi
    int8_class=$("$1" "$WORK/digits_int8.enet" "$WORK/$image" 1 | awk '/^class/{print $2}')
    if [ "$int8_class" != "$klass" ]; then
      echo "FAIL $2 int8 $image: class $int8_class, reference class $klass"; failures=$((failures+1))
    fi
  done <"$WORK/expected.txt"
  echo "$2: $(wc -l <"$WORK/expected.txt") images, $failures mismatches"
  return "$failures"
}

status=0
for linkage in shared static; do
  static=OFF; [ "$linkage" = static ] && static=ON
  echo "== native/examples against the installed library ($linkage)"
  # Only the install prefix: the example must not see the source tree or the build tree.
  cmake -S "$REPO/native/examples" -B "$WORK/build-example-$linkage" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$WORK/prefix" -DEDGENET_EXAMPLE_STATIC=$static >/dev/null
  cmake --build "$WORK/build-example-$linkage" >/dev/null
  "$WORK/build-example-$linkage/classify" "$WORK/digits_float.enet" "$WORK/image0.f32"
  check_program "$WORK/build-example-$linkage/classify" "$linkage" || status=1
done
if [ "$(uname)" = Linux ]; then
  echo "shared example links: $(ldd "$WORK/build-example-shared/classify" | awk '/edgenet/{print $1, $3}')"
fi
exit $status
