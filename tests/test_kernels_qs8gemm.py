"""The two AVX2 int8 GEMM microkernels (qs8-gemm-3x8c8 and qs8-gemm-6x16c2) vs the integer reference.

native/src/kernels/qs8_conv_gemm.c picks one of them per conv at prepare time from the GEMM shape
(enet_qs8_gemm_for: 6x16c2 unless its whole tiles would be half padding, 3x8c8 for thin shapes
such as detection heads with N = 1 and squeeze-excite convs with M = 1). Every case below names the kernel
it is meant to reach, checks (on AVX2 machines) that the profiler reports that kernel, and checks
that every kernel family and thread count equals edgenet.reference.run on the quantized graph bit
for bit. The shapes cover the c2 kernel's edges: K odd (a zero-padded last pair), K = 1, N not a
multiple of 16, M not a multiple of 6, stride 2, (asymmetric) padding, dilation, 1x1 convs read
from the input directly, and the requantization edges: input zero points -128 and 127 and output
scales small enough that most outputs saturate (with the accumulator clamp of multipliers >= 1/2).
The same cases run the VNNI GEMMs (qs8-gemm-7x16c4-avx512vnni, qs8-gemm-4x16c4-avxvnni: unsigned
activations, the compensation folded into the bias) on CPUs that have them; K not a multiple of 4
and the zero points -128 / 127 are their edges. test_simd_kernels.test_families_this_cpu_cannot_run
lists the families this CPU cannot run.
"""
import numpy as np
import pytest

import edgenet
from test_int8_ops import calibrate_output, constant, quant, random_bias, random_weights, set_output_quant
from test_simd_kernels import _runnable, check_int8_families

C2, C8 = "qs8-gemm-6x16c2-avx2", "qs8-gemm-3x8c8-avx2"


def quantized_input(g, rng, shape, zero_point, scale=0.05):
    """A float input quantized with `zero_point`; feeds span the whole int8 range (and a bit past it)."""
    x = g.input("x", shape)
    q = g.quantize(x, scale, zero_point)
    levels = rng.integers(-135, 136, size=shape)
    q.levels = np.clip(levels, -128, 127)
    return q, ((levels - zero_point + rng.uniform(-0.45, 0.45, size=shape)) * scale).astype(np.float32)


def conv_graph(seed, shape, cout, kernel, strides=1, padding="same", dilation=1, activation=None, in_zp=None,
               saturate=False, extreme_weights=False):
    rng = np.random.default_rng(seed)
    g = edgenet.Graph("qs8gemm")
    zp = int(rng.integers(-128, 128)) if in_zp is None else in_zp
    x, feed = quantized_input(g, rng, shape, zp)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    weights, wq = random_weights(rng, (cout, kh, kw, shape[3]), cout, axis=0)
    if extreme_weights:  # the largest |products| vpmaddwd pairs up
        weights = np.where(rng.random(weights.shape) < 0.5, -127, 127).astype(np.int8)
    y = g.conv2d(x, constant(g, "w", weights, wq), random_bias(g, rng, cout, x, wq), strides=strides,
                 padding=padding, dilation=dilation, activation=activation)
    calibrate_output(rng, y)
    if saturate:  # a scale ~1000x too small: multipliers above 1/2, most outputs at -128 or 127
        set_output_quant(y, float(y.quant.scale[0]) * 1e-3, int(y.quant.zero_point[0]))
    g.output(y, "y")
    return g, {"x": feed}


def fc_graph(seed, rows, cin, cout):
    rng = np.random.default_rng(seed)
    g = edgenet.Graph("qs8fc")
    x, feed = quantized_input(g, rng, (rows, cin), int(rng.integers(-128, 128)))
    weights, wq = random_weights(rng, (cout, cin), cout, axis=0)
    y = g.fully_connected(x, constant(g, "w", weights, wq), random_bias(g, rng, cout, x, wq))
    calibrate_output(rng, y)
    g.output(y, "y")
    return g, {"x": feed}


