"""The `edgenet` command line.

    edgenet inspect model.enet                 inputs, outputs, ops (by name), sizes
    edgenet run model.enet --input image=x.npy [--output-dir DIR]
    edgenet bench model.enet [--runs 100] [--threads N] [--profile [--top N]]
    edgenet convert model.onnx [-o model.enet] [--input-shape x=1,3,224,224] [--constant-input sr=16000]
                    [--int8 --calibration samples.npy|.npz] [--report]
                    [--accuracy cosine|sqnr|topk --validation held_out.npz] [--float-layers a,b]
    edgenet keygen KEY                         Ed25519 key pair: KEY.pem (private), KEY.pub.pem
    edgenet sign model.enet --key KEY.pem      writes model.enet.sig (detached Ed25519 signature)
    edgenet verify model.enet [--key KEY.pub.pem [--signature model.enet.sig]]
                                               checksum, and the signature when a key is given
(keygen / sign / verify --key need `pip install edgenet[sign]`; see edgenet/integrity.py)

Conventions: errors are one line on stderr and exit status 1 (2 for bad arguments, from argparse);
an option that would be ignored is refused, not dropped; `convert` without -o writes NAME.enet in
the current directory and prints the path; output cut short by a closed pipe (`| head`) ends
quietly with status 141 (128 + SIGPIPE, as a shell reports it). Sample files (--calibration,
--validation) are described by SAMPLES_HELP.
"""
import argparse
import collections
import os
import sys
import time
import zipfile
from pathlib import Path

import numpy as np


def _shape(shape):
    return "(" + ", ".join("?" if d in (-1, None) else str(d) for d in shape) + ")"


def _quant(q):
    if not q:
        return ""
    scale, zero_point = np.asarray(q["scale"]), np.asarray(q["zero_point"])
    if scale.size == 1:
        return f"scale={scale[0]:.6g} zp={int(zero_point[0])}"
    return f"per-axis({q['axis']}) x{scale.size} scale=[{scale.min():.3g}..{scale.max():.3g}]"


def _random_feed(info, rng):
    shape = tuple(1 if d < 0 else d for d in info.shape)
    if np.issubdtype(info.dtype, np.floating):
        return rng.standard_normal(shape).astype(info.dtype)
    limits = np.iinfo(info.dtype)
    return rng.integers(max(limits.min, -128), min(limits.max, 127) + 1, size=shape).astype(info.dtype)


# Files that are models for other runtimes: `convert` makes them .enet files.
SOURCE_SUFFIXES = {".onnx": "an ONNX model", ".tflite": "a TFLite model", ".pt": "a PyTorch file",
                   ".pth": "a PyTorch file", ".pb": "a TensorFlow graph"}


def _enet_path(path):
    """`path` if it can be an .enet file; a model of another format gets the `convert` suggestion."""
    kind = SOURCE_SUFFIXES.get(path.suffix.lower())
    if kind is None and path.is_file():
        with open(path, "rb") as f:
            kind = "a TFLite model" if f.read(8)[4:8] == b"TFL3" else None
    if kind is not None:
        raise ValueError(f"{path} is {kind}, not an edgenet model; convert it first: "
                         f"edgenet convert {path} -o {path.with_suffix('.enet').name}")
    return path


