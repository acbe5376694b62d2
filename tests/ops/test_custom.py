"""Custom ops (edgenet/ops/custom.py, native/src/ops/custom.c, enet_options.custom_ops in edgenet.h).

Two ops: swish_beta (y = x * sigmoid(beta * x), beta a float32 options blob) and top_k (the k largest
entries of the last dim and their indices, k an int32 blob). Their Python references (registered for
the converter) and C kernels (native/tests/test_custom_op.c) are both checked against numpy written
here independently: values via np.sort, indices via a stable argsort, swish via tanh.
"""
import pathlib
import struct
import sys

import numpy as np
import pytest

import edgenet
from edgenet import reference
from edgenet.ops import custom

REPO = pathlib.Path(__file__).resolve().parents[2]


def swish_infer(inputs, options):
    if len(options) != 4:
        raise ValueError(f"options must be 4 bytes (float32 beta), got {len(options)}")
    return [(inputs[0].shape, "float32")]


def swish_reference(arrays, options):
    (beta,) = struct.unpack("<f", options)
    x = arrays[0]
    return [(x / (1 + np.exp(-beta * x))).astype(np.float32)]


def top_k_infer(inputs, options):
    (k,) = struct.unpack("<i", options)
    shape = inputs[0].shape
    return [(shape[:-1] + (k,), "float32"), (shape[:-1] + (k,), "int32")]


def top_k_reference(arrays, options):
    (k,) = struct.unpack("<i", options)
    x = arrays[0]
    index = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return [np.take_along_axis(x, index, -1), index.astype(np.int32)]


@pytest.fixture(autouse=True)
def registered():
    # replace=True: other tests (the guide's) may have registered these names in this process
    edgenet.register_custom_op("swish_beta", swish_infer, swish_reference, replace=True)
    edgenet.register_custom_op("top_k", top_k_infer, top_k_reference, replace=True)
    yield
    edgenet.unregister_custom_op("swish_beta")
    edgenet.unregister_custom_op("top_k")


# ---- the independent oracle ---------------------------------------------------

def oracle_swish(x, beta):
    x = x.astype(np.float64)
    return x * 0.5 * (1 + np.tanh(beta * x / 2))  # sigmoid(z) = (1 + tanh(z / 2)) / 2


def oracle_top_k(x, k):
    values = -np.sort(-x, axis=-1)[..., :k]
    # ties: the lower index first (an argsort of (-value, index) pairs)
    order = np.lexsort((np.broadcast_to(np.arange(x.shape[-1]), x.shape), -x), axis=-1)[..., :k]
    return values, order


BETA, K = 1.7, 3


def build(beta_blob=struct.pack("<f", BETA), k=K, conv=False):
    """x (2, 4, 4, 3) [-> conv] -> *2 -> swish_beta -> top_k: values + 1 and indices."""
    g = edgenet.Graph("custom_net")
    x = g.input("x", (2, 4, 4, 3))
    if conv:  # an int8-able op before the custom ones
        w = np.random.default_rng(1).standard_normal((3, 1, 1, 3)).astype(np.float32) * 0.5
        x = g.conv2d(x, w, np.zeros(3, np.float32))
    h = g.custom("swish_beta", [x * 2.0], options=beta_blob)
    values, indices = g.custom("top_k", h, options=struct.pack("<i", k))
    g.output(values + 1.0, "values")
    g.output(indices, "indices")
    return g


def feeds(seed=0):
    return {"x": np.random.default_rng(seed).standard_normal((2, 4, 4, 3)).astype(np.float32)}


def expected(x, conv=False):
    if conv:
        w = np.random.default_rng(1).standard_normal((3, 1, 1, 3)).astype(np.float32) * 0.5
        x = np.einsum("nhwc,oc->nhwo", x.astype(np.float64), w[:, 0, 0, :].astype(np.float64))
    values, indices = oracle_top_k(oracle_swish(2.0 * x, BETA), K)
    return values + 1.0, indices


# ---- Python: builder, reference, conversion -------------------------------------

def test_reference_run_matches_numpy():
    x = feeds()["x"]
    out = reference.run(build(), {"x": x})
    values, indices = expected(x)
    np.testing.assert_allclose(out["values"], values, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out["indices"], indices)
    assert out["indices"].shape == (2, 4, 4, K)