CASES = {
    # name: (kernel expected, graph builder)
    "stem_k27_stride2": (C2, lambda: conv_graph(1, (1, 21, 22, 3), 16, 3, strides=2)),
    "k1_pointwise_n30": (C2, lambda: conv_graph(2, (1, 9, 13, 1), 30, 1, padding="valid")),
    "k1_spatial_pad": (C2, lambda: conv_graph(3, (1, 8, 7, 1), 32, 1, padding=(1, 0, 2, 1))),
    "pointwise_k48_n32": (C2, lambda: conv_graph(4, (1, 10, 10, 48), 32, 1)),
    "pointwise_k33_n40": (C2, lambda: conv_graph(5, (1, 10, 10, 33), 40, 1, activation="relu")),
    "k45_asym_pad_dilated": (C2, lambda: conv_graph(6, (1, 15, 14, 5), 35, 3, strides=(2, 1),
                                                    padding=((2, 0), (1, 2)), dilation=(1, 2))),
    "k576_batch2_relu6": (C2, lambda: conv_graph(7, (2, 8, 9, 64), 64, 3, activation="relu6")),
    "zp_minus128_saturate": (C2, lambda: conv_graph(8, (1, 12, 12, 16), 16, 3, in_zp=-128, saturate=True)),
    "zp_127_extreme_weights": (C2, lambda: conv_graph(9, (1, 11, 12, 32), 48, 3, strides=2, in_zp=127,
                                                      extreme_weights=True)),
    "zp_127_saturate_k7": (C2, lambda: conv_graph(10, (1, 13, 9, 7), 16, 1, in_zp=127, saturate=True)),
    "fc_rows30": (C2, lambda: fc_graph(11, 30, 50, 32)),
    "head_n18": (C2, lambda: conv_graph(13, (1, 12, 12, 64), 18, 1, in_zp=-128)),
    # thin shapes: the c8 kernel
    "head_n1": (C8, lambda: conv_graph(12, (1, 20, 21, 16), 1, 1)),

    "se_m1": (C8, lambda: conv_graph(14, (1, 1, 1, 60), 240, 1, saturate=True)),
    "fc_rows1": (C8, lambda: fc_graph(15, 1, 77, 20)),
    "c8_k27_n8_stride2": (C8, lambda: conv_graph(16, (1, 17, 18, 3), 8, 3, strides=2, in_zp=127)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gemm_bit_exact_every_family(name, monkeypatch):
    """Every kernel family x 1-3 threads equals the integer reference."""
    g, feeds = CASES[name][1]()
    check_int8_families(g, feeds, monkeypatch)


def test_saturation_really_happens():
    """The saturating cases clamp most outputs to the int8 ends (in the reference itself)."""
    for name in ("zp_minus128_saturate", "zp_127_saturate_k7", "se_m1"):
        g, feeds = CASES[name][1]()
        y = edgenet.reference.run(g, feeds)["y"]
        assert np.mean((y == -128) | (y == 127)) > 0.5, name


def gemm_kernel(g, feeds, monkeypatch, family="avx2"):
    """The GEMM kernel the profiler reports for the graph's one conv / fully connected op."""
    monkeypatch.setenv("EDGENET_ISA", family)
    model = edgenet.convert(g, optimize=False).to_bytes()
    ops = edgenet.Interpreter(model).profile(feeds, 1).ops
    kernels = [op.kernel for op in ops if op.opcode in ("CONV_2D", "FULLY_CONNECTED")]
    assert len(kernels) == 1, kernels
    return kernels[0].replace("+im2col", "")


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_reaches_its_kernel(name, monkeypatch):
    """The case exercises the kernel it was written for (both kernels stay reachable)."""
    expected, build = CASES[name]
    g, feeds = build()
    got = gemm_kernel(g, feeds, monkeypatch)
    if not got.endswith("-avx2"):
        pytest.skip(f"this CPU has no AVX2 (the GEMM is {got})")
    assert got == expected


@pytest.mark.parametrize("seed", range(12))
def test_random_shapes(seed, monkeypatch):
    """Random conv shapes around the kernels' tile edges (K, N, M from 1 to a few tiles)."""
    rng = np.random.default_rng(1000 + seed)
    cin, cout = int(rng.integers(1, 40)), int(rng.integers(1, 50))
    k = int(rng.integers(1, 4))
    shape = (int(rng.integers(1, 3)), int(rng.integers(k, 14)), int(rng.integers(k, 14)), cin)
    padding = ["same", "valid", tuple(int(v) for v in rng.integers(0, 3, size=4))][seed % 3]
    g, feeds = conv_graph(2000 + seed, shape, cout, k, strides=int(rng.integers(1, 3)), padding=padding,
                          activation=[None, "relu", "relu6"][seed % 3], saturate=seed % 4 == 0)
    check_int8_families(g, feeds, monkeypatch)


@pytest.mark.parametrize("family, expected", [("avxvnni", "qs8-gemm-4x16c4-avxvnni"),
                                              ("avx512vnni", "qs8-gemm-7x16c4-avx512vnni")])
@pytest.mark.parametrize("name", ["k1_pointwise_n30", "zp_127_saturate_k7", "fc_rows1", "head_n1"])
def test_vnni_families_run_their_gemm(family, expected, name, monkeypatch):
    """Forced through EDGENET_ISA, a VNNI family runs its own GEMM for every shape (thin ones too)."""
    ok, why = _runnable(family)
    if not ok:
        pytest.skip(f"{family} not run here: {why}")
    g, feeds = CASES[name][1]()
    assert gemm_kernel(g, feeds, monkeypatch, family) == expected