def cmd_inspect(args):
    import edgenet

    model = edgenet.load(_enet_path(args.model))
    interpreter = edgenet.Interpreter(args.model)
    print(f"{args.model}: {model.size:,} bytes, format v{model.version}, producer {model.producer!r}")
    print(f"graph {model.name!r}: {len(model.operators)} ops, {len(model.tensors)} tensors, "
          f"{model.parameter_count:,} parameters, arena {interpreter.arena_size:,} bytes")
    before = model.metadata.get("edgenet.ops_before_optimization")
    if before is not None:  # written by edgenet.convert
        print(f"ops: {len(model.operators)} ({before} before optimization)")
    for title, tensors in (("inputs", model.inputs), ("outputs", model.outputs)):
        print(f"{title}:")
        for t in tensors:
            print(f"  {t.name:<24} {_shape(t.shape):<18} {t.dtype:<8} {_quant(t.quantization)}")
    if model.metadata:
        print("metadata:")
        for key, value in model.metadata.items():
            print(f"  {key}: {value}")
    counts = collections.Counter(op.opcode for op in model.operators)
    print("op counts: " + ", ".join(f"{name} x{n}" for name, n in counts.most_common()))
    print("ops: index, opcode, layer name (what --float-layers and the profile use) -> output tensors")
    for i, op in enumerate(model.operators):
        outs = [model.tensors[o] for o in op.outputs]
        act = f" +{op.activation}" if op.activation != "none" else ""
        layer = "" if [t.name for t in outs] == [op.name] else f" {op.name}"
        print(f"  {i:>3} {op.opcode + act:<26}{layer} -> " +
              ", ".join(f"{t.name} {_shape(t.shape)} {t.dtype}" for t in outs))
    if args.tensors:
        print("tensors:")
        for t in model.tensors:
            kind = "const" if t.buffer >= 0 else "     "
            print(f"  {t.index:>4} {kind} {t.name:<32} {_shape(t.shape):<18} {t.dtype:<8} {_quant(t.quantization)}")
    return 0


def _parse_feeds(pairs, interpreter):
    feeds = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep:
            if len(interpreter.inputs) != 1:
                raise ValueError(f"--input {pair!r}: give NAME=FILE.npy; the model's inputs are "
                                 f"{[info.name for info in interpreter.inputs]}")
            name, path = interpreter.inputs[0].name, pair
        feeds[name] = np.load(path, allow_pickle=False)
        info = next((info for info in interpreter.inputs if info.name == name), None)
        if info is not None and info.dtype.kind == "f" and feeds[name].dtype.kind == "f":
            feeds[name] = feeds[name].astype(info.dtype)  # np.save keeps float64; the model takes its own float
    return feeds


def cmd_run(args):
    import edgenet

    interpreter = edgenet.Interpreter(_enet_path(args.model), num_threads=args.threads)
    feeds = _parse_feeds(args.input, interpreter)
    outputs = interpreter.run(feeds)
    for name, value in outputs.items():
        if args.output_dir:
            args.output_dir.mkdir(parents=True, exist_ok=True)
            np.save(args.output_dir / f"{name}.npy", value)
        with np.printoptions(precision=5, suppress=True, threshold=50):
            print(f"{name} {value.shape} {value.dtype}:\n{value}")
    return 0


def cmd_bench(args):
    import edgenet

    if args.top is not None and not args.profile:
        raise ValueError("--top N picks the ops --profile lists; add --profile")
    interpreter = edgenet.Interpreter(_enet_path(args.model), num_threads=args.threads)
    rng = np.random.default_rng(0)
    feeds = _parse_feeds(args.input, interpreter) if args.input else \
        {info.name: _random_feed(info, rng) for info in interpreter.inputs}
    for _ in range(args.warmup):
        interpreter.run(feeds)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        interpreter.run(feeds)
        times.append(time.perf_counter() - start)
    ms = 1e3 * np.asarray(times)
    print(f"{args.model}: {args.runs} runs, threads={args.threads or 'one per core'}: "
          f"median {np.median(ms):.3f} ms, min {ms.min():.3f} ms, max {ms.max():.3f} ms")
    if args.profile:
        _print_profile(interpreter.profile(feeds, runs=args.runs, warmup=0), args.top or 20)
    return 0