def test_file_carries_name_and_options_blob():
    model = edgenet.convert(build())
    ops = [(op.opcode, op.options) for op in edgenet.load(model.to_bytes()).operators]
    assert ("CUSTOM", {"name": "swish_beta", "data": struct.pack("<f", BETA)}) in ops
    assert ("CUSTOM", {"name": "top_k", "data": struct.pack("<i", K)}) in ops


def test_unregistered_custom_op_fails_conversion_with_its_name():
    g = edgenet.Graph("net")
    x = g.input("x", (1, 4))
    with pytest.raises(ValueError, match="custom op 'my_fancy_op' is not registered"):
        g.custom("my_fancy_op", [x])


def test_shape_rule_errors_point_at_the_op():
    g = edgenet.Graph("net")
    x = g.input("x", (1, 4))
    with pytest.raises(ValueError, match="options must be 4 bytes"):
        g.custom("swish_beta", [x], options=b"\x00")


def test_int8_model_keeps_custom_ops_float():
    g = build(conv=True)
    calibration = [feeds(seed) for seed in range(8)]
    model = edgenet.convert(g, quantize="int8", calibration=calibration)
    parsed = edgenet.load(model.to_bytes())
    ops = parsed.operators
    assert "CONV_2D" in [op.opcode for op in ops] and "DEQUANTIZE" in [op.opcode for op in ops]
    for op in ops:
        if op.opcode == "CUSTOM":
            kinds = [parsed.tensors[i].dtype for i in op.inputs] + [parsed.tensors[i].dtype for i in op.outputs]
            assert set(kinds) <= {"float32", "int32"}, (op.options["name"], kinds)
    conv = [op for op in ops if op.opcode == "CONV_2D"][0]
    assert parsed.tensors[conv.inputs[0]].dtype == "int8"  # the conv itself did become int8
    # and it runs, close to the float oracle
    x = feeds(3)["x"]
    out = edgenet.Interpreter(model, custom_ops=["swish_beta", "top_k"]).run({"x": x})
    values, _ = expected(x, conv=True)
    np.testing.assert_allclose(out["values"], values, atol=0.1)


# ---- Python Interpreter: the C core calls the registered reference back ---------

def test_interpreter_runs_python_kernels():
    x = feeds(1)["x"]
    out = edgenet.Interpreter(edgenet.convert(build()), custom_ops=["swish_beta", "top_k"]).run({"x": x})
    values, indices = expected(x)
    np.testing.assert_allclose(out["values"], values, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out["indices"], indices)
    assert out["values"].dtype == np.float32 and out["indices"].dtype == np.int32


def test_interpreter_without_the_kernel_names_the_op():
    model = edgenet.convert(build())
    with pytest.raises(RuntimeError, match="UNSUPPORTED: .*custom op 'top_k' has no kernel"):
        edgenet.Interpreter(model, custom_ops=["swish_beta"])


def test_python_kernel_failure_is_an_error_not_a_crash():
    model = edgenet.convert(build())

    def broken(arrays, options):
        raise ArithmeticError("overflow in my kernel")

    interp = edgenet.Interpreter(model, custom_ops=[custom.CustomOp("swish_beta", swish_infer, broken), "top_k"])
    with pytest.raises(ValueError, match="custom op 'swish_beta' invoke failed.*ArithmeticError: overflow in my kernel"):
        interp.run(feeds())
    # the interpreter stays usable
    ok = edgenet.Interpreter(model, custom_ops=["swish_beta", "top_k"]).run(feeds())
    np.testing.assert_array_equal(ok["indices"], expected(feeds()["x"])[1])


# ---- C kernels registered through enet_options.custom_ops -----------------------

@pytest.fixture(scope="module")
def programs():
    sys.path.insert(0, str(REPO / "native" / "tests"))
    import build_programs

    return build_programs, build_programs.build_programs()


