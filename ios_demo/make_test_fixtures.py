"""Write the models, inputs and expected outputs that `swift test` checks against.

The oracle for the Swift package is the Python package: every model here is
built with `edgenet.Graph`, converted with `edgenet.convert`, and run by the
Python `edgenet.Interpreter`; the Swift tests must reproduce those outputs from
the same .enet files and inputs.

    python ios_demo/make_test_fixtures.py                      # writes ios_demo/Tests/Fixtures/
    python ios_demo/make_test_fixtures.py --update-app-model   # also refreshes the app's bundled model

Layout of the output folder (read by ios_demo/Tests/*/Fixtures.swift):
    manifest.json   {"cases": [...], "digits": {...}}
    <case>.enet     one model per case
A case lists its inputs and expected outputs as {name, shape, dtype, data}
with data the raw little-endian bytes, base64-encoded (bit-exact, no text
rounding), plus the Python interpreter's quantization parameters for the
model's inputs and outputs. "resize" (optional) is the input shape to set
before running.

The demo app bundles a copy of the example digits model
(EdgeNetDigits.swiftpm/App/Resources/digits.enet); the manifest records which
example model it is byte-identical to ("app_variant", null when stale), so a
stale copy fails the Swift tests instead of shipping.
"""
import argparse
import base64
import inspect
import json
import shutil
from pathlib import Path

import numpy as np

import edgenet

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DIGITS_DIR = REPO / "examples" / "digits"
APP_MODEL = HERE / "EdgeNetDigits.swiftpm" / "App" / "Resources" / "digits.enet"
rng = np.random.default_rng(7)


def randn(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def encode(name, array, info=None):
    """A tensor as JSON; `info` (an Interpreter TensorInfo) adds its quantization parameters."""
    array = np.ascontiguousarray(array)
    quant = info.quantization if info is not None else None
    return {
        "name": name,
        "shape": list(array.shape),
        "dtype": str(array.dtype),
        "data": base64.b64encode(array.astype(array.dtype.newbyteorder("<")).tobytes()).decode(),
        "quantization": None if quant is None else {
            "scale": [float(v) for v in np.atleast_1d(quant.scale)],
            "zero_point": [int(v) for v in np.atleast_1d(quant.zero_point)],
            "axis": int(quant.axis),
        },
    }


# ---- the models -------------------------------------------------------------


def mlp():
    """Two outputs, batch 2: fully connected layers with a fused relu."""
    g = edgenet.Graph("mlp")
    x = g.input("features", shape=(2, 16))
    h = g.fully_connected(x, randn(32, 16, scale=0.3), randn(32, scale=0.1), activation="relu")
    logits = g.fully_connected(h, randn(10, 32, scale=0.3), randn(10, scale=0.1))
    g.output(logits, "logits")
    g.output(g.softmax(logits), "probs")
    return g, {"features": randn(2, 16)}


def two_inputs():
    """Two named inputs feeding a conv and a residual add."""
    g = edgenet.Graph("two_inputs")
    a = g.input("a", shape=(1, 5, 5, 3))
    b = g.input("b", shape=(1, 5, 5, 4))
    y = g.conv2d(a, randn(4, 3, 3, 3, scale=0.3), randn(4, scale=0.1), padding="same", activation="relu6")
    g.output(y + b, "sum")
    return g, {"a": randn(1, 5, 5, 3), "b": randn(1, 5, 5, 4)}


def mobilenet_block():
    """The foundation issue's MobileNet-style block (conv, depthwise, pointwise, add, pool, FC, softmax)."""
    g = edgenet.Graph("block")
    x = g.input("image", shape=(1, 12, 12, 3))
    y = g.conv2d(x, randn(8, 3, 3, 3, scale=0.3), randn(8, scale=0.1), strides=2, padding="same", activation="relu6")
    y = g.depthwise_conv2d(y, randn(1, 3, 3, 8, scale=0.3), randn(8, scale=0.1), padding="same", activation="relu")
    z = g.conv2d(y, randn(8, 1, 1, 8, scale=0.3), randn(8, scale=0.1), padding="valid")
    y = g.mean(y + z, axis=(1, 2))
    y = g.fully_connected(y, randn(5, 8, scale=0.3), randn(5, scale=0.1))
    g.output(g.softmax(y), "probs")
    return g, {"image": randn(1, 12, 12, 3)}


def dynamic_batch():
    """A dynamic batch dimension: the Swift test resizes the input to batch 3."""
    g = edgenet.Graph("dynamic")
    x = g.input("x", shape=(-1, 6))
    g.output(g.fully_connected(x, randn(4, 6, scale=0.5), randn(4, scale=0.1), activation="relu"), "y")
    return g, {"x": randn(3, 6)}


def calibration_feeds(feeds, count=16):
    """Calibration samples shaped like `feeds` (random, same distribution)."""
    return [{k: randn(*v.shape) for k, v in feeds.items()} for _ in range(count)]


# ---- writing -----------------------------------------------------------------


def write_case(out, name, model, feeds, resize=None):
    path = out / f"{name}.enet"
    model.save(str(path))
    interpreter = edgenet.Interpreter(str(path))
    outputs = interpreter.run(feeds)  # resizes dynamic dims to the feeds' shapes
    inputs_info = {t.name: t for t in interpreter.inputs}
    outputs_info = {t.name: t for t in interpreter.outputs}
    return {
        "name": name,
        "model": path.name,
        "resize": resize,
        "inputs": [encode(k, v, inputs_info[k]) for k, v in feeds.items()],
        "outputs": [encode(k, np.asarray(v), outputs_info[k]) for k, v in outputs.items()],
    }


def digits_fixture(out):
    """The example digits model (float and int8) with held-out images and the Python outputs."""
    data = np.load(DIGITS_DIR / "digits.npz")
    images = data["test_images"][:64].astype(np.float32) / 16.0  # the example's scaling
    labels = data["test_labels"][:64].astype(np.int64)
    models = {}
    for variant, path in find_digits_models().items():
        shutil.copyfile(path, out / f"digits_{variant}.enet")
        interpreter = edgenet.Interpreter(str(out / f"digits_{variant}.enet"))
        (input_name,) = [t.name for t in interpreter.inputs]
        outputs = [interpreter.run({input_name: img.reshape(1, 8, 8, 1)}) for img in images]
        output_name = next(iter(outputs[0]))
        models[variant] = {
            "model": f"digits_{variant}.enet",
            "input": input_name,
            "output": output_name,
            "expected": encode(output_name, np.stack([o[output_name][0] for o in outputs])),
        }
    app_bytes = APP_MODEL.read_bytes() if APP_MODEL.exists() else None
    app_variant = next((v for v, m in models.items() if (out / m["model"]).read_bytes() == app_bytes), None)
    return {
        "images": encode("images", images),  # (N, 8, 8) in [0, 1]
        "labels": [int(v) for v in labels],
        "models": models,
        "app_variant": app_variant,
    }


def find_digits_models():
    """The example's converted models: {"float": path, "int8": path} (int8 when present)."""
    found = {}
    for path in sorted(DIGITS_DIR.glob("*.enet")):
        found["int8" if "int8" in path.stem else "float"] = path
    if "float" not in found:
        raise SystemExit(f"no float digits model (*.enet) in {DIGITS_DIR}; run the example first")
    return found


def supports_int8():
    """True once edgenet.convert takes quantize= (the quantization issue)."""
    return "quantize" in inspect.signature(edgenet.convert).parameters


def update_app_model():
    """Copies the example digits model the app should ship (int8 when there is one)."""
    models = find_digits_models()
    source = models.get("int8", models["float"])
    APP_MODEL.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, APP_MODEL)
    print(f"app model <- {source.relative_to(REPO)}")


