"""Test data for the Android/JNI host tests, produced with the edgenet Python package.

    python testdata.py make OUT_DIR          models + inputs + expected outputs + manifest
    python testdata.py check-runner OUT_DIR RUNNER [EMULATOR ...]
                                             run the core's C runner (native/tests/edgenet_run,
                                             e.g. under qemu) on every case and compare with the
                                             Python Interpreter's outputs

`make` writes, per case, the .enet model and raw little-endian .bin files (native order on every
platform we target), plus OUT_DIR/manifest.properties (java.util.Properties syntax) that the Java
tests read. Expected outputs come from two independent places:
  <case>.out.<name>.expected   the Python edgenet.Interpreter (same C core: Java must match exactly)
  <case>.out.<name>.reference  edgenet.reference.run, the numpy oracle (float32, compared with a
                               tolerance, float models only)
Each file holds `samples` consecutive samples of the tensor's shape (batch dim included).
"""
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

try:
    import edgenet
except ImportError:  # pragma: no cover - a setup problem, reported clearly
    sys.exit("error: the edgenet Python package is not installed. Run `pip install .` in the "
             "repository root (in the active Python environment) first.")

REPO = Path(__file__).resolve().parents[2]
DIGITS_DIR = REPO / "examples" / "digits"


class Manifest:
    def __init__(self):
        self.lines = []
        self.cases = []

    def put(self, key, value):
        self.lines.append(f"{key}={value}")

    def write(self, path):
        self.put("cases", ",".join(self.cases))
        path.write_text("\n".join(self.lines) + "\n")


def shape_str(shape):
    return ",".join(str(int(d)) for d in shape)


def quant_of(info):
    """(scales, zero_points) of a Python Interpreter tensor description, or None."""
    q = getattr(info, "quantization", None)
    if q is None and isinstance(info, dict):
        q = info.get("quantization")
    if not q:
        return None
    scale = q.get("scale") if isinstance(q, dict) else getattr(q, "scale", None)
    zero = q.get("zero_point") if isinstance(q, dict) else getattr(q, "zero_point", None)
    if scale is None or len(np.atleast_1d(scale)) == 0:
        return None
    return np.atleast_1d(scale).astype(np.float32), np.atleast_1d(zero).astype(np.int64)


def info_name(info):
    return info["name"] if isinstance(info, dict) else info.name


def add_case(out, manifest, case, model, samples, graph=None):
    """Save `model`, run every sample (a dict of feeds) through the Python Interpreter (and the
    numpy reference when `graph` is given) and record everything in the manifest."""
    model_path = out / f"{case}.enet"
    model.save(str(model_path))
    interp = edgenet.Interpreter(str(model_path))
    in_infos, out_infos = list(interp.inputs), list(interp.outputs)
    results = [interp.run(feeds) for feeds in samples]
    references = [edgenet.reference.run(graph, feeds) for feeds in samples] if graph else None

    manifest.cases.append(case)
    manifest.put(f"{case}.model", model_path.name)
    manifest.put(f"{case}.samples", len(samples))
    manifest.put(f"{case}.inputs", ",".join(info_name(i) for i in in_infos))
    manifest.put(f"{case}.outputs", ",".join(info_name(o) for o in out_infos))
    for info in in_infos:
        name = info_name(info)
        arrays = [np.ascontiguousarray(s[name]) for s in samples]
        path = out / f"{case}.in.{name}.bin"
        path.write_bytes(b"".join(a.tobytes() for a in arrays))
        key = f"{case}.in.{name}"
        manifest.put(key, path.name)
        manifest.put(f"{key}.shape", shape_str(arrays[0].shape))
        manifest.put(f"{key}.dtype", arrays[0].dtype.name)
        write_quant(manifest, key, info)
    for info in out_infos:
        name = info_name(info)
        arrays = [np.ascontiguousarray(r[name]) for r in results]
        path = out / f"{case}.out.{name}.expected.bin"
        path.write_bytes(b"".join(a.tobytes() for a in arrays))
        key = f"{case}.out.{name}"
        manifest.put(f"{key}.expected", path.name)
        manifest.put(f"{key}.shape", shape_str(arrays[0].shape))
        manifest.put(f"{key}.dtype", arrays[0].dtype.name)
        write_quant(manifest, key, info)
        if references is not None:
            ref = [np.asarray(r[name], dtype=np.float32) for r in references]
            ref_path = out / f"{case}.out.{name}.reference.bin"
            ref_path.write_bytes(b"".join(a.tobytes() for a in ref))
            manifest.put(f"{key}.reference", ref_path.name)
    return interp


