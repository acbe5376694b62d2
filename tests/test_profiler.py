"""Per-op profiler (enet_interpreter_set_profiling / enet_interpreter_profile, Interpreter.profile,
`edgenet bench --profile`): every op is covered, times are sane and add up to the invoke time,
and the kernel names follow the kernel family picked (EDGENET_ISA)."""
import platform
import subprocess
import sys

import numpy as np
import pytest

import edgenet
from test_simd_kernels import _runnable

X86 = platform.machine() in ("x86_64", "AMD64")


def rand(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def small_net():
    """conv -> depthwise -> pointwise + residual add -> mean -> FC: a graph touching the optimized ops."""
    rng = np.random.default_rng(11)
    g = edgenet.Graph("net")
    x = g.input("x", (1, 32, 32, 3))
    y = g.conv2d(x, rand(rng, 16, 3, 3, 3), rand(rng, 16), strides=2, padding="same", activation="relu6")
    y = g.depthwise_conv2d(y, rand(rng, 1, 3, 3, 16), rand(rng, 16), padding="same", activation="relu6")
    z = g.conv2d(y, rand(rng, 16, 1, 1, 16, scale=0.3), rand(rng, 16))
    y = g.mean(g.add(y, z), axis=(1, 2))
    g.output(g.fully_connected(y, rand(rng, 10, 16), rand(rng, 10)), "y")
    feeds = {"x": rand(rng, 1, 32, 32, 3)}
    return g, edgenet.convert(g).to_bytes(), feeds


def test_profile_covers_every_op_and_sums_to_invoke(monkeypatch):
    monkeypatch.delenv("EDGENET_KERNELS", raising=False)
    monkeypatch.delenv("EDGENET_ISA", raising=False)
    g, model, feeds = small_net()
    interp = edgenet.Interpreter(model, num_threads=1)
    want = interp.run(feeds)["y"]
    profile = interp.profile(feeds, runs=20)
    opcodes = [op.opcode for op in profile.ops]
    assert opcodes == ["CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED"]
    assert [op.index for op in profile.ops] == list(range(6))
    assert profile.ops[0].shape == (1, 16, 16, 16) and profile.ops[-1].shape == (1, 10)
    assert all(op.time_ms >= 0 for op in profile.ops)
    total = sum(op.time_ms for op in profile.ops)
    # The op clocks tile the invoke (each starts where the previous stopped), so they add up to
    # the invoke time measured around the C call, less the call's own overhead.
    assert total <= profile.invoke_ms * 1.001 + 1e-3
    assert total >= 0.5 * profile.invoke_ms
    assert profile.top(2)[0].time_ms >= profile.top(2)[1].time_ms
    # Profiling changes no result, and is off again afterwards.
    np.testing.assert_array_equal(interp.run(feeds)["y"], want)


@pytest.mark.parametrize("family,expect", [
    ("reference", {"CONV_2D": "reference", "DEPTHWISE_CONV_2D": "reference", "ADD": "reference",
                   "FULLY_CONNECTED": "reference"}),
] + ([
    ("sse41", {"CONV_2D": "f32-gemm-4x8-sse", "CONV_2D_3x3": "f32-igemm-4x8-sse", "DEPTHWISE_CONV_2D": "f32-dwconv-c4-sse",
               "FULLY_CONNECTED": "f32-gemm-4x8-sse"}),
    ("avx2", {"CONV_2D": "f32-gemm-6x16-avx2", "CONV_2D_3x3": "f32-igemm-6x16-avx2", "DEPTHWISE_CONV_2D": "f32-dwconv-c8-avx2",
              "ADD": "f32-vbinary-avx2", "FULLY_CONNECTED": "f32-gemv-1x16-avx2"}),
    ("avx512", {"CONV_2D": "f32-gemm-7x32-avx512", "CONV_2D_3x3": "f32-igemm-7x32-avx512",
                "DEPTHWISE_CONV_2D": "f32-dwconv-c16-avx512", "ADD": "f32-vbinary-avx512",
                "FULLY_CONNECTED": "f32-gemv-1x32-avx512"}),
] if X86 else [
    ("neon", {"CONV_2D": "f32-gemm-4x8-neon", "CONV_2D_3x3": "f32-igemm-4x8-neon", "DEPTHWISE_CONV_2D": "f32-dwconv-c4-neon",
              "ADD": "f32-vbinary-neon", "FULLY_CONNECTED": "f32-gemv-1x8-neon"}),
]))
def test_kernel_names_follow_the_family(family, expect, monkeypatch):
    monkeypatch.setenv("EDGENET_ISA", family)
    g, model, feeds = small_net()
    if family != "reference":
        ok, why = _runnable(family)
        if not ok:
            pytest.skip(f"{family} not run here: {why}")
    profile = edgenet.Interpreter(model, num_threads=2).profile(feeds, runs=2)
    by_index = {op.index: op for op in profile.ops}
    # The first conv (3x3 stride 2) reads its input through an indirection buffer (igemm); the
    # pointwise one reads it in place.
    assert by_index[0].kernel == expect.get("CONV_2D_3x3", expect["CONV_2D"])
    assert by_index[2].kernel == expect["CONV_2D"]
    assert by_index[1].kernel == expect["DEPTHWISE_CONV_2D"]
    # The classifier runs at batch 1: a one-row GEMM where the family has one (gemv).
    assert by_index[5].kernel == expect["FULLY_CONNECTED"]
    if "ADD" in expect:
        assert by_index[3].kernel == expect["ADD"]
    assert by_index[4].kernel == "reference"  # MEAN has no optimized kernel


def test_profile_errors():
    g, model, feeds = small_net()
    interp = edgenet.Interpreter(model)
    with pytest.raises(ValueError, match="runs must be at least 1"):
        interp.profile(feeds, runs=0)
    with pytest.raises(ValueError, match="op index 99 out of range"):
        interp._native.op_profile(99)
    # Before any profiled invoke the counters are zero.
    row = interp._native.op_profile(0)
    assert row["total_ns"] == 0 and row["invokes"] == 0 and row["opcode"] == "CONV_2D"


def test_bench_profile_cli(tmp_path):
    g, model, feeds = small_net()
    path = tmp_path / "net.enet"
    path.write_bytes(model)
    out = subprocess.run([sys.executable, "-m", "edgenet.cli", "bench", str(path), "--runs", "3", "--warmup", "1",
                          "--profile", "--top", "4", "--threads", "1"], capture_output=True, text=True, check=True).stdout
    assert "profile: 6 ops, 3 runs" in out
    table = out.split("top 4 ops:")[1].split("by opcode:")[0].strip().splitlines()
    assert table[0].split()[:5] == ["#", "op", "name", "output", "shape"]
    assert len(table) == 5  # header + 4 rows
    shares = [float(line.split()[-1].rstrip("%")) for line in table[1:]]
    assert shares == sorted(shares, reverse=True)
    assert "CONV_2D" in out.split("by opcode:")[1]