def _print_profile(profile, top):
    """The `top` slowest ops (mean ms per invoke, share of the op total), then totals by opcode."""
    total = sum(op.time_ms for op in profile.ops) or 1.0
    rows = profile.top(top)
    print(f"\nprofile: {len(profile.ops)} ops, {profile.runs} runs, invoke {profile.invoke_ms:.3f} ms "
          f"(ops {total:.3f} ms); top {len(rows)} ops:")
    header = ("#", "op", "name", "output shape", "kernel", "ms", "share")
    table = [(str(op.index), op.opcode, op.name, "x".join(str(d) for d in op.shape), op.kernel,
              f"{op.time_ms:.3f}", f"{100 * op.time_ms / total:.1f}%") for op in rows]
    widths = [max(len(r[c]) for r in [header] + table) for c in range(len(header))]
    for r in [header] + table:
        print("  ".join(v.rjust(w) if c in (0, 5, 6) else v.ljust(w) for c, (v, w) in enumerate(zip(r, widths))))
    by_opcode = {}
    for op in profile.ops:
        count, ms = by_opcode.get(op.opcode, (0, 0.0))
        by_opcode[op.opcode] = (count + 1, ms + op.time_ms)
    print("\nby opcode:")
    for opcode, (count, ms) in sorted(by_opcode.items(), key=lambda kv: -kv[1][1]):
        print(f"  {opcode:<24} {count:4d} ops  {ms:9.3f} ms  {100 * ms / total:5.1f}%")


class _Stages:
    """One line on stderr as each conversion stage starts, with the time so far."""

    def __init__(self):
        self.started = time.monotonic()

    def __call__(self, message):
        print(f"[edgenet convert {time.monotonic() - self.started:5.1f} s] {message}", file=sys.stderr, flush=True)


def _parse_input_shapes(pairs):
    shapes = {}
    for pair in pairs:
        name, sep, dims = pair.partition("=")
        try:
            shape = tuple(int(d) for d in dims.split(","))
        except ValueError:
            sep = ""
        if not sep or not name or any(d < 1 for d in shape):
            raise ValueError(f"--input-shape {pair!r}: expected NAME=D0,D1,... with positive sizes "
                             "(e.g. --input-shape x=1,3,224,224)")
        shapes[name] = shape
    return shapes


def _parse_constant_inputs(pairs):
    """--constant-input NAME=VALUE: a number (a scalar), or numbers separated by commas (a 1-D array;
    "5," is one element); true / false for bool inputs."""
    values = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        try:
            items = [_cli_number(item) for item in text.split(",")]
            if len(items) > 1 and items[-1] is None:  # a trailing comma: a 1-D array
                items.pop()
            if not sep or not name or None in items or len({type(v) is bool for v in items}) > 1:
                raise ValueError
        except ValueError:
            raise ValueError(f"--constant-input {pair!r}: expected NAME=VALUE with VALUE a number, true / false, or "
                             "a comma list of them (e.g. --constant-input sr=16000, --constant-input "
                             "mask=1,0,1)") from None
        values[name] = np.array(items[0] if len(items) == 1 and "," not in text else items)
    return values


def _cli_number(text):
    """An int, a float or a bool from the command line (None for an empty item)."""
    text = text.strip()
    if not text:
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return int(text)
    except ValueError:
        return float(text)


SAMPLES_HELP = """\
A samples file holds representative inputs. .npy (one-input models): an array of shape
(N, *input shape), N samples stacked along a new first axis; an array of exactly the input shape is
one sample; for an input whose batch dim is 1, (N, *rest) is also read as N samples. .npz: one such
array per input name (np.savez(path, image=..., mask=...)), the same N for every input; with a
one-input model, a single array of any name. Float arrays are cast to float32."""