def write_quant(manifest, key, info):
    q = quant_of(info)
    if q is not None:
        manifest.put(f"{key}.scale", ",".join(repr(float(s)) for s in q[0]))
        manifest.put(f"{key}.zero_point", ",".join(str(int(z)) for z in q[1]))


def two_io_case(out, manifest, rng):
    """Two inputs, two outputs: exercises run(Map), runForMultipleInputsOutputs, name lookup."""
    g = edgenet.Graph("two_io")
    a = g.input("a", shape=(2, 3))
    b = g.input("b", shape=(2, 3))
    g.output(g.relu(a + b), "sum")
    w = rng.standard_normal((5, 3)).astype(np.float32)
    bias = rng.standard_normal(5).astype(np.float32)
    g.output(g.softmax(g.fully_connected(a * b, w, bias)), "probs")
    samples = [{"a": rng.standard_normal((2, 3)).astype(np.float32),
                "b": rng.standard_normal((2, 3)).astype(np.float32)} for _ in range(4)]
    add_case(out, manifest, "two_io", edgenet.convert(g), samples, graph=g)


def dynamic_case(out, manifest, rng):
    """A dynamic batch (-1): exercises resizeInput. Samples use batch 3."""
    g = edgenet.Graph("dynamic")
    x = g.input("x", shape=(-1, 4))
    w = rng.standard_normal((3, 4)).astype(np.float32)
    bias = rng.standard_normal(3).astype(np.float32)
    g.output(g.fully_connected(x, w, bias, activation="relu"), "y")
    samples = [{"x": rng.standard_normal((3, 4)).astype(np.float32)} for _ in range(2)]
    add_case(out, manifest, "dynamic", edgenet.convert(g), samples, graph=g)
    manifest.put("dynamic.dynamic_batch", 1)


def streaming_case(out, manifest, rng):
    """A model with a state variable (y_t = 2 * (x_1 + ... + x_t)): exercises resetState. Not in "cases"
    (its samples are one stream, in order); the expected outputs come from a numpy loop."""
    g = edgenet.Graph("streaming")
    x = g.input("x", shape=(1, 4))
    total = g.state("total", np.zeros((1, 4), np.float32))
    new = g.add(total, x)
    g.assign(total, new)
    g.output(g.mul(new, 2.0), "y")
    edgenet.convert(g).save(str(out / "streaming.enet"))
    stream = rng.standard_normal((6, 1, 4)).astype(np.float32)
    expected = 2 * np.cumsum(stream.astype(np.float64), axis=0).astype(np.float32)
    (out / "streaming.in.x.bin").write_bytes(stream.tobytes())
    (out / "streaming.out.y.expected.bin").write_bytes(expected.tobytes())
    for key, value in (("model", "streaming.enet"), ("samples", 6), ("inputs", "x"), ("outputs", "y"),
                       ("in.x", "streaming.in.x.bin"), ("in.x.shape", "1,4"), ("in.x.dtype", "float32"),
                       ("out.y.expected", "streaming.out.y.expected.bin"), ("out.y.shape", "1,4"),
                       ("out.y.dtype", "float32")):
        manifest.put(f"streaming.{key}", value)