def streaming_fixture(out):
    """streaming.enet, a model with a state variable (y_t = 2 * (x_1 + ... + x_t)), and streaming.json:
    the stream's frames and the outputs of a numpy loop over it (the oracle for resetState)."""
    g = edgenet.Graph("streaming")
    x = g.input("x", (1, 4))
    total = g.state("total", np.zeros((1, 4), np.float32))
    new = g.add(total, x)
    g.assign(total, new)
    g.output(g.mul(new, 2.0), "y")
    edgenet.convert(g).save(str(out / "streaming.enet"))
    frames = randn(6, 4)
    expected = 2 * np.cumsum(frames.astype(np.float64), axis=0)
    (out / "streaming.json").write_text(json.dumps({"frames": frames.tolist(), "expected": expected.tolist()}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "Tests" / "Fixtures")
    parser.add_argument("--update-app-model", action="store_true",
                        help=f"copy the example digits model to {APP_MODEL.relative_to(REPO)}")
    args = parser.parse_args()
    if args.update_app_model:
        update_app_model()
    out = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    cases = []
    for build in (mlp, two_inputs, mobilenet_block):
        graph, feeds = build()
        cases.append(write_case(out, graph.name, edgenet.convert(graph), feeds))
        if supports_int8():
            # The same graph quantized to int8 (float inputs/outputs at the edges).
            qmodel = edgenet.convert(graph, quantize="int8", calibration=calibration_feeds(feeds))
            cases.append(write_case(out, graph.name + "_int8", qmodel, feeds))
    if not supports_int8():
        print("NOTE: no int8 cases: this edgenet.convert has no quantize= parameter yet")
    graph, feeds = dynamic_batch()
    cases.append(write_case(out, graph.name, edgenet.convert(graph), feeds, resize=[3, 6]))

    streaming_fixture(out)
    manifest = {"cases": cases, "digits": digits_fixture(out)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"wrote {len(cases)} cases and the digits fixture to {out}")


if __name__ == "__main__":
    main()