def _samples_file(path, inputs, what):
    """Feed dicts from a .npy / .npz samples file (SAMPLES_HELP) for a model with these inputs
    (graph tensors: name, shape with None for a dynamic dim, dtype); errors name the input and the
    shape expected."""
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".npz"):
        raise ValueError(f"{what} {path}: expected a .npy or .npz file of samples")
    if suffix == ".npy" and len(inputs) != 1:
        raise ValueError(f"{what} {path}: a .npy file holds one array, but the model has {len(inputs)} inputs "
                         f"{[t.name for t in inputs]}; give an .npz with one array per input name")
    try:
        if suffix == ".npy":
            arrays = {inputs[0].name: np.load(path, allow_pickle=False)}
        else:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as e:
        raise ValueError(f"{what} {path} is not a readable {suffix} file: {e}") from None
    if suffix == ".npz":
        if len(inputs) == 1 and len(arrays) == 1:
            arrays = {inputs[0].name: next(iter(arrays.values()))}
        missing = [t.name for t in inputs if t.name not in arrays]
        if missing:
            raise ValueError(f"{what} {path} has no array for input {missing[0]!r} (it has {sorted(arrays)}; "
                             f"the model's inputs are {[t.name for t in inputs]})")
    per_input = {t.name: _split_samples(arrays[t.name], t, f"{what} {path}") for t in inputs}
    counts = {name: len(samples) for name, samples in per_input.items()}
    if len(set(counts.values())) > 1:
        raise ValueError(f"{what} {path}: the inputs have different sample counts {counts}")
    count = next(iter(counts.values()))
    if count == 0:
        raise ValueError(f"{what} {path} holds no samples")
    return [{name: samples[i] for name, samples in per_input.items()} for i in range(count)]


def _split_samples(array, t, where):
    """The samples of one input in `array` (see SAMPLES_HELP), as arrays of the input's dtype."""
    shape = tuple(t.shape)

    def fits(dims, expected):
        return len(dims) == len(expected) and all(e is None or d == e for d, e in zip(dims, expected))

    if fits(array.shape[1:], shape):
        samples = list(array)
    elif fits(array.shape, shape):
        samples = [array]
    elif shape and shape[0] == 1 and fits(array.shape[1:], shape[1:]):
        samples = [array[i:i + 1] for i in range(array.shape[0])]
    else:
        dims = ", ".join("?" if d is None else str(d) for d in shape)
        raise ValueError(f"{where}: the array for input {t.name!r} has shape {array.shape}; expected N samples "
                         f"stacked as (N, {dims}), or one sample of shape ({dims})")
    dtype = np.dtype(t.dtype)
    if array.dtype != dtype:
        if not (array.dtype.kind in "fiub" and (dtype.kind == "f" or array.dtype.kind == dtype.kind)):
            raise ValueError(f"{where}: the array for input {t.name!r} has dtype {array.dtype}; the input "
                             f"takes {dtype}")
        samples = [s.astype(dtype) for s in samples]
    return [np.ascontiguousarray(s) for s in samples]


def _check_convert_options(args):
    """Refuse options that would be ignored, and pairs that need each other."""
    int8_only = [flag for flag, given in (("--calibration", args.calibration), ("--calibration-method",
                 args.calibration_method), ("--report", args.report), ("--report-svg", args.report_svg),
                 ("--report-samples", args.report_samples), ("--accuracy", args.accuracy),
                 ("--float-layers", args.float_layers)) if given]
    if int8_only and not args.int8:
        raise ValueError(f"{int8_only[0]} applies to int8 conversion only; add --int8 (with --calibration SAMPLES)")
    if args.int8 and args.calibration is None:
        raise ValueError("--int8 needs --calibration SAMPLES.npy|.npz (representative inputs; see --help)")
    if (args.accuracy is None) != (args.validation is None):
        raise ValueError("--accuracy METRIC and --validation SAMPLES (held-out inputs) go together")
    if args.tolerance is not None and args.accuracy is None:
        raise ValueError("--tolerance sets --accuracy's tolerance; add --accuracy METRIC --validation SAMPLES")
    if args.report_samples is not None and not (args.report or args.report_svg):
        raise ValueError("--report-samples N limits --report; add --report")


def _output_path(args):
    """-o, or NAME.enet in the current directory (the source's folder may be read-only or shared)."""
    output = args.output or Path.cwd() / (args.model.stem + ".enet")
    if output.resolve() == args.model.resolve():
        raise ValueError(f"the output {output} would overwrite the source model; give -o OUTPUT.enet")
    return output


