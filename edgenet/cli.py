"""The `edgenet` command line.

    edgenet inspect model.enet                 inputs, outputs, ops, sizes
    edgenet run model.enet --input image=x.npy [--output-dir DIR]
    edgenet bench model.enet [--runs 100] [--threads N] [--profile [--top N]]
    edgenet convert model.onnx -o model.enet [--int8 --calibration samples.npz] [--report]
                    [--accuracy cosine|sqnr|topk --validation held_out.npz]
    edgenet keygen KEY                         Ed25519 key pair: KEY.pem (private), KEY.pub.pem
    edgenet sign model.enet --key KEY.pem      writes model.enet.sig (detached Ed25519 signature)
    edgenet verify model.enet [--key KEY.pub.pem [--signature model.enet.sig]]
                                               checksum, and the signature when a key is given
(keygen / sign / verify --key need `pip install edgenet[sign]`; see edgenet/integrity.py)
"""
import argparse
import collections
import sys
import time
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


def cmd_inspect(args):
    import edgenet

    model = edgenet.load(args.model)
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
    print("ops:")
    for i, op in enumerate(model.operators):
        outs = [model.tensors[o] for o in op.outputs]
        act = f" +{op.activation}" if op.activation != "none" else ""
        print(f"  {i:>3} {op.opcode + act:<26} -> " + ", ".join(f"{t.name} {_shape(t.shape)} {t.dtype}" for t in outs))
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
                raise SystemExit(f"--input {pair!r}: give name=file.npy (the model has {len(interpreter.inputs)} inputs)")
            name, path = interpreter.inputs[0].name, pair
        feeds[name] = np.load(path)
    return feeds


def cmd_run(args):
    import edgenet

    interpreter = edgenet.Interpreter(args.model, num_threads=args.threads)
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

    interpreter = edgenet.Interpreter(args.model, num_threads=args.threads)
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
    print(f"{args.model}: {args.runs} runs, threads={args.threads or 'default'}: "
          f"median {np.median(ms):.3f} ms, min {ms.min():.3f} ms, max {ms.max():.3f} ms")
    if args.profile:
        _print_profile(interpreter.profile(feeds, runs=args.runs, warmup=0), args.top)
    return 0


