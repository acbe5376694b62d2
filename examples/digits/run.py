"""The main job: convert the bundled digits CNN to .enet (float32, and int8 calibrated
on the bundled calibration images), run both in the C core on the held-out test set,
and print accuracy, file size and latency side by side.

    python examples/digits/run.py [--out DIR]
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import edgenet  # noqa: E402
from model import build_graph, load_data, to_input  # noqa: E402


def evaluate(interpreter, images, labels):
    """(accuracy, median latency in ms) of one-image-at-a-time inference."""
    correct, times = 0, []
    for image, label in zip(images, labels):
        start = time.perf_counter()
        probs = interpreter.run({"image": image[None]})["probs"]
        times.append(time.perf_counter() - start)
        correct += int(np.argmax(probs) == label)
    return correct / len(labels), 1e3 * float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="folder for the .enet files (default: next to this script)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    data = load_data()
    graph = build_graph(data)
    test_images, test_labels = to_input(data["test_images"]), data["test_labels"]

    # Calibration: representative inputs (never the test images) set the int8 activation ranges.
    calibration = [{"image": image[None]} for image in to_input(data["calibration_images"])]
    models = {
        "float32": (edgenet.convert(graph), "digits_float.enet"),
        "int8": (edgenet.convert(graph, quantize="int8", calibration=calibration), "digits_int8.enet"),
    }
    rows = []
    for kind, (model, filename) in models.items():
        path = args.out / filename
        model.save(path)
        accuracy, latency = evaluate(edgenet.Interpreter(path), test_images, test_labels)
        rows.append((kind, path, accuracy, latency))

    print(f"digits CNN, {len(test_labels)} held-out test images, C core via edgenet.Interpreter")
    print(f"{'model':<9} {'file':<20} {'size':>10} {'accuracy':>9} {'latency':>12}")
    for kind, path, accuracy, latency in rows:
        print(f"{kind:<9} {path.name:<20} {path.stat().st_size:>8,} B {accuracy:>9.2%} {latency:>9.3f} ms")
    (_, float_path, float_accuracy, _), (_, int8_path, int8_accuracy, _) = rows
    print(f"int8 vs float32: {int8_path.stat().st_size / float_path.stat().st_size:.2f}x the file size, "
          f"accuracy {100 * (int8_accuracy - float_accuracy):+.2f} points")


if __name__ == "__main__":
    main()