def cmd_convert(args):
    import edgenet
    from edgenet.converters.frontends import import_model
    from edgenet.converters.onnx_import import ONNXImportError

    _check_convert_options(args)
    stage = _Stages()
    output = _output_path(args)
    stage(f"importing {args.model}")
    try:
        graph, layout = import_model(str(args.model), input_shapes=_parse_input_shapes(args.input_shape) or None,
                                     input_layout=args.layout,
                                     constant_inputs=_parse_constant_inputs(args.constant_input) or None)
    except ONNXImportError as e:
        raise ValueError(e.message + e.hint("cli")) from None
    samples = _samples_file(args.calibration, graph.inputs, "--calibration") if args.int8 else None
    options = {}
    if args.int8:
        options = dict(quantize="int8", calibration=samples, calibration_method=args.calibration_method or "minmax",
                       float_layers=[name for names in args.float_layers for name in names.split(",") if name])
        stage(f"optimizing and quantizing to int8 ({len(samples)} calibration samples)")
    else:
        stage("optimizing")
    if args.accuracy:  # the mixed-precision search: the fewest float layers meeting the metric on held-out inputs
        validation = _samples_file(args.validation, graph.inputs, "--validation")
        options["accuracy"] = edgenet.AccuracyTarget(metric=args.accuracy, tolerance=args.tolerance,
                                                     samples=validation)
    model = edgenet.convert(graph, metadata={"edgenet.layout": layout}, verbose=True, **options)
    stage(f"writing {output}")
    model.save(output)
    before = model.metadata.get("edgenet.ops_before_optimization", "?")
    after = model.metadata.get("edgenet.ops_after_optimization", "?")
    print(f"wrote {output}: {model.size:,} bytes, {model.parameter_count:,} parameters, layout {layout}")
    print(f"ops: {before} imported, {after} after optimization ({len(model.operators)} in the file)")
    counts = collections.Counter(op.opcode for op in model.operators)
    print("op counts: " + ", ".join(f"{name} x{n}" for name, n in counts.most_common()))
    if model.quantization is not None:  # --int8, or a pre-quantized (QDQ) ONNX model
        if not args.int8:
            print("int8: the ONNX model is pre-quantized (QDQ); its own scales and zero points are used")
        fallbacks = model.quantization.float_ops
        print(f"float fallbacks: {len(fallbacks)}" +
              "".join(f"\n  {name} ({op}): {why}" for name, op, why in fallbacks))
    if getattr(model, "accuracy_report", None) is not None:
        print(model.accuracy_report)  # the metric before (plain int8) and after, the layers kept float
    if args.report or args.report_svg:
        # Held-out samples when there are some (the calibration samples flatter int8), at most --report-samples.
        pool, source = (options["accuracy"].samples, "validation") if args.accuracy else (samples, "calibration")
        limit = args.report_samples or DEFAULT_REPORT_SAMPLES
        stage(f"quantization report over {min(limit, len(pool))} of {len(pool)} {source} samples "
              "(--report-samples N to change)")
        report = edgenet.quantization_report(graph, model, pool[:limit])
        print(report)
        if args.report_svg:
            args.report_svg.write_text(report.to_svg())
            print(f"per-layer SQNR chart: {args.report_svg}")
    return 0


def cmd_keygen(args):
    from edgenet import integrity

    private, public = integrity.generate_key()
    private_path, public_path = Path(f"{args.key}.pem"), Path(f"{args.key}.pub.pem")
    for path in (private_path, public_path):
        if path.exists() and not args.force:
            raise ValueError(f"{path} exists (use --force to overwrite)")
    private_path.touch(mode=0o600)
    private_path.write_bytes(private)
    public_path.write_bytes(public)
    print(f"private key {private_path} (keep it secret), public key {public_path} (ship it with the app)")
    return 0


def cmd_sign(args):
    from edgenet import integrity

    data = Path(args.model).read_bytes()
    integrity.check_checksum(data)  # sign only an intact file
    signature = integrity.sign(data, Path(args.key).read_bytes())
    out = Path(args.output or f"{args.model}.sig")
    out.write_bytes(signature)
    print(f"{out}: Ed25519 signature of {args.model} ({len(data):,} bytes)")
    return 0