def hostile_text_case(out, manifest):
    """Tensor names and a metadata value holding byte 0xFF, which is not UTF-8 (nor the modified
    UTF-8 that JNI's NewStringUTF takes: CheckJNI aborts the VM on it). Java must see the names
    with U+FFFD, or get a clear exception. The converter only writes valid text, so the file is
    written with '#' placeholders and patched in place (FlatBuffers strings are length-prefixed,
    so a same-length patch keeps the file well formed)."""
    g = edgenet.Graph("hostile")
    g.output(g.relu(g.input("in#put", shape=(1, 3))), "out#put")
    data = edgenet.convert(g, metadata={"note": "caf# au lait"}).to_bytes()
    for text in (b"in#put", b"out#put", b"caf# au lait"):
        if text not in data:
            raise RuntimeError(f"hostile_text: {text!r} not found in the serialized model")
        data = data.replace(text, text.replace(b"#", b"\xff"))
    from edgenet import integrity
    data = integrity.append_checksum(data[:-8])  # a checksum over the patched bytes: the names must reach Java
    path = out / "hostile_text.enet"
    path.write_bytes(data)
    manifest.put("hostile_text.model", path.name)
    # java.util.Properties reads ISO-8859-1 with \\uXXXX escapes: U+FFFD, the replacement char.
    manifest.put("hostile_text.input", "in\\uFFFDput")
    manifest.put("hostile_text.output", "out\\uFFFDput")
    manifest.put("hostile_text.metadata.note", "caf\\uFFFD au lait")


def load_digits_example():
    """The project's example digits model (examples/digits/model.py: build_graph, to_input)."""
    spec = importlib.util.spec_from_file_location("digits_model", DIGITS_DIR / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def convert_int8(graph, calibration_images):
    """The int8 model (issue 3), or None with a notice when this edgenet cannot quantize yet."""
    try:
        return edgenet.convert(graph, quantize="int8",
                               calibration=[{"image": x[None]} for x in calibration_images])
    except (TypeError, NotImplementedError) as e:
        print(f"NOTE: no int8 digits model ({type(e).__name__}: {e})")
        return None


def digits_cases(out, manifest, copy_to_assets):
    example = load_digits_example()
    data = example.load_data()
    graph = example.build_graph(data)
    images = example.to_input(data["test_images"])  # (N, 8, 8, 1) float32 in [0, 1]
    samples = [{"image": images[i:i + 1]} for i in range(len(images))]
    labels_path = out / "digits.labels.bin"
    labels_path.write_bytes(data["test_labels"].astype(np.uint8).tobytes())
    manifest.put("digits.labels", labels_path.name)
    # The raw 8x8 test images (0..16), for the preprocessing tests that render them as drawings.
    raw_path = out / "digits.raw_images.bin"
    raw_path.write_bytes(data["test_images"].astype(np.uint8).tobytes())
    manifest.put("digits.raw_images", raw_path.name)

    cases = ["digits"]
    add_case(out, manifest, "digits", edgenet.convert(graph), samples, graph=graph)
    int8 = convert_int8(graph, example.to_input(data["calibration_images"]))
    if int8 is not None:
        add_case(out, manifest, "digits_int8", int8, samples)
        cases.append("digits_int8")
    if copy_to_assets:  # the demo app ships the example models
        assets = REPO / "android_demo" / "app" / "src" / "main" / "assets"
        for case in cases:
            (assets / f"{case}.enet").write_bytes((out / f"{case}.enet").read_bytes())


def signed_case(out, manifest):
    """A detached Ed25519 signature of the digits model by a key made here (edgenet/integrity.py), for
    ModelSignatureTest. Needs the [sign] extra (cryptography), part of the [test] extra."""
    from edgenet import integrity

    private, public = integrity.generate_key()
    data = (out / "digits.enet").read_bytes()
    (out / "signing.pub.pem").write_bytes(public)
    (out / "digits.enet.sig").write_bytes(integrity.sign(data, private))
    _, other_public = integrity.generate_key()
    (out / "signing.other.pub.pem").write_bytes(other_public)
    manifest.put("signing.case", "digits")
    manifest.put("signing.public_key", "signing.pub.pem")
    manifest.put("signing.other_public_key", "signing.other.pub.pem")
    manifest.put("signing.signature", "digits.enet.sig")


def make(out, copy_to_assets=True):
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1234)
    manifest = Manifest()
    two_io_case(out, manifest, rng)
    dynamic_case(out, manifest, rng)
    streaming_case(out, manifest, rng)
    hostile_text_case(out, manifest)  # not a runnable case: no entry in "cases"
    digits_cases(out, manifest, copy_to_assets)
    signed_case(out, manifest)
    manifest.write(out / "manifest.properties")
    print(f"test data: {', '.join(manifest.cases)} -> {out}")


