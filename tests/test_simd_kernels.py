"""Optimized kernels (SIMD microkernels, packed weights, thread pool) vs the references.

The C core picks the best kernel family for this CPU at prepare time; EDGENET_ISA (older name:
EDGENET_KERNELS) forces one ("reference", "sse41", "avx2", "avxvnni", "avx512", "avx512vnni",
"neon", ...; a family the CPU lacks falls back to the best one below it, values for another
architecture change nothing), so every family the machine runs is checked here through the
public Python API (test_families_this_cpu_cannot_run lists, as skips, the ones it cannot):
  - float outputs within 1e-5 of edgenet.reference, relative to sum |x * w| + |bias| (the
    scale of rounding differences between summation orders), on odd shapes and channel counts;
  - bit-identical outputs for 1, 2 and 3 threads.
native/tests/test_kernels.c checks the microkernels directly (built with ASan/UBSan here, and
under qemu for ARM by scripts/run_arm_tests.sh).
"""
import functools
import os
import platform
import sys
import zlib

import numpy as np
import pytest

import edgenet

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "native", "tests"))
import build_programs  # noqa: E402

def rand(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


X86 = platform.machine() in ("x86_64", "AMD64")
# The CPU features (as Linux's /proc/cpuinfo names them) each SIMD family needs.
FAMILY_FLAGS = {
    "sse41": {"sse4_1"},
    "avx2": {"sse4_1", "avx2", "fma"},
    "avxvnni": {"sse4_1", "avx2", "fma", "avx_vnni"},
    "avx512": {"sse4_1", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"},
    "avx512vnni": {"sse4_1", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"},
} if X86 else {"neon": set(), "neondot": {"asimddp"}}


def _cpu_flags():
    """The CPU's feature flags from /proc/cpuinfo (the kernel's view: features the OS does not
    save registers for are left out), or None where there is no such file."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


# A kernel name that shows a family's own kernels ran (among those of _probe_kernels).
FAMILY_SIGNATURE = {"sse41": "-sse", "avx2": "-avx2", "avxvnni": "qs8-gemm-4x16c4-avxvnni", "avx512": "-avx512",
                    "avx512vnni": "qs8-gemm-7x16c4-avx512vnni", "neon": "-neon", "neondot": "-neondot"}


def _probe_graphs():
    """(graph, feeds) of an int8 conv, an int8 depthwise conv and a float conv."""
    from test_int8_ops import calibrate_output, constant, int8_input, random_bias, random_weights
    rng = np.random.default_rng(7)
    probes = []
    for depthwise in (False, True):
        g = edgenet.Graph("probe")
        x, feed = int8_input(g, rng, "x", (1, 6, 6, 16))
        shape = (1, 3, 3, 16) if depthwise else (16, 3, 3, 16)
        weights, wq = random_weights(rng, shape, 16, axis=3 if depthwise else 0)
        op = g.depthwise_conv2d if depthwise else g.conv2d
        y = op(x, constant(g, "w", weights, wq), random_bias(g, rng, 16, x, wq), padding="same")
        calibrate_output(rng, y)
        g.output(y, "y")
        probes.append((g, {"x": feed}))
    g = edgenet.Graph("probe")
    g.output(g.conv2d(g.input("x", (1, 6, 6, 8)), rand(rng, 16, 3, 3, 8), rand(rng, 16), padding="same"), "y")
    return probes + [(g, {"x": rand(rng, 1, 6, 6, 8)})]


@functools.lru_cache(maxsize=None)
def _probe_kernels(family):
    """The kernel names of the probe graphs' ops with EDGENET_ISA=family."""
    saved = {name: os.environ.pop(name, None) for name in ("EDGENET_ISA", "EDGENET_KERNELS")}
    os.environ["EDGENET_ISA"] = family
    try:
        return frozenset(op.kernel for g, feeds in _probe_graphs() for op in
                         edgenet.Interpreter(edgenet.convert(g, optimize=False).to_bytes()).profile(feeds, runs=1).ops)
    finally:
        del os.environ["EDGENET_ISA"]
        os.environ.update({name: value for name, value in saved.items() if value is not None})


def _runs_own_kernels(family):
    return any(FAMILY_SIGNATURE[family] in kernel for kernel in _probe_kernels(family))


def _runnable(family):
    """(True, "") when this CPU runs `family`, else (False, why). The CPU's flags decide; where
    they lack the family but edgenet runs its kernels anyway, this is the SIMDe test build
    (EDGENET_EMULATE_X86), whose kernels are checked as well."""
    flags = _cpu_flags()
    if flags is None:  # no /proc/cpuinfo (macOS): the families every such CPU has
        missing = [] if family in ("sse41", "avx2", "neon") else [f"(cannot read this CPU's flags)"]
    else:
        missing = sorted(FAMILY_FLAGS[family] - flags)
    if missing and _runs_own_kernels(family):
        return True, ""  # emulated
    return not missing, f"this CPU lacks {' '.join(missing)}" if missing else ""


def families_within(family):
    """`family` and the families whose kernels it may reuse (those needing no more features)."""
    return [f for f in FAMILY_FLAGS if FAMILY_FLAGS[f] <= FAMILY_FLAGS.get(family, set())]


RUNNABLE = [f for f in FAMILY_FLAGS if _runnable(f)[0]]
FAMILIES = ["reference"] + RUNNABLE + ["auto"]
THREADS = [1, 2, 3]


@pytest.mark.parametrize("family", sorted(FAMILY_FLAGS))
def test_families_this_cpu_cannot_run(family, monkeypatch):
    """Lists (as a skip with its reason) every kernel family of this architecture the tests here
    cannot run on this CPU; the kernels of those families are checked on a CPU that has them, and
    by native/tests/test_kernels built with -DEDGENET_EMULATE_X86=ON (SIMDe) on any AVX2 CPU.
    For the families it runs: forcing one through EDGENET_ISA runs that family's own kernels (so
    CPU detection finds what the CPU has), and for a float conv none of a family above it."""
    ok, why = _runnable(family)
    if not ok:
        pytest.skip(f"{family} not run here: {why}; its kernels need a CPU that has it (or the SIMDe build)")
    assert _runs_own_kernels(family), (family, sorted(_probe_kernels(family)))
    g = edgenet.Graph("family")
    x = g.input("x", (1, 6, 6, 8))
    rng = np.random.default_rng(0)
    g.output(g.conv2d(x, rand(rng, 16, 3, 3, 8), rand(rng, 16), padding="same"), "y")
    monkeypatch.setenv("EDGENET_ISA", family)
    kernel = edgenet.Interpreter(edgenet.convert(g).to_bytes(), num_threads=1).profile(
        {"x": rand(rng, 1, 6, 6, 8)}, runs=1).ops[0].kernel
    above = [f for f in FAMILY_FLAGS if not FAMILY_FLAGS[f] <= FAMILY_FLAGS[family]]
    assert kernel != "reference" and not any(kernel.endswith("-" + f) for f in above), (family, kernel)


def test_isa_variable_names(monkeypatch):
    """EDGENET_ISA forces a family; the older name EDGENET_KERNELS still does when EDGENET_ISA is
    unset, and EDGENET_ISA wins when both are set (one parser, src/cpu.c)."""
    g = edgenet.Graph("names")
    x = g.input("x", (1, 5, 5, 4))
    g.output(g.conv2d(x, np.ones((8, 3, 3, 4), np.float32), np.zeros(8, np.float32), padding="same"), "y")
    model = edgenet.convert(g).to_bytes()

    def conv_kernel(**env):
        for name in ("EDGENET_ISA", "EDGENET_KERNELS"):
            if name in env:
                monkeypatch.setenv(name, env[name])
            else:
                monkeypatch.delenv(name, raising=False)
        return edgenet.Interpreter(model).profile({"x": np.ones((1, 5, 5, 4), np.float32)}, runs=1).ops[0].kernel

    best = conv_kernel()
    if best == "reference":
        pytest.skip("this CPU runs no SIMD family: nothing to tell apart")
    assert conv_kernel(EDGENET_ISA="reference") == "reference"
    assert conv_kernel(EDGENET_KERNELS="reference") == "reference"
    assert conv_kernel(EDGENET_ISA="auto", EDGENET_KERNELS="reference") == best
    assert conv_kernel(EDGENET_ISA="reference", EDGENET_KERNELS="auto") == "reference"
    assert conv_kernel(EDGENET_ISA="no-such-family") == best  # ignored, as documented


def run_c(model_bytes, feeds, family, threads, monkeypatch):
    monkeypatch.setenv("EDGENET_ISA", family)  # read when the interpreter prepares its ops
    return edgenet.Interpreter(model_bytes, num_threads=threads).run(feeds)


def check_against_reference(build, params, x, monkeypatch):
    """build(params) -> Graph with input "x" and output "y". Runs every family x thread count."""
    g = build(params)
    want = edgenet.reference.run(g, {"x": x})["y"]
    # Error scale: the same graph on |x| and |weights| without activations gives sum |x*w| + |b|.
    magnitude = edgenet.reference.run(build({k: np.abs(v) if isinstance(v, np.ndarray) else
                                             (None if k == "activation" else v) for k, v in params.items()}),
                                      {"x": np.abs(x)})["y"]
    model = edgenet.convert(g).to_bytes()
    for family in FAMILIES:
        first = None
        for threads in THREADS:
            got = run_c(model, {"x": x}, family, threads, monkeypatch)["y"]
            if first is None:
                first = got
                err = np.abs(got.astype(np.float64) - want)
                bound = 1e-5 * magnitude + 1e-30
                assert np.all(err <= bound), (
                    f"{family}: max error {err.max():.3g} exceeds the bound at {np.unravel_index(np.argmax(err - bound), err.shape)}")
            else:
                assert np.array_equal(got, first), f"{family}: {threads} threads differ from 1 thread"


def case_rng(case):
    """A generator seeded from the case itself, the same in every process (unlike hash(), which
    Python salts per process), so a failure reproduces."""
    return np.random.default_rng(zlib.crc32(repr(case).encode()))


CONV_CASES = [
    # (input NHWC, out_c, kernel, strides, padding, dilation, activation)
    ((1, 9, 11, 3), 5, 3, 2, "same", 1, "relu6"),     # stem-like, odd sizes
    ((2, 7, 7, 17), 33, 1, 1, "valid", 1, None),      # 1x1 direct GEMM, batch 2
    ((1, 8, 9, 13), 7, 1, 2, "valid", 1, "relu"),     # 1x1 strided: igemm
    ((1, 10, 10, 9), 19, 3, 1, "same", 1, "relu"),    # 3x3
    ((1, 12, 11, 5), 3, 5, 2, "same", 1, None),       # 5x5 stride 2
    ((1, 13, 13, 6), 11, 3, 1, "same", 2, "relu6"),   # dilated
    ((1, 6, 8, 4), 9, (2, 3), (1, 2), ((1, 0), (2, 1)), 1, None),  # asymmetric kernel and padding
    ((1, 3, 3, 300), 70, 3, 1, "same", 1, None),      # deep K: igemm (test_kernels.c forces im2col too)
]


@pytest.mark.parametrize("case", CONV_CASES, ids=[f"conv{i}" for i in range(len(CONV_CASES))])
def test_conv2d(case, monkeypatch):
    shape, out_c, k, s, pad, dil, act = case
    kh, kw = (k, k) if isinstance(k, int) else k
    rng = case_rng(case)

    def build(p):
        g = edgenet.Graph("conv")
        x = g.input("x", shape)
        g.output(g.conv2d(x, p["w"], p["b"], strides=s, padding=pad, dilation=dil, activation=p["activation"]), "y")
        return g

    params = {"w": rand(rng, out_c, kh, kw, shape[3], scale=0.5), "b": rand(rng, out_c), "activation": act}
    check_against_reference(build, params, rand(rng, *shape, scale=2.0), monkeypatch)


DW_CASES = [
    # (input NHWC, kernel, strides, padding, activation, depth_multiplier)
    ((1, 11, 9, 7), 3, 1, "same", "relu6", 1),
    ((1, 12, 13, 37), 3, 2, "same", "relu", 1),
    ((2, 9, 10, 21), 5, 1, "same", None, 1),
    ((1, 15, 14, 16), 5, 2, "same", "relu6", 1),
    ((1, 7, 7, 3), 3, 1, "valid", None, 1),
    ((1, 8, 8, 5), 3, 1, "same", "relu", 2),          # multiplier 2: the reference kernel serves it
]


@pytest.mark.parametrize("case", DW_CASES, ids=[f"dw{i}" for i in range(len(DW_CASES))])
def test_depthwise_conv2d(case, monkeypatch):
    shape, k, s, pad, act, mult = case
    rng = case_rng(case)

    def build(p):
        g = edgenet.Graph("dw")
        x = g.input("x", shape)
        g.output(g.depthwise_conv2d(x, p["w"], p["b"], strides=s, padding=pad, activation=p["activation"]), "y")
        return g

    params = {"w": rand(rng, 1, k, k, shape[3] * mult), "b": rand(rng, shape[3] * mult), "activation": act}
    check_against_reference(build, params, rand(rng, *shape, scale=2.0), monkeypatch)


@pytest.mark.parametrize("rows,n_in,n_out,act", [(1, 1, 1, None), (1, 129, 1001, None), (5, 37, 19, "relu"),
                                                  (3, 300, 70, "relu6")])
def test_fully_connected(rows, n_in, n_out, act, monkeypatch):
    rng = np.random.default_rng(rows * 1000 + n_in + n_out)

    def build(p):
        g = edgenet.Graph("fc")
        x = g.input("x", (rows, n_in))
        g.output(g.fully_connected(x, p["w"], p["b"], activation=p["activation"]), "y")
        return g

    params = {"w": rand(rng, n_out, n_in, scale=0.3), "b": rand(rng, n_out), "activation": act}
    check_against_reference(build, params, rand(rng, rows, n_in), monkeypatch)


def test_mobilenet_style_stack_all_families(monkeypatch):
    """conv -> depthwise -> pointwise (+ residual) -> pool -> FC: one graph through every family."""
    rng = np.random.default_rng(7)

    def build(p):
        g = edgenet.Graph("stack")
        x = g.input("x", (1, 24, 23, 3))
        y = g.conv2d(x, p["w0"], p["b0"], strides=2, padding="same", activation=p["activation"])
        y = g.depthwise_conv2d(y, p["w1"], p["b1"], padding="same", activation=p["activation"])
        z = g.conv2d(y, p["w2"], p["b2"], padding="valid")
        y = g.mean(y + z, axis=(1, 2))
        g.output(g.fully_connected(y, p["w3"], p["b3"]), "y")
        return g

    params = {"w0": rand(rng, 20, 3, 3, 3, scale=0.5), "b0": rand(rng, 20), "w1": rand(rng, 1, 3, 3, 20),
              "b1": rand(rng, 20), "w2": rand(rng, 20, 1, 1, 20, scale=0.3), "b2": rand(rng, 20),
              "w3": rand(rng, 10, 20), "b3": rand(rng, 10), "activation": "relu6"}
    # Activations feed later layers, so |x|-magnitudes are only an approximation of the error scale
    # there; the relu6 network keeps values bounded, and 1e-5 of the magnitude still holds.
    check_against_reference(build, params, rand(rng, 1, 24, 23, 3), monkeypatch)


def test_default_threads_and_many_pools():
    """num_threads None/0 (one per core) and repeated pool creation: same results, no hang."""
    rng = np.random.default_rng(3)
    g = edgenet.Graph("pool")
    x = g.input("x", (1, 16, 16, 8))
    g.output(g.conv2d(x, rand(rng, 12, 3, 3, 8), None, padding="same"), "y")
    model = edgenet.convert(g).to_bytes()
    feeds = {"x": rand(rng, 1, 16, 16, 8)}
    want = edgenet.Interpreter(model, num_threads=1).run(feeds)["y"]
    for threads in [None, 0, 4, 2] * 10:
        assert np.array_equal(edgenet.Interpreter(model, num_threads=threads).run(feeds)["y"], want)


def test_unknown_kernel_family_is_ignored(monkeypatch):
    rng = np.random.default_rng(4)
    g = edgenet.Graph("c")
    x = g.input("x", (1, 5, 5, 3))
    g.output(g.conv2d(x, rand(rng, 4, 3, 3, 3), None, padding="same"), "y")
    model = edgenet.convert(g).to_bytes()
    feeds = {"x": rand(rng, 1, 5, 5, 3)}
    auto = run_c(model, feeds, "auto", 1, monkeypatch)["y"]
    assert np.array_equal(run_c(model, feeds, "no-such-isa", 1, monkeypatch)["y"], auto)


def test_kernels_c_program():
    """native/tests/test_kernels.c: microkernels vs reference kernels, every ISA family of this CPU
    (built with AddressSanitizer + UBSan when available, so it also checks for out-of-bounds reads)."""
    programs = build_programs.build_programs()
    path = os.path.join(os.path.dirname(programs["test_c_api"]), "test_kernels")
    result = build_programs.run(path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout


# ---- int8: packed GEMM, depthwise and elementwise kernels vs the integer reference ----------

from test_int8_ops import calibrate_output, constant, int8_input, random_bias, random_weights  # noqa: E402


def check_int8_families(g, feeds, monkeypatch, model=None):
    """Every kernel family x thread count equals the integer reference (edgenet.reference) bit for bit."""
    model = model or edgenet.convert(g, optimize=False)
    want = edgenet.reference.run(model.graph, feeds)
    for family in FAMILIES:
        for threads in THREADS:
            got = run_c(model.to_bytes(), feeds, family, threads, monkeypatch)
            for name, ref in want.items():
                ref = ref.astype(np.float32) if ref.dtype == np.float64 else ref  # dequantized outputs
                assert got[name].dtype == ref.dtype and np.array_equal(got[name], ref), (
                    f"{family}, {threads} threads: output {name!r} differs from the integer reference in "
                    f"{int((got[name] != ref).sum())} elements")

INT8_DW_CASES = [
    # (input NHWC, kernel, stride, padding, activation): MobileNet channel counts and odd ones
    ((1, 9, 10, 32), 3, 1, "same", "relu6"),     # full 16-channel blocks
    ((1, 12, 11, 40), 3, 2, "same", "relu"),      # partial last block, stride 2
    ((2, 9, 9, 24), 5, 1, "same", None),          # 5x5, batch 2
    ((1, 14, 15, 19), 5, 2, "valid", "relu6"),    # 5x5 stride 2, no padding
    ((1, 7, 8, 3), 3, 1, ((1, 0), (2, 1)), None),  # fewer channels than one vector, asymmetric pads
]


@pytest.mark.parametrize("case", INT8_DW_CASES, ids=[f"dw{i}" for i in range(len(INT8_DW_CASES))])
def test_int8_depthwise_conv2d(case, monkeypatch):
    shape, k, s, pad, act = case
    rng = np.random.default_rng(500 + INT8_DW_CASES.index(case))
    g = edgenet.Graph("dw8")
    x, feed = int8_input(g, rng, "x", shape)
    weights, wq = random_weights(rng, (1, k, k, shape[3]), shape[3], axis=3)
    y = g.depthwise_conv2d(x, constant(g, "w", weights, wq), random_bias(g, rng, shape[3], x, wq), strides=s,
                           padding=pad, activation=act)
    calibrate_output(rng, y)
    g.output(y, "y")
    check_int8_families(g, {"x": feed}, monkeypatch)


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.parametrize("shape", [(1, 5, 7, 24), (2, 3, 1001), (3,)])
def test_int8_elementwise_same_shape(op, shape, monkeypatch):
    rng = np.random.default_rng(len(shape) * 10 + ["add", "sub", "mul"].index(op))
    g = edgenet.Graph(op)
    a, fa = int8_input(g, rng, "a", shape)
    b, fb = int8_input(g, rng, "b", shape)
    y = getattr(g, op)(a, b, activation=[None, "relu", None, "relu6"][len(shape) - 1])
    calibrate_output(rng, y)
    g.output(y, "y")
    check_int8_families(g, {"a": fa, "b": fb}, monkeypatch)


def test_int8_mobilenet_block_quantized(monkeypatch):
    """A float MobileNetV2 block (1x1 expand, 3x3 depthwise, 1x1 project, residual add, mean, FC)
    quantized by edgenet's own quantizer, int8 end to end in the C core."""
    rng = np.random.default_rng(12)
    g = edgenet.Graph("block")
    x = g.input("x", (1, 12, 11, 24))
    h = g.conv2d(x, rand(rng, 144, 1, 1, 24, scale=0.3), rand(rng, 144), activation="relu6")
    h = g.depthwise_conv2d(h, rand(rng, 1, 3, 3, 144, scale=0.5), rand(rng, 144), padding="same", activation="relu6")
    y = x + g.conv2d(h, rand(rng, 24, 1, 1, 144, scale=0.1), rand(rng, 24))
    g.output(g.fully_connected(g.mean(y, axis=(1, 2)), rand(rng, 10, 24), rand(rng, 10)), "y")
    calibration = [{"x": rand(rng, 1, 12, 11, 24)} for _ in range(3)]
    model = edgenet.convert(g, quantize="int8", calibration=calibration, verbose=False)
    ops = [node.op for node in model.graph.nodes]
    assert "depthwise_conv2d" in ops and "add" in ops, ops  # the kernels under test really run
    check_int8_families(None, {"x": rand(rng, 1, 12, 11, 24)}, monkeypatch, model=model)


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.parametrize("shape", [(1, 7), (2, 5, 3, 37), (1, 56, 56, 24)])  # tails; several pool chunks
@pytest.mark.parametrize("act", [None, "relu", "relu6"])
def test_float_binary_same_shape(op, shape, act, monkeypatch):
    """Same-shape float ADD/SUB/MUL (residual adds) run through the vector kernels with the activation
    fused into their clamp: one rounding per element, so bit-equal to numpy, NaN/inf included."""
    rng = np.random.default_rng(len(shape) * 100 + shape[-1])
    a, b = rand(rng, *shape, scale=4.0), rand(rng, *shape, scale=4.0)
    a.flat[:3] = [np.nan, np.inf, -np.inf]
    g = edgenet.Graph("binary")
    x, y = g.input("x", shape), g.input("y", shape)
    g.output(getattr(g, op)(x, y, activation=act), "z")
    check_binary_bits(g, a, b, monkeypatch)


def check_binary_bits(g, a, b, monkeypatch):
    """Graph g (inputs x, y; output z) equals the reference bit for bit in every family x thread
    count. The reference computes in float64; rounding that to float32 is exact float32 arithmetic
    (one +, - or * of two floats is correctly rounded through float64: 53 >= 2 * 24 + 2 bits).
    Returns the model's bytes."""
    want = edgenet.reference.run(g, {"x": a, "y": b})["z"].astype(np.float32)
    model = edgenet.convert(g).to_bytes()
    for family in FAMILIES:
        for threads in THREADS:
            monkeypatch.setenv("EDGENET_ISA", family)
            got = edgenet.Interpreter(model, num_threads=threads).run({"x": a, "y": b})["z"]
            np.testing.assert_array_equal(got, want, err_msg=f"{family}, {threads} threads")
    return model


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.parametrize("shapes", [((1, 28, 28, 96), (1, 1, 1, 96)),   # squeeze-excite scale, per channel
                                    ((1, 1, 1, 72), (2, 7, 5, 72)),     # the broadcast operand first
                                    ((3, 9, 70), (3, 9, 1)),            # one value per row
                                    ((2, 33), (1,)),                    # one value for all (a row of 66)
                                    ((4, 1, 80), (1, 6, 80)),           # both operands broadcast
                                    ((1, 9, 9, 16), (1, 1, 1, 16))])    # rows too short: the reference
@pytest.mark.parametrize("act", [None, "relu6"])
def test_float_binary_broadcast_rows(op, shapes, act, monkeypatch):
    """Broadcasts that split into rows of at least 64 floats run the vector kernels row by row
    (kernel name "...-rows"): still one rounding per element, so bit-equal to the reference."""
    sa, sb = shapes
    rng = np.random.default_rng(sum(sa) + 7 * sum(sb))
    a, b = rand(rng, *sa, scale=4.0), rand(rng, *sb, scale=4.0)
    a.flat[:2] = [np.nan, -np.inf]
    g = edgenet.Graph("broadcast")
    x, y = g.input("x", sa), g.input("y", sb)
    g.output(getattr(g, op)(x, y, activation=act), "z")
    model = check_binary_bits(g, a, b, monkeypatch)  # the reference broadcasts as numpy does
    monkeypatch.setenv("EDGENET_ISA", "auto")
    kernel = edgenet.Interpreter(model).profile({"x": a, "y": b}, runs=1).ops[0].kernel
    if X86 and "avx2" in RUNNABLE:
        short = sa[-1] < 64 and sa != (2, 33)
        assert kernel == "reference" if short else kernel.startswith("f32-vbinary-") and kernel.endswith("-rows"), kernel


@pytest.mark.parametrize("kind", ["mean_hw", "mean_h", "global_avg_pool", "avg_pool_3x3"])
def test_int8_average_pooling(kind, monkeypatch):
    """Global averages take the fast kernel; other windows and dims keep the reference."""
    rng = np.random.default_rng(["mean_hw", "mean_h", "global_avg_pool", "avg_pool_3x3"].index(kind))
    g = edgenet.Graph(kind)
    x, feed = int8_input(g, rng, "x", (2, 7, 6, 300))
    if kind == "mean_hw":
        y = g.mean(x, axis=(1, 2))
    elif kind == "mean_h":
        y = g.mean(x, axis=1)
    elif kind == "global_avg_pool":
        y = g.avg_pool2d(x, (7, 6), strides=1, padding="valid")
    else:
        y = g.avg_pool2d(x, 3, strides=2, padding="same")
    calibrate_output(rng, y)
    g.output(y, "y")
    check_int8_families(g, {"x": feed}, monkeypatch)


def test_transpose_every_permutation():
    """The transpose kernel picks its innermost loop by the permutation (e.g. NCHW -> NHWC walks W):
    every permutation of a few shapes, float32 and int8-sized elements, vs numpy."""
    import itertools
    rng = np.random.default_rng(5)
    for shape in [(1, 3, 5, 7), (2, 3, 4), (4, 1, 6, 2, 3), (3,), (1, 3, 16, 16)]:
        for perm in itertools.permutations(range(len(shape))):
            g = edgenet.Graph("t")
            g.output(g.transpose(g.input("x", shape), perm), "y")
            a = rand(rng, *shape)
            got = edgenet.Interpreter(edgenet.convert(g).to_bytes(), num_threads=1).run({"x": a})["y"]
            np.testing.assert_array_equal(got, np.transpose(a, perm), err_msg=f"{shape} {perm}")


@pytest.mark.parametrize("dtype", ["float32", "int32", "bool", "int8"])
def test_three_plane_nchw_to_nhwc_interleave_kernels(dtype, monkeypatch):
    """The image-input transpose (NCHW -> NHWC of 3 planes) runs the family's interleave kernel
    (x32 for 4-byte elements, x8 for bytes): equal to numpy's transpose bit for bit (float NaN
    payloads included), for pixel counts around the vector widths and a batch of 2, at 1-3 threads."""
    rng = np.random.default_rng(77)
    for h, w in [(1, 1), (1, 7), (3, 5), (4, 4), (5, 7), (16, 17), (224, 224)]:
        shape = (2, 3, h, w)
        g = edgenet.Graph("nchw")
        if dtype == "int8":  # quantize, then move the int8 planes
            q = g.quantize(g.input("x", shape), 0.05, 3)
            y = g.transpose(q, (0, 2, 3, 1))
            y.quant = q.quant
            g.output(g.dequantize(y), "y")
            a = rng.uniform(-6, 6, shape).astype(np.float32)
            want = edgenet.reference.run(g, {"x": a})["y"].astype(np.float32)  # numpy's transpose
        else:
            g.output(g.transpose(g.input("x", shape, dtype=dtype), (0, 2, 3, 1)), "y")
            a = {"float32": lambda: rng.standard_normal(shape).astype(np.float32),
                 "int32": lambda: rng.integers(-2**31, 2**31, shape, dtype=np.int64).astype(np.int32),
                 "bool": lambda: rng.random(shape) < 0.5}[dtype]()
            if dtype == "float32":
                a.view(np.uint32).reshape(-1)[::7] = 0x7FC00000 | rng.integers(0, 1 << 22, a.size)[::7].astype(np.uint32)
            want = np.transpose(a, (0, 2, 3, 1))
        model = edgenet.convert(g, optimize=False).to_bytes()
        want_bits = np.ascontiguousarray(want).view(np.uint8)
        for family in FAMILIES:
            for threads in THREADS:
                got = run_c(model, {"x": a}, family, threads, monkeypatch)["y"]
                assert got.dtype == want.dtype and np.array_equal(got.view(np.uint8), want_bits), \
                    f"{family}, {threads} threads, {shape}"
        monkeypatch.setenv("EDGENET_ISA", "auto")
        ops = edgenet.Interpreter(model).profile({"x": a}, runs=1).ops
        kernel = next(op.kernel for op in ops if op.opcode == "TRANSPOSE")
        if X86 and "avx2" in RUNNABLE:  # every x86 family from AVX2 up has the kernels
            assert kernel.startswith("x8-interleave3-" if dtype in ("bool", "int8") else "x32-interleave3-"), kernel


# ---- float SIGMOID / TANH / HARD_SWISH / SILU / SOFTMAX vector kernels (issue 14, item 3) ------------------

UNARY_FORMULAS = {  # float64 oracles, written from each op's definition
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "hard_swish": lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0,
    "silu": lambda x: x / (1.0 + np.exp(-x)),
}
UNARY_SPECIALS = np.array([0.0, -0.0, 1e-30, -1e-30, 1e-7, -3.0, 3.0, 20.0, -20.0, 87.5, -87.5, 88.7, -88.7,
                           -95.0, 104.0, -800.0, 800.0, np.inf, -np.inf, np.nan], np.float32)


@pytest.mark.parametrize("op", sorted(UNARY_FORMULAS))
@pytest.mark.parametrize("n", [1, 7, 9, 1000, 8192 * 2 + 3])
def test_float_unary_vector_kernels_match_the_formula(op, n, monkeypatch):
    """Every family x thread count vs the float64 formula: within rtol 1e-6 + atol 1e-7 (a few
    float ulps), NaN where the formula is NaN, zeros and infinities with the formula's sign; the
    kernel the profiler names is the family's vector kernel (or the reference, for families without)."""
    rng = np.random.default_rng(1400 + n)
    x = (rng.standard_normal(n) * 6).astype(np.float32)
    x[:min(n, len(UNARY_SPECIALS))] = UNARY_SPECIALS[:min(n, len(UNARY_SPECIALS))]
    with np.errstate(over="ignore", invalid="ignore"):
        want = UNARY_FORMULAS[op](x.astype(np.float64))
    g = edgenet.Graph(op)
    g.output(getattr(g, op)(g.input("x", (n,))), "y")
    model = edgenet.convert(g).to_bytes()
    short = {"sigmoid": "vsigmoid", "tanh": "vtanh", "hard_swish": "vhswish", "silu": "vsilu"}[op]
    for family in FAMILIES:
        first = None
        for threads in THREADS:
            got = run_c(model, {"x": x}, family, threads, monkeypatch)["y"].astype(np.float64)
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=f"{family}, {threads} threads")
            exact = (want == 0) | np.isinf(want)
            assert np.array_equal(np.signbit(got[exact]), np.signbit(want[exact])), f"{family}: sign of 0 / inf"
            first = got if first is None else first
            assert np.array_equal(got, first, equal_nan=True), f"{family}: {threads} threads differ from 1 thread"
        kernel = edgenet.Interpreter(model).profile({"x": x}, runs=1).ops[0].kernel
        own = {f"f32-{short}-{f}" for f in families_within(family)}  # a family may reuse one below it
        assert kernel == "reference" if family == "reference" else kernel in own | {"reference"} \
            or family == "auto", f"{family}: {kernel}"


@pytest.mark.parametrize("shape, axis, beta", [((1, 1000), -1, 1.0), ((3, 7), -1, 1.0), ((2, 5, 33), 2, 0.5),
                                               ((4, 9), -1, -1.5), ((2, 6, 4), 1, 1.0), ((700, 24), -1, 2.0)])
def test_float_softmax_vector_kernel_matches_the_formula(shape, axis, beta, monkeypatch):
    """Softmax (last axis: the vector kernel; other axes: the reference) vs exp(beta (x - max)) / sum
    in float64, every family x thread count: within rtol 1e-5 + atol 1e-9, a NaN row where the input
    row holds a NaN, 0 for -inf, and identical results for any thread count."""
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 5).astype(np.float32)
    x.reshape(-1, shape[-1])[0, 0] = -np.inf
    if x.size > 2 * shape[-1]:
        x.reshape(-1, shape[-1])[1, -1] = np.nan
    x64 = x.astype(np.float64)
    with np.errstate(invalid="ignore"):
        e = np.exp(beta * (x64 - np.nanmax(x64, axis=axis, keepdims=True)))
        want = e / np.sum(e, axis=axis, keepdims=True)
    g = edgenet.Graph("softmax")
    g.output(g.softmax(g.input("x", shape), axis=axis, beta=beta), "y")
    model = edgenet.convert(g).to_bytes()
    for family in FAMILIES:
        first = None
        for threads in THREADS:
            got = run_c(model, {"x": x}, family, threads, monkeypatch)["y"].astype(np.float64)
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-9, err_msg=f"{family}, {threads} threads")
            first = got if first is None else first
            assert np.array_equal(got, first, equal_nan=True), f"{family}: {threads} threads differ from 1 thread"


def conv2d_float64(x, w, b, stride, pad):
    """NHWC x OHWI convolution in float64 (the oracle for the float kernels' rounding), and the
    same on |x|, |w|, |b|: sum |x * w| + |b|, the scale of any float summation's rounding error."""
    n, h, wd, _ = x.shape
    co, kh, kw, _ = w.shape
    (pt, pb), (pl, pr) = pad
    oh, ow = (h + pt + pb - kh) // stride + 1, (wd + pl + pr - kw) // stride + 1
    results = []
    for xs, ws, bs in ((x, w, b), (np.abs(x), np.abs(w), np.abs(b))):
        xp = np.pad(xs.astype(np.float64), ((0, 0), (pt, pb), (pl, pr), (0, 0)))
        y = np.broadcast_to(bs.astype(np.float64), (n, oh, ow, co)).copy()
        for ky in range(kh):
            for kx in range(kw):
                patch = xp[:, ky:ky + stride * (oh - 1) + 1:stride, kx:kx + stride * (ow - 1) + 1:stride, :]
                y += patch @ ws[:, ky, kx, :].astype(np.float64).T
        results.append(y)
    return results


# The convolutions of ResNet-18 and MobileNetV2 (224x224 input) that do not run as a plain GEMM
# over the input: (input NHWC, out_c, kernel, stride, method expected on a SIMD family).
NETWORK_CONVS = [
    ((1, 56, 56, 64), 64, 3, 1, "winograd"),    # ResNet-18 layer1
    ((1, 28, 28, 128), 128, 3, 1, "winograd"),  # layer2
    ((1, 14, 14, 256), 256, 3, 1, "winograd"),  # layer3
    ((1, 7, 7, 512), 512, 3, 1, "igemm"),       # layer4: 7x7 outputs, below Winograd's 8x8
    ((1, 56, 56, 64), 128, 3, 2, "igemm"),      # the stride-2 3x3 convs of layers 2-4
    ((1, 28, 28, 128), 256, 3, 2, "igemm"),
    ((1, 14, 14, 256), 512, 3, 2, "igemm"),
    ((1, 56, 56, 64), 128, 1, 2, "igemm"),      # 1x1 stride-2 downsample
    ((1, 224, 224, 3), 64, 7, 2, "im2col"),     # ResNet-18 stem: 3 channels x 49 taps x 4 panels
    ((1, 224, 224, 3), 32, 3, 2, "igemm"),      # MobileNetV2 stem: 9 taps x 2 panels of outputs
]


@pytest.mark.parametrize("case", NETWORK_CONVS, ids=[f"{c[0][1]}x{c[0][3]}-{c[1]}-k{c[2]}s{c[3]}" for c in NETWORK_CONVS])
def test_network_convs_without_im2col(case, monkeypatch):
    """Winograd F(4x4, 3x3) and the indirect GEMM on real layer shapes vs a float64 convolution,
    within 1e-4 of sum |x * w| + |b| (Winograd's transforms amplify rounding ~10x over a direct
    sum, whose bound here is 1e-5; native/tests/test_kernels.c measures it on random shapes),
    with "same" padding as torchvision's layers, every SIMD family, 1 and 3 threads bit-identical.
    The profiler's kernel name shows the method the shape ran."""
    shape, out_c, k, s, method = case
    rng = np.random.default_rng(sum(shape) * 31 + out_c + k)
    pad = ((k // 2, k // 2), (k // 2, k // 2))
    w = rand(rng, out_c, k, k, shape[3], scale=(2.0 / (k * k * shape[3])) ** 0.5)  # He init: outputs ~ inputs
    b = rand(rng, out_c, scale=0.1)
    x = rand(rng, *shape)
    g = edgenet.Graph("conv")
    g.output(g.conv2d(g.input("x", shape), w, b, strides=s, padding=pad), "y")
    model = edgenet.convert(g).to_bytes()
    want, magnitude = conv2d_float64(x, w, b, s, pad)
    for family in FAMILIES[1:]:  # the SIMD families (and auto); the reference is checked elsewhere
        monkeypatch.setenv("EDGENET_ISA", family)
        first = None
        for threads in (1, 3):
            interpreter = edgenet.Interpreter(model, num_threads=threads)
            got = interpreter.run({"x": x})["y"]
            if first is None:
                err = np.abs(got - want)
                assert np.all(err <= 1e-4 * magnitude), (
                    f"{family}: max error {(err / magnitude).max():.3g} x sum |x * w| + |b|")
                kernel = interpreter.profile({"x": x}, runs=1, warmup=0).ops[0].kernel
                expected = method if family != "sse41" or method != "winograd" else "igemm"  # no SSE Winograd
                assert expected in kernel, f"{family}: ran {kernel}"
                first = got
            else:
                assert np.array_equal(got, first), f"{family}: {threads} threads differ from 1 thread"