def cmd_verify(args):
    import edgenet
    from edgenet import integrity

    data = Path(args.model).read_bytes()
    if args.signature and not args.key:
        raise ValueError("--signature needs --key (the signer's public key)")
    version = edgenet.load(data).version
    if version >= 2:
        integrity.check_checksum(data)
        print(f"{args.model}: checksum ok")
    else:
        print(f"{args.model}: format v{version} has no checksum")
    if args.key:
        signature_path = Path(args.signature or f"{args.model}.sig")
        integrity.verify_signature(data, signature_path.read_bytes(), Path(args.key).read_bytes())
        print(f"{args.model}: signature {signature_path} ok")
    return 0


DEFAULT_REPORT_SAMPLES = 32
MODEL_HELP = "the .enet model file (`edgenet convert` makes one from ONNX)"
THREADS_HELP = ("worker threads for the model's ops: 1 to the number of CPUs here ({cpus}); "
                "default 0: one per core")


def _count(minimum):
    """An argparse type: an int >= minimum, refused with a clear message otherwise."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value
    return parse


def _available_cpus():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _threads(text):
    """--threads: 0 (one per core) or 1..the CPUs this process may use; more only slow the model down."""
    value = _count(0)(text)
    cpus = _available_cpus()
    if value > cpus:
        raise argparse.ArgumentTypeError(f"{value} threads on {cpus} CPUs would only slow the model down; "
                                         f"give 1 to {cpus}, or 0 for one per core")
    return value


def _add_model_runtime_options(p, runs_help=None):
    p.add_argument("model", type=Path, help=MODEL_HELP)
    p.add_argument("--input", "-i", action="append", default=[], metavar="NAME=FILE.npy",
                   help="an input's value from a .npy file (repeat per input; NAME= may be left out for a "
                        "one-input model)")
    p.add_argument("--threads", type=_threads, default=0, metavar="N",
                   help=THREADS_HELP.format(cpus=_available_cpus()))


def build_parser():
    parser = argparse.ArgumentParser(prog="edgenet", description="edgenet model tools")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("inspect", help="show a model's inputs, outputs, ops and sizes",
                       description="Show a .enet model's inputs and outputs (name, shape, dtype, int8 parameters), "
                                   "metadata, op counts and every op with its layer name and output tensors.")
    p.add_argument("model", type=Path, help=MODEL_HELP)
    p.add_argument("--tensors", action="store_true", help="also list every tensor with dtype and quantization")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("run", help="run a model on inputs from .npy files and print the outputs",
                       description="Run a .enet model once on inputs read from .npy files; print each output and "
                                   "optionally save it as NAME.npy.")
    _add_model_runtime_options(p)
    p.add_argument("--output-dir", "-o", type=Path, help="save each output as NAME.npy here")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("bench", help="time a model (random inputs unless --input is given)",
                       description="Time a .enet model: --warmup untimed runs, then --runs timed ones; print the "
                                   "median, min and max. --profile then times every op.")
    _add_model_runtime_options(p)
    p.add_argument("--runs", type=_count(1), default=100, metavar="N", help="timed runs (default 100, at least 1)")
    p.add_argument("--warmup", type=_count(0), default=10, metavar="N", help="untimed runs first (default 10)")
    p.add_argument("--profile", action="store_true", help="then time every op and print the slowest")
    p.add_argument("--top", type=_count(1), default=None, metavar="N", help="ops listed by --profile (default 20)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("convert", help="convert an ONNX model to .enet (float32, or int8 with --int8)",
                       description="Convert an ONNX model to a .enet file (float32, or int8 with --int8).",
                       epilog=SAMPLES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", type=Path, help="an .onnx file (external data files next to it are read)")
    p.add_argument("--output", "-o", type=Path,
                   help="output .enet path (default: the model's name + .enet in the current directory)")
    p.add_argument("--int8", action="store_true", help="post-training int8 quantization")
    p.add_argument("--calibration", type=Path, metavar="SAMPLES",
                   help="representative inputs for --int8: a .npy or .npz file (see below)")
    p.add_argument("--calibration-method", default=None,
                   choices=("minmax", "moving_average", "percentile", "mse", "kl", "entropy"),
                   help="how activation ranges are chosen (default minmax; mse / kl search the scale with the "
                        "least error; entropy = kl)")
    p.add_argument("--float-layers", action="append", default=[], metavar="A,B,...",
                   help="layers to keep in float, by layer name or output tensor name as `inspect` and --report "
                        "show them (comma-separated, repeatable)")
    p.add_argument("--report", action="store_true", help="print per-layer int8 error (SQNR, cosine) vs float")
    p.add_argument("--report-svg", type=Path, metavar="CHART.svg",
                   help="also write the report's per-layer SQNR bar chart here (implies --report)")
    p.add_argument("--report-samples", type=_count(1), default=None, metavar="N",
                   help=f"samples the report runs (default {DEFAULT_REPORT_SAMPLES}: the first of --validation, "
                        "else of --calibration; each runs the float and the int8 model in numpy)")
    p.add_argument("--accuracy", choices=("cosine", "sqnr", "topk"),
                   help="keep the fewest layers in float that meet this metric vs float on --validation "
                        "(then print the metric before and after, and the layers kept)")
    p.add_argument("--validation", type=Path, metavar="SAMPLES",
                   help="held-out inputs for --accuracy, a file like --calibration's (not the same samples)")
    p.add_argument("--tolerance", type=float, default=None,
                   help="--accuracy's tolerance (cosine: 1 - min cosine, default 0.001; sqnr: min dB, default 30; "
                        "topk: fraction of samples allowed to fail, default 0)")
    p.add_argument("--input-shape", action="append", default=[], metavar="NAME=D0,D1,...",
                   help="pin an input's symbolic dims, e.g. --input-shape x=1,3,224,224 (repeat per input)")
    p.add_argument("--constant-input", action="append", default=[], metavar="NAME=VALUE",
                   help="freeze an input to a value (it is no longer an input; what depends on it is computed at "
                        "conversion), e.g. --constant-input sr=16000; a scalar, or a comma list for a 1-D input "
                        "(repeat per input)")
    p.add_argument("--layout", choices=("NCHW", "NHWC"), default=None,
                   help="layout of rank>=3 inputs/outputs (default NCHW: the ONNX model's own)")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("keygen", help="make an Ed25519 key pair for signing models (needs edgenet[sign])")
    p.add_argument("key", help="path prefix: writes KEY.pem (private) and KEY.pub.pem (public)")
    p.add_argument("--force", action="store_true", help="overwrite existing key files")
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser("sign", help="write a detached Ed25519 signature, model.enet.sig (needs edgenet[sign])")
    p.add_argument("model", help=MODEL_HELP)
    p.add_argument("--key", required=True, help="the private key (PEM, PKCS#8), e.g. from edgenet keygen")
    p.add_argument("-o", "--output", help="signature file (default: MODEL.sig)")
    p.set_defaults(func=cmd_sign)

    p = sub.add_parser("verify", help="check a model's checksum, and its signature when --key is given")
    p.add_argument("model", help=MODEL_HELP)
    p.add_argument("--key", help="the signer's public key (PEM)")
    p.add_argument("--signature", help="signature file (default: MODEL.sig)")
    p.set_defaults(func=cmd_verify)
    return parser


SIGPIPE_EXIT = 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader went away


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        status = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below, not at interpreter exit
        return status
    except BrokenPipeError:
        # The reader (`| head`) has what it wanted. Point stdout at /dev/null so the interpreter's
        # final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return SIGPIPE_EXIT
    except (ValueError, FileNotFoundError, RuntimeError, ImportError) as e:
        print(f"edgenet {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