def read_manifest(out):
    props = {}
    for line in (out / "manifest.properties").read_text().splitlines():
        key, _, value = line.partition("=")
        props[key] = value
    return props


def parse_runner_output(text):
    """native/tests/edgenet_run prints "output <i> <name> (<shape>)" then one value per line."""
    outputs, current = {}, None
    for line in text.splitlines():
        if line.startswith("output "):
            current = outputs.setdefault(line.split()[2], [])
        elif current is not None and line.strip():
            current.append(float(line))
    return {name: np.array(values, dtype=np.float64) for name, values in outputs.items()}


def check_runner(out, runner, emulator, max_samples=8):
    """Runs the core's C runner (native/tests/edgenet_run) on the first samples of every case
    and compares with the Python Interpreter's outputs; returns (passed, failed)."""
    props = read_manifest(out)
    passed = failed = 0
    for case in props["cases"].split(","):
        inputs, outputs = props[f"{case}.inputs"].split(","), props[f"{case}.outputs"].split(",")
        total = int(props[f"{case}.samples"])
        # edgenet_run runs a dynamic batch as 1: compare the first row of each sample.
        rows = 1 if props.get(f"{case}.dynamic_batch") else None
        ok, problem = True, ""
        with tempfile.TemporaryDirectory() as tmp:
            for s in range(min(total, max_samples)):
                in_files = []
                for name in inputs:
                    key = f"{case}.in.{name}"
                    shape = [int(d) for d in props[f"{key}.shape"].split(",")]
                    data = np.fromfile(out / props[key], dtype=props[f"{key}.dtype"])
                    one = data.reshape(total, *shape)[s][:rows]
                    path = Path(tmp) / f"in_{name}.bin"
                    one.astype(one.dtype.newbyteorder("<")).tofile(path)
                    in_files.append(str(path))
                proc = subprocess.run([*emulator, runner, str(out / props[f"{case}.model"]), *in_files],
                                      capture_output=True, text=True, timeout=300)
                if proc.returncode != 0:
                    ok, problem = False, f"runner failed: {proc.stderr.strip()}"
                    break
                got_all = parse_runner_output(proc.stdout)
                for name in outputs:
                    key = f"{case}.out.{name}"
                    shape = [int(d) for d in props[f"{key}.shape"].split(",")]
                    want = np.fromfile(out / props[f"{key}.expected"], dtype=props[f"{key}.dtype"])
                    want = want.reshape(total, *shape)[s][:rows].ravel().astype(np.float64)
                    got = got_all.get(name)
                    if got is None or got.shape != want.shape:
                        ok, problem = False, f"{name}: runner printed no matching values"
                    elif props[f"{key}.dtype"].startswith("float"):
                        # FMA contraction may differ between ISAs: equal up to float rounding.
                        if not np.allclose(got, want, rtol=1e-5, atol=1e-6):
                            ok, problem = False, f"{name}: max abs difference {np.abs(got - want).max()}"
                    elif not np.array_equal(got, want):  # integer paths are bit-exact by design
                        ok, problem = False, f"{name}: integer outputs differ"
                if not ok:
                    break
        label = f"{Path(emulator[0]).name if emulator else 'native'} {case}"
        if ok:
            passed += 1
            print(f"PASS {label}: {min(total, max_samples)} samples match the Python Interpreter")
        else:
            failed += 1
            print(f"FAIL {label}: {problem}")
    return passed, failed


def n_samples(props, case):
    return int(props[f"{case}.samples"])


def main(argv):
    if len(argv) >= 2 and argv[0] == "make":
        make(Path(argv[1]), copy_to_assets="--no-assets" not in argv)
        return 0
    if len(argv) >= 3 and argv[0] == "check-runner":
        passed, failed = check_runner(Path(argv[1]), argv[2], argv[3:])
        print(f"RUNNER-RESULT {passed} {failed}")
        return 0 if failed == 0 else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