def run_c(programs, model_bytes, x, tmp_path, kernels=None):
    build_programs, built = programs
    model, data = tmp_path / "model.enet", tmp_path / "x.bin"
    model.write_bytes(model_bytes)
    data.write_bytes(np.ascontiguousarray(x, np.float32).tobytes())
    args = [model, data, tmp_path] + ([] if kernels is None else [kernels])
    return build_programs.run(built["test_custom_op"], *args)


@pytest.mark.parametrize("quantize", [None, "int8"])
def test_c_kernels_run_a_converted_model(programs, tmp_path, quantize):
    conv = quantize == "int8"
    g = build(conv=conv)
    model = edgenet.convert(g, quantize=quantize, calibration=[feeds(s) for s in range(8)] if quantize else None)
    x = feeds(2)["x"]
    result = run_c(programs, model.to_bytes(), x, tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stdout + result.stderr
    values = np.fromfile(tmp_path / "output0.bin", np.float32).reshape(2, 4, 4, K)
    indices = np.fromfile(tmp_path / "output1.bin", np.int32).reshape(2, 4, 4, K)
    want_values, want_indices = expected(x, conv=conv)
    if quantize is None:
        np.testing.assert_allclose(values, want_values, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(indices, want_indices)
    else:  # the conv is int8: values close, and the C top_k agrees with numpy on what it was given
        np.testing.assert_allclose(values, want_values, atol=0.1)
        assert (indices == want_indices).mean() > 0.9


def test_c_unknown_custom_op_fails_create_naming_it(programs, tmp_path):
    result = run_c(programs, edgenet.convert(build()).to_bytes(), feeds()["x"], tmp_path, kernels="top_k")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout.startswith("error UNSUPPORTED: create: op ")
    assert "custom op 'swish_beta' has no kernel" in result.stdout


def test_c_prepare_rejection_carries_the_kernels_message(programs, tmp_path):
    edgenet.register_custom_op("swish_beta", lambda inputs, options: [(inputs[0].shape, "float32")], swish_reference,
                               replace=True)  # a converter that accepts any blob; the C kernel does not
    model = edgenet.convert(build(beta_blob=b"\x00" * 5)).to_bytes()
    result = run_c(programs, model, feeds()["x"], tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error INVALID_MODEL: create: op " in result.stdout
    assert "custom op 'swish_beta' prepare failed (INVALID_MODEL): options must be 4 bytes (float32 beta), got 5" \
        in result.stdout


def test_c_invoke_failure_carries_the_kernels_message(programs, tmp_path):
    x = feeds()["x"]
    x[1, 2, 3, 1] = np.nan
    result = run_c(programs, edgenet.convert(build()).to_bytes(), x, tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr  # an error, no sanitizer report, no crash
    assert "error INVALID_ARGUMENT: invoke: op " in result.stdout
    assert "custom op 'top_k' invoke failed (INVALID_ARGUMENT): NaN at row" in result.stdout


# ---- the loader's checks of a custom op's identity --------------------------------

def test_name_and_blob_bounds_at_load(monkeypatch):
    monkeypatch.setattr(custom, "MAX_NAME_BYTES", 1000)  # let the converter write what the loader refuses
    monkeypatch.setattr(custom, "MAX_OPTIONS_BYTES", 1 << 30)
    long_name = "n" * 129
    edgenet.register_custom_op(long_name, lambda inputs, options: [(inputs[0].shape, "float32")],
                               lambda arrays, options: [arrays[0]])
    try:
        g = edgenet.Graph("net")
        x = g.input("x", (1, 4))
        g.output(g.custom(long_name, [x]), "y")
        with pytest.raises(ValueError, match="CustomOptions.name has 129 bytes, at most 128 allowed"):
            edgenet.Interpreter(edgenet.convert(g), custom_ops=[long_name])
    finally:
        edgenet.unregister_custom_op(long_name)
    edgenet.register_custom_op("swish_beta", lambda inputs, options: [(inputs[0].shape, "float32")], swish_reference,
                               replace=True)
    g = edgenet.Graph("net")
    x = g.input("x", (1, 4))
    g.output(g.custom("swish_beta", [x], options=bytes((16 << 20) + 1)), "y")
    with pytest.raises(ValueError, match="CustomOptions.data has 16777217 bytes, at most 16777216 allowed"):
        edgenet.Interpreter(edgenet.convert(g), custom_ops=["swish_beta"])


def test_register_checks_names():
    with pytest.raises(ValueError, match="already registered"):
        edgenet.register_custom_op("swish_beta", swish_infer, swish_reference)
    with pytest.raises(ValueError, match="no control characters"):
        edgenet.register_custom_op("a\nb", swish_infer, swish_reference)
    with pytest.raises(ValueError, match="non-empty str"):
        edgenet.register_custom_op("", swish_infer, swish_reference)


# ---- TFLite: a custom op kept as an edgenet custom op -----------------------------

def tflite_with_custom_swish(beta_blob):
    sys.path.insert(0, str(REPO / "tests"))
    from tflite_models import TFLiteBuilder

    b = TFLiteBuilder()
    x = b.tensor("x", (2, 4, 4, 3))
    y = b.tensor("y", (2, 4, 4, 3))
    b.op(("custom", "swish_beta"), [x], [y], custom_options=beta_blob)
    return b.finish([x], [y])


def test_tflite_custom_op_imports_as_a_custom_op_when_registered(programs, tmp_path):
    model = edgenet.convert(tflite_with_custom_swish(struct.pack("<f", BETA)))
    ops = [(op.opcode, op.options) for op in edgenet.load(model.to_bytes()).operators]
    assert ops == [("CUSTOM", {"name": "swish_beta", "data": struct.pack("<f", BETA)})]
    x = feeds(4)["x"]
    want = oracle_swish(x, BETA)
    out = edgenet.Interpreter(model, custom_ops=["swish_beta"]).run({"x": x})["y"]
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    result = run_c(programs, model.to_bytes(), x, tmp_path, kernels="swish_beta")
    assert result.returncode == 0, result.stdout + result.stderr
    np.testing.assert_allclose(np.fromfile(tmp_path / "output0.bin", np.float32).reshape(x.shape), want,
                               rtol=1e-5, atol=1e-6)


def test_tflite_custom_op_not_registered_fails_naming_it():
    edgenet.unregister_custom_op("swish_beta")
    from edgenet.converters.tflite_import import TFLiteImportError

    with pytest.raises(TFLiteImportError, match=r"unsupported ops: swish_beta\n.*unknown custom op: register it with "
                                                r"edgenet.register_custom_op"):
        edgenet.convert(tflite_with_custom_swish(struct.pack("<f", BETA)))


# ---- open dims (re-prepared on resize) and control-flow bodies ---------------------

def test_open_batch_dim_is_re_prepared_for_each_size():
    g = edgenet.Graph("open")
    x = g.input("x", (None, 6))
    values, indices = g.custom("top_k", x, options=struct.pack("<i", 2))
    g.output(values, "values")
    g.output(indices, "indices")
    interp = edgenet.Interpreter(edgenet.convert(g), custom_ops=["top_k"])
    for batch in (1, 5, 3):
        xs = np.random.default_rng(batch).standard_normal((batch, 6)).astype(np.float32)
        out = interp.run({"x": xs})
        want_values, want_indices = oracle_top_k(xs, 2)
        np.testing.assert_array_equal(out["values"], want_values)
        np.testing.assert_array_equal(out["indices"], want_indices)


def test_custom_op_inside_a_cond_body():
    g = edgenet.Graph("branchy")
    x = g.input("x", (1, 6))
    pred = g.input("pred", (1,), dtype="bool")
    y = g.cond(pred, lambda a: g.custom("swish_beta", [a], options=struct.pack("<f", BETA)), lambda a: a * 3.0, x)
    g.output(y, "y")
    interp = edgenet.Interpreter(edgenet.convert(g), custom_ops=["swish_beta"])
    xs = feeds()["x"].reshape(-1)[:6].reshape(1, 6)
    np.testing.assert_allclose(interp.run({"x": xs, "pred": np.array([True])})["y"], oracle_swish(xs, BETA),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(interp.run({"x": xs, "pred": np.array([False])})["y"], xs * 3.0, rtol=1e-6)
    with pytest.raises(RuntimeError, match="custom op 'swish_beta' has no kernel"):
        edgenet.Interpreter(edgenet.convert(g)).run({"x": xs, "pred": np.array([True])})