def _print_profile(profile, top):
    """The `top` slowest ops (mean ms per invoke, share of the op total), then totals by opcode."""
    total = sum(op.time_ms for op in profile.ops) or 1.0
    rows = profile.top(top)
    print(f"\nprofile: {len(profile.ops)} ops, {profile.runs} runs, invoke {profile.invoke_ms:.3f} ms "
          f"(ops {total:.3f} ms); top {len(rows)} ops:")
    header = ("#", "op", "name", "output shape", "kernel", "ms", "share")
    table = [(str(op.index), op.opcode, op.name[:40], "x".join(str(d) for d in op.shape), op.kernel,
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


def _stage(message):
    """One line of progress on stderr per conversion stage."""
    print(f"[edgenet convert] {message}", file=sys.stderr, flush=True)


def _parse_input_shapes(pairs):
    shapes = {}
    for pair in pairs:
        name, sep, dims = pair.partition("=")
        try:
            shapes[name] = tuple(int(d) for d in dims.split(","))
        except ValueError:
            sep = ""
        if not sep:
            raise SystemExit(f"--input-shape {pair!r}: expected NAME=D0,D1,... (e.g. x=1,3,224,224)")
    return shapes


def _calibration_samples(path, graph):
    """Feed dicts from an .npz holding, per model input name, an array of shape (samples, *input shape)."""
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    names = [t.name for t in graph.inputs]
    missing = [n for n in names if n not in arrays]
    if missing:
        raise ValueError(f"calibration file {path} lacks arrays for inputs {missing} (it has {sorted(arrays)})")
    count = min(len(arrays[n]) for n in names)
    return [{n: np.ascontiguousarray(arrays[n][i], dtype=np.float32) for n in names} for i in range(count)]


def cmd_convert(args):
    import edgenet
    from edgenet.converters.frontends import import_model

    if args.int8 and args.calibration is None:
        raise SystemExit("--int8 needs --calibration samples.npz (representative inputs)")
    if (args.report or args.report_svg) and not args.int8:
        raise SystemExit("--report compares int8 with float; add --int8")
    if (args.accuracy is None) != (args.validation is None):
        raise SystemExit("--accuracy METRIC and --validation SAMPLES.npz (held-out inputs) go together")
    if args.accuracy and not args.int8:
        raise SystemExit("--accuracy chooses which layers int8 keeps in float; add --int8")
    _stage(f"importing {args.model}")
    graph, layout = import_model(str(args.model), input_shapes=_parse_input_shapes(args.input_shape) or None,
                                 input_layout=args.layout)
    samples = None
    if args.int8:
        samples = _calibration_samples(args.calibration, graph)
        _stage(f"optimizing and quantizing to int8 ({len(samples)} calibration samples)")
    else:
        _stage("optimizing")
    options = {"calibration_method": args.calibration_method} if args.int8 else {}
    if args.accuracy:  # the mixed-precision search: the fewest float layers meeting the metric on held-out inputs
        options["accuracy"] = edgenet.AccuracyTarget(metric=args.accuracy, tolerance=args.tolerance,
                                                     samples=_calibration_samples(args.validation, graph))
    model = edgenet.convert(graph, metadata={"edgenet.layout": layout}, quantize="int8" if args.int8 else None,
                            calibration=samples, verbose=True, **options)
    output = args.output or args.model.with_suffix(".enet")
    model.save(output)
    before = model.metadata.get("edgenet.ops_before_optimization", "?")
    after = model.metadata.get("edgenet.ops_after_optimization", "?")
    print(f"{output}: {model.size:,} bytes, {model.parameter_count:,} parameters, layout {layout}")
    print(f"ops: {before} imported, {after} after optimization ({len(model.operators)} in the file)")
    counts = collections.Counter(op.opcode for op in model.operators)
    print("op counts: " + ", ".join(f"{name} x{n}" for name, n in counts.most_common()))
    if model.quantization is not None:  # --int8, or a pre-quantized (QDQ) ONNX model
        if not args.int8:
            print("int8: the ONNX model is pre-quantized (QDQ); its own scales and zero points are used")
        fallbacks = model.quantization.float_ops
        print(f"float fallbacks: {len(fallbacks)}" + "".join(f"\n  {name} ({op}): {why}" for name, op, why in fallbacks))
    if getattr(model, "accuracy_report", None) is not None:
        print(model.accuracy_report)  # the metric before (plain int8) and after, the layers kept float
    if args.report or args.report_svg:
        report = edgenet.quantization_report(graph, model, samples)
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


def build_parser():
    parser = argparse.ArgumentParser(prog="edgenet", description="edgenet model tools")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("inspect", help="show a model's inputs, outputs, ops and sizes")
    p.add_argument("model", type=Path)
    p.add_argument("--tensors", action="store_true", help="also list every tensor with dtype and quantization")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("run", help="run a model on inputs from .npy files and print the outputs")
    p.add_argument("model", type=Path)
    p.add_argument("--input", "-i", action="append", default=[], metavar="NAME=FILE.npy")
    p.add_argument("--output-dir", "-o", type=Path, help="save each output as NAME.npy here")
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("bench", help="time a model (random inputs unless --input is given)")
    p.add_argument("model", type=Path)
    p.add_argument("--input", "-i", action="append", default=[], metavar="NAME=FILE.npy")
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--profile", action="store_true", help="then time every op and print the slowest")
    p.add_argument("--top", type=int, default=20, help="ops listed by --profile (default 20)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("convert", help="convert an ONNX model to .enet (float32, or int8 with --int8)")
    p.add_argument("model", type=Path, help="an .onnx file (external data files next to it are read)")
    p.add_argument("--output", "-o", type=Path, help="output .enet path (default: the model's name + .enet)")
    p.add_argument("--int8", action="store_true", help="post-training int8 quantization")
    p.add_argument("--calibration", type=Path, metavar="SAMPLES.npz",
                   help="per input name an array (samples, *input shape) of representative inputs")
    p.add_argument("--report", action="store_true", help="print per-layer int8 error (SQNR, cosine) vs float")
    p.add_argument("--report-svg", type=Path, metavar="CHART.svg",
                   help="also write the report's per-layer SQNR bar chart here (implies --report)")
    p.add_argument("--calibration-method", default="minmax",
                   choices=("minmax", "moving_average", "percentile", "mse", "kl"),
                   help="how activation ranges are chosen (mse / kl search the scale with the least error)")
    p.add_argument("--accuracy", choices=("cosine", "sqnr", "topk"),
                   help="keep the fewest layers in float that meet this metric vs float on --validation "
                        "(then print the metric before and after, and the layers kept)")
    p.add_argument("--validation", type=Path, metavar="SAMPLES.npz",
                   help="held-out inputs for --accuracy, like --calibration (not the same samples)")
    p.add_argument("--tolerance", type=float, default=None,
                   help="--accuracy's tolerance (cosine: 1 - min cosine, default 0.001; sqnr: min dB, default 30; "
                        "topk: fraction of samples allowed to fail, default 0)")
    p.add_argument("--input-shape", action="append", default=[], metavar="NAME=D0,D1,...",
                   help="pin an input's symbolic dims, e.g. x=1,3,224,224")
    p.add_argument("--layout", choices=("NCHW", "NHWC"), default=None,
                   help="layout of rank>=3 inputs/outputs (default NCHW: the ONNX model's own)")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("keygen", help="make an Ed25519 key pair for signing models (needs edgenet[sign])")
    p.add_argument("key", help="path prefix: writes KEY.pem (private) and KEY.pub.pem (public)")
    p.add_argument("--force", action="store_true", help="overwrite existing key files")
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser("sign", help="write a detached Ed25519 signature, model.enet.sig (needs edgenet[sign])")
    p.add_argument("model")
    p.add_argument("--key", required=True, help="the private key (PEM, PKCS#8), e.g. from edgenet keygen")
    p.add_argument("-o", "--output", help="signature file (default: MODEL.sig)")
    p.set_defaults(func=cmd_sign)

    p = sub.add_parser("verify", help="check a model's checksum, and its signature when --key is given")
    p.add_argument("model")
    p.add_argument("--key", help="the signer's public key (PEM)")
    p.add_argument("--signature", help="signature file (default: MODEL.sig)")
    p.set_defaults(func=cmd_verify)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, RuntimeError, ImportError) as e:
        print(f"edgenet {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
