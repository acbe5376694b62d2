"""Helpers shared by the per-family op tests (tests/ops/test_<family>.py) and the int8 op tests:
build one-op graphs, run them in the C core and in the numpy reference (edgenet.reference), compare.

Tolerances. The reference computes in float64 on the float32 inputs; the C kernels compute in
float32, except where noted in the kernels (transcendentals, norms and resize coordinates in
double). So:
  - elementwise ops, data movement, comparisons, arg/reduce max/min: exact or 1-2 ulp
    (ULPS for the transcendental ones; EXACT for the rest);
  - sums of many float32 products or values (matmul, conv2d_transpose, reduce_sum, layer /
    instance norm, log_softmax, bilinear resize): SUMS - float32 accumulation error grows with
    the number of terms, and these sums run up to a few hundred terms;
  - convolutions, pooling, softmax and the first ops' graphs: FLOAT (rel 1e-4, abs 1e-5).
int8 ops are compared bit for bit with the integer reference (assert_exact).
"""
import numpy as np

import edgenet
from edgenet.graph import Tensor

EXACT = dict(rtol=0, atol=0)
ULPS = dict(rtol=1e-6, atol=1e-7)
SUMS = dict(rtol=1e-5, atol=1e-5)
FLOAT = dict(rtol=1e-4, atol=1e-5)


def run_both(g, feeds):
    """(C outputs, reference outputs) of graph g on feeds. (The sanitizer tests swap this for the
    C runner built with ASan + UBSan: tests/test_ops_sanitized.py.)"""
    model = edgenet.convert(g)
    return edgenet.Interpreter(model.to_bytes()).run(feeds), edgenet.reference.run(g, feeds)


def assert_c_matches_reference(g, feeds, tolerance=FLOAT):
    """Convert g, run it in the C core and in the numpy reference, compare every output."""
    c_out, ref_out = run_both(g, feeds)
    assert set(c_out) == set(ref_out)
    for name, ref in ref_out.items():
        got = c_out[name]
        assert got.shape == ref.shape, (name, got.shape, ref.shape)
        np.testing.assert_allclose(got.astype(np.float64), np.asarray(ref, np.float64), err_msg=f"output {name!r}",
                                   **tolerance)
    return c_out


def rand(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def rand_shape(rng, rank, low=1, high=6):
    return tuple(int(d) for d in rng.integers(low, high, size=rank))


def broadcast_partner(rng, shape):
    """A shape that broadcasts with `shape`: some dims set to 1, maybe fewer leading dims."""
    partner = [1 if rng.random() < 0.4 else d for d in shape]
    return tuple(partner[int(rng.integers(0, len(shape))):])


def int_constant(g, array):
    """An integer constant tensor (Graph.constant makes float32 ones), as the ONNX importer builds them."""
    return Tensor(g, g._unique_name("indices", g._names), array.shape, array.dtype.name, data=array)


def one_op(op, shapes, **attrs):
    """Graph with inputs x0, x1, ... of `shapes` feeding g.<op>(..., **attrs) into output y."""
    g = edgenet.Graph(op)
    inputs = [g.input(f"x{i}", s) for i, s in enumerate(shapes)]
    g.output(getattr(g, op)(*inputs, **attrs), "y")
    return g


def single_input_graph(shape, seed_name="x"):
    g = edgenet.Graph("op_test")
    return g, g.input(seed_name, shape)


def random_padding(rng):
    """"same", "valid" or explicit (top, bottom, left, right) padding."""
    kind = rng.integers(3)
    if kind == 0:
        return "same"
    if kind == 1:
        return "valid"
    return tuple(int(v) for v in rng.integers(0, 3, size=4))  # (top, bottom, left, right)


def fitting_size(rng, kernel, dilation):
    """A random odd-or-even spatial size the dilated kernel fits in even without padding."""
    return (kernel - 1) * dilation + 1 + int(rng.integers(0, 9))


# ---- int8 -------------------------------------------------------------------------------


def random_act_quant(rng):
    """A per-tensor activation (scale, zero point)."""
    return float(10 ** rng.uniform(-2.5, 0)), int(rng.integers(-128, 128))


def assert_exact(g, feeds):
    """The C core and the integer reference agree bit for bit on every output."""
    model = edgenet.convert(g, optimize=False)
    c_out = edgenet.Interpreter(model.to_bytes()).run(feeds)
    ref_out = edgenet.reference.run(g, feeds)
    assert set(c_out) == set(ref_out)
    for name, ref in ref_out.items():
        if ref.dtype == np.float64:  # dequantize: the reference computes in float32, held as float64
            ref = ref.astype(np.float32)
        assert c_out[name].dtype == ref.dtype, name
        assert c_out[name].shape == ref.shape, name
        diff = np.abs(c_out[name].astype(np.float64) - ref.astype(np.float64))
        assert diff.max(initial=0) == 0, f"output {name!r}: {int((diff > 0).sum())} elements differ, max {diff.max()}"
    return c_out
