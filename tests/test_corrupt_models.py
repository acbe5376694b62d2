"""Malformed model files get a clear error and leave the process healthy.

The core treats every file as untrusted. Here: hand-built models with one
specific defect each (the error must name it), then many random truncations and
byte flips, run in a subprocess so that a crash shows up as a failed test
instead of killing pytest, and once more through the C runner built with
AddressSanitizer + UBSan, which catches any out-of-bounds read even when it
happens not to crash.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import flatbuffers
import numpy as np
import pytest

import edgenet
from edgenet import integrity
from edgenet._schema import edgenet_generated as S
from edgenet.interpreter import Interpreter

REPO = pathlib.Path(__file__).resolve().parent.parent


# ---- a tiny hand-built model, to plant one defect at a time -------------------

def make_model(tensors=None, ops=None, inputs=(0,), outputs=(2,), buffers=None, blobs=None,
               version=1, identifier=b"ENET", options=None):
    """Builds `y = x + w` (x: input (2, 3), w: constant (3,)) unless parts are overridden.

    tensors: dicts(name, shape, dtype=0, buffer=-1, quant=(scales, zero_points, axis)); ops: dicts(opcode, inputs, outputs,
    options_type=0); buffers: (offset, size) pairs; blobs: (offset, bytes) placed in the file;
    options: a function(builder) -> (options_type, offset) for the first op.
    """
    if tensors is None:
        tensors = [dict(name="x", shape=(2, 3)), dict(name="w", shape=(3,), buffer=0), dict(name="y", shape=(2, 3))]
    if ops is None:
        ops = [dict(opcode=S.OpCode.ADD, inputs=(0, 1), outputs=(2,))]
    if buffers is None:
        buffers = [(1024, 12)]
    if blobs is None:
        blobs = [(1024, np.arange(3, dtype=np.float32).tobytes())]
    b = flatbuffers.Builder(1024)

    def int_vector(values):
        return b.CreateNumpyVector(np.asarray(values, dtype=np.int32))

    def table_vector(start, offsets):
        start(b, len(offsets))
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    tensor_offsets = []
    for t in tensors:
        name, shape = b.CreateString(t["name"]), int_vector(t["shape"])
        quant = None
        if "quant" in t:  # (scales, zero_points, axis)
            scale = b.CreateNumpyVector(np.asarray(t["quant"][0], dtype=np.float32))
            zero_point = b.CreateNumpyVector(np.asarray(t["quant"][1], dtype=np.int64))
            S.QuantizationParametersStart(b)
            S.QuantizationParametersAddScale(b, scale)
            S.QuantizationParametersAddZeroPoint(b, zero_point)
            S.QuantizationParametersAddAxis(b, t["quant"][2])
            quant = S.QuantizationParametersEnd(b)
        S.TensorStart(b)
        S.TensorAddName(b, name)
        S.TensorAddShape(b, shape)
        S.TensorAddDtype(b, t.get("dtype", 0))
        S.TensorAddBuffer(b, t.get("buffer", -1))
        if quant is not None:
            S.TensorAddQuantization(b, quant)
        tensor_offsets.append(S.TensorEnd(b))
    op_offsets = []
    for i, op in enumerate(ops):
        ins, outs = int_vector(op["inputs"]), int_vector(op["outputs"])
        opts = options(b) if options and i == 0 else None
        S.OperatorStart(b)
        S.OperatorAddOpcode(b, op["opcode"])
        S.OperatorAddInputs(b, ins)
        S.OperatorAddOutputs(b, outs)
        if opts:
            S.OperatorAddOptionsType(b, opts[0])
            S.OperatorAddOptions(b, opts[1])
        op_offsets.append(S.OperatorEnd(b))
    tensors_vec = table_vector(S.SubGraphStartTensorsVector, tensor_offsets)
    ops_vec = table_vector(S.SubGraphStartOperatorsVector, op_offsets)
    ins, outs = int_vector(inputs), int_vector(outputs)
    S.SubGraphStart(b)
    S.SubGraphAddTensors(b, tensors_vec)
    S.SubGraphAddInputs(b, ins)
    S.SubGraphAddOutputs(b, outs)
    S.SubGraphAddOperators(b, ops_vec)
    subgraphs = table_vector(S.ModelStartSubgraphsVector, [S.SubGraphEnd(b)])
    S.ModelStartBuffersVector(b, len(buffers))
    for offset, size in reversed(buffers):
        S.CreateBuffer(b, offset, size)
    buffers_vec = b.EndVector()
    S.ModelStart(b)
    S.ModelAddVersion(b, version)
    S.ModelAddSubgraphs(b, subgraphs)
    S.ModelAddBuffers(b, buffers_vec)
    b.Finish(S.ModelEnd(b), file_identifier=identifier)
    data = bytearray(b.Output())
    assert len(data) <= 1024, "hand-built flatbuffer grew past the data section"
    for offset, blob in blobs:
        data.extend(bytes(max(0, offset + len(blob) - len(data))))
        data[offset:offset + len(blob)] = blob
    return bytes(data)


def test_hand_built_model_is_valid():
    """The baseline all the defects below start from runs and adds correctly."""
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = Interpreter(make_model()).run({"x": x})["y"]
    np.testing.assert_array_equal(out, x + np.arange(3, dtype=np.float32))


@pytest.mark.parametrize("data, message", [
    (b"", "too small"),
    (b"ENET", "too small"),
    (b"\x08\x00\x00\x00TFL3" + bytes(64), "wrong file identifier"),
    (b"\xff\xff\x00\x00ENET" + bytes(8), "outside the"),
])
def test_garbage_headers(data, message):
    with pytest.raises(ValueError, match=message):
        Interpreter(data)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.enet"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        Interpreter(path)


def test_wrong_identifier_in_real_model():
    g = edgenet.Graph("g")
    g.output(g.relu(g.input("x", shape=(4,))), "y")
    data = bytearray(edgenet.convert(g).to_bytes())
    data[4:8] = b"TFL3"
    with pytest.raises(ValueError, match=r'wrong file identifier \(expected "ENET"\)'):
        Interpreter(bytes(data))


@pytest.mark.parametrize("kwargs, message", [
    (dict(ops=[dict(opcode=S.OpCode.ADD, inputs=(0, 99), outputs=(2,))]),
     r"op 0 .*\(ADD\): input 1: tensor index 99 out of range \(subgraph has 3\)"),
    (dict(ops=[dict(opcode=S.OpCode.ADD, inputs=(0, 1), outputs=(-5,))]), "output 0: tensor index -5 out of range"),
    (dict(inputs=(7,)), "graph input 0: tensor index 7 out of range"),
    (dict(outputs=(3,)), "graph output 0: tensor index 3 out of range"),
    (dict(buffers=[(4096, 12)]), r"buffer 0 range \[4096, 4108\) exceeds file size 1036"),
    (dict(buffers=[(1000, 12)]), "buffer 0 offset 1000 is not 64-byte aligned"),
    (dict(buffers=[(1024, 8)]), "tensor 1 'w': buffer 0 holds 8 bytes but shape needs 12"),
    (dict(buffers=[]), "tensor 1 'w': buffer index 0 out of range"),
    (dict(tensors=[dict(name="x", shape=(2, -3)), dict(name="w", shape=(3,), buffer=0), dict(name="y", shape=(2, 3))]),
     "tensor 0 'x': shape dim 1 is -3"),
    (dict(tensors=[dict(name="x", shape=(2, 3), dtype=42), dict(name="w", shape=(3,), buffer=0),
                   dict(name="y", shape=(2, 3))]), "tensor 0 'x': unknown dtype 42"),
    (dict(tensors=[dict(name="x", shape=(2 ** 31 - 1,) * 3), dict(name="w", shape=(3,), buffer=0),
                   dict(name="y", shape=(2, 3))]), "element count overflows"),
    (dict(ops=[dict(opcode=S.OpCode.ADD, inputs=(0,), outputs=(2,))]), "ADD takes 2..2 inputs, got 1"),
    (dict(ops=[dict(opcode=S.OpCode.RELU, inputs=(2,), outputs=(2,))]), "used before any op produces it"),
    (dict(ops=[dict(opcode=S.OpCode.ADD, inputs=(0, 1), outputs=(1,))], outputs=(1,)),
     "already a graph input, a constant or another op's output"),
    (dict(inputs=(1,)), "graph input 0: tensor 1 'w' is a constant"),
    (dict(ops=[]), "graph output 0: tensor 2 'y' is never produced"),
    (dict(options=lambda b: (S.OperatorOptions.PadOptions, (S.PadOptionsStart(b), S.PadOptionsEnd(b))[1])),
     "options type 7 does not match opcode ADD"),
    (dict(tensors=[dict(name="x", shape=(2, 3)), dict(name="w", shape=(3,), buffer=0), dict(name="y", shape=(2, 4))]),
     r"output tensor 'y' has inferred shape \(2, 3\) but the file declares \(2, 4\)"),
    (dict(tensors=[dict(name="x", shape=(2, 3)), dict(name="w", shape=(4,), buffer=0), dict(name="y", shape=(2, 3))],
          buffers=[(1024, 16)], blobs=[(1024, bytes(16))]), r"cannot broadcast shapes \(2, 3\) and \(4,\)"),
])
def test_specific_defects_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Interpreter(make_model(**kwargs))


def _int8_reshape(quant):
    """x int8 (2, 3) -> RESHAPE -> y int8 (3, 2), x with quantization `quant`, y per-tensor."""
    return dict(tensors=[dict(name="x", shape=(2, 3), dtype=S.DataType.INT8, quant=quant),
                         dict(name="y", shape=(3, 2), dtype=S.DataType.INT8, quant=([0.5], [1], 0))],
                ops=[dict(opcode=S.OpCode.RESHAPE, inputs=(0,), outputs=(1,))], outputs=(1,), buffers=[], blobs=[])


@pytest.mark.parametrize("quant, message", [
    (([0.5, 0.25], [0], 1), "quantization has 2 scales but 1 zero points"),
    (([0.5, 0.25], [0, 0], 1), "quantization has 2 scales but dim 1 is 3"),
    (([0.5, 0.25], [0, 0], 5), "quantization axis 5 out of range for rank 2"),
    (([-0.5], [0], 0), r"quantization scale\[0\] = -0.5 is not a positive finite number"),
    (([float("nan")], [0], 0), r"quantization scale\[0\] = nan is not a positive finite number"),
])
def test_bad_quantization_parameters(quant, message):
    with pytest.raises(ValueError, match="tensor 0 'x': " + message):
        Interpreter(make_model(**_int8_reshape(quant)))


def test_quantization_parameters_are_reported():
    """Quantization parameters of int8 tensors reach TensorInfo; RESHAPE moves int8 data unchanged."""
    interp = Interpreter(make_model(**_int8_reshape(([0.5], [1], 0))))
    q_in, q_out = interp.inputs[0].quantization, interp.outputs[0].quantization
    assert interp.inputs[0].dtype == np.int8 and interp.outputs[0].dtype == np.int8
    for q in (q_in, q_out):
        np.testing.assert_array_equal(q.scale, np.array([0.5], np.float32))
        np.testing.assert_array_equal(q.zero_point, [1])
        assert q.axis == 0
    x = np.arange(-3, 3, dtype=np.int8).reshape(2, 3)
    np.testing.assert_array_equal(interp.run({"x": x})["y"], x.reshape(3, 2))


def test_unknown_opcode_and_unsupported_features():
    with pytest.raises(RuntimeError, match="UNSUPPORTED: op 0 .*unknown opcode 999"):
        Interpreter(make_model(ops=[dict(opcode=999, inputs=(0, 1), outputs=(2,))]))
    with pytest.raises(RuntimeError, match="model format version 7; this build reads versions 1 to 2"):
        Interpreter(make_model(version=7))
    quantize = dict(tensors=[dict(name="x", shape=(2, 3)), dict(name="q", shape=(2, 3), dtype=S.DataType.INT8)],
                    ops=[dict(opcode=S.OpCode.QUANTIZE, inputs=(0,), outputs=(1,))], outputs=(1,), buffers=[], blobs=[])
    with pytest.raises(ValueError, match="QUANTIZE.*output 'q' is INT8 but has no quantization parameters"):
        Interpreter(make_model(**quantize))


def _custom_op(name, data=None):
    """The first op as CUSTOM with CustomOptions(name, data); name and data are raw bytes."""
    def options(b):
        name_offset = b.CreateString(name) if name is not None else None
        data_offset = b.CreateByteVector(data) if data is not None else None
        S.CustomOptionsStart(b)
        if name_offset is not None:
            S.CustomOptionsAddName(b, name_offset)
        if data_offset is not None:
            S.CustomOptionsAddData(b, data_offset)
        return S.OperatorOptions.CustomOptions, S.CustomOptionsEnd(b)
    return dict(ops=[dict(opcode=S.OpCode.CUSTOM, inputs=(0, 1), outputs=(2,))], options=options)


@pytest.mark.parametrize("name, message", [
    (None, "CustomOptions.name is missing or empty"),
    (b"", "CustomOptions.name is missing or empty"),
    (b"swish\xff", "CustomOptions.name is not valid UTF-8"),
    (b"\xc0\xaf", "CustomOptions.name is not valid UTF-8"),  # an overlong '/'
    (b"\xed\xa0\x80", "CustomOptions.name is not valid UTF-8"),  # a surrogate
    (b"two\nlines", "CustomOptions.name contains control character 0x0a"),
    (b"x" * 129, "CustomOptions.name has 129 bytes, at most 128 allowed"),
])
def test_bad_custom_op_names(name, message):
    with pytest.raises(ValueError, match="op 0 '' \\(CUSTOM\\): " + message):
        Interpreter(make_model(**_custom_op(name)))


def test_custom_op_without_kernel_is_unsupported_naming_it():
    """A well-formed custom op (a 128-byte UTF-8 name, a blob) loads; with no kernel registered,
    creating the interpreter fails naming it."""
    name = ("é" * 64).encode()
    with pytest.raises(RuntimeError, match=f"UNSUPPORTED: op 0 '' \\(CUSTOM\\): custom op '{'é' * 64}' has no kernel"):
        Interpreter(make_model(**_custom_op(name, b"\x01\x02")))


# ---- many random corruptions, each in a fresh process -------------------------

def _base_model():
    """A model with every kind of structure: options, constants, several ops."""
    rng = np.random.default_rng(7)
    r = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    g = edgenet.Graph("net")
    x = g.input("image", shape=(1, 8, 8, 3))
    y = g.conv2d(x, r(4, 3, 3, 3), r(4), strides=2, padding="same", activation="relu")
    y = g.max_pool2d(y, 2, strides=2)
    y = g.reshape(y, (1, -1))
    y = g.fully_connected(y, r(5, 16), r(5))
    g.output(g.softmax(y), "probs")
    return edgenet.convert(g).to_bytes()


def _flatbuffer_end(data):
    """Where the constant data section starts; corruptions there only change weights."""
    model = S.Model.GetRootAs(data, 0)
    offsets = [model.Buffers(i).Offset() for i in range(model.BuffersLength())]
    return min(offsets) if offsets else len(data)


def _corruptions(data, num_flips):
    """(kind, bytes) pairs: truncations at many lengths, and 1-4 random byte flips per seed.

    Each corrupted body gets a fresh checksum trailer, as an attacker would write it, so the
    structural checks behind the checksum are what gets tested (test_checksum.py tests the checksum)."""
    body = data[:-integrity.TRAILER_SIZE]
    fb_end = _flatbuffer_end(data)
    lengths = sorted(set(range(0, fb_end)) | set(range(fb_end, len(body), 97)))
    cases = [("truncate", integrity.append_checksum(body[:n])) for n in lengths]
    for seed in range(num_flips):
        rng = np.random.default_rng(seed)
        corrupted = bytearray(body)
        for _ in range(rng.integers(1, 5)):
            corrupted[rng.integers(0, fb_end)] ^= int(rng.integers(1, 256))
        cases.append(("flip", integrity.append_checksum(corrupted)))
    return cases


# Runs in a child process: load + run every corrupted file, report outcomes as JSON.
CHILD = r"""
import json, sys
import numpy as np
from edgenet.interpreter import Interpreter
cases = json.load(open(sys.argv[1]))
report = {"rejected": 0, "ran": 0, "unexpected": [], "empty_message": 0, "truncations_accepted": 0}
for kind, hexdata in cases:
    data = bytes.fromhex(hexdata)
    try:
        interp = Interpreter(data)
        feeds = [np.zeros([1 if d < 0 else d for d in i.shape], i.dtype) for i in interp.inputs]
        interp.run(feeds)
        report["ran"] += 1
        report["truncations_accepted"] += kind == "truncate"
    except (ValueError, RuntimeError) as e:
        report["rejected"] += 1
        report["empty_message"] += not str(e).strip()
    except Exception as e:
        report["unexpected"].append(f"{kind}: {type(e).__name__}: {e}")
print(json.dumps(report))
"""


def test_random_corruptions_in_subprocess(tmp_path):
    data = _base_model()
    cases = _corruptions(data, num_flips=500)
    case_file = tmp_path / "cases.json"
    case_file.write_text(json.dumps([(kind, blob.hex()) for kind, blob in cases]))
    result = subprocess.run([sys.executable, "-c", CHILD, str(case_file)], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"child process died (exit {result.returncode}): {result.stderr[-2000:]}"
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["unexpected"] == []
    assert report["empty_message"] == 0
    assert report["truncations_accepted"] == 0, "a truncated file was accepted"
    assert report["rejected"] + report["ran"] == len(cases)
    assert report["rejected"] > len(cases) // 2  # most corruptions of the flatbuffer are caught


def test_corruptions_under_address_sanitizer():
    """The C runner built with ASan + UBSan: no out-of-bounds access or UB on any corrupted file."""
    sys.path.insert(0, str(REPO / "native" / "tests"))
    import build_programs

    programs = build_programs.build_programs()
    if not programs["sanitized"]:
        pytest.skip("the C compiler cannot build with AddressSanitizer/UBSan here")
    data = _base_model()
    cases = _corruptions(data, num_flips=200)
    # Every truncation is rejected by the C loader too; sample them to keep the run short.
    cases = [c for i, c in enumerate(cases) if c[0] == "flip" or i % 10 == 0] + [("valid", data)]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "case.enet")
        for i, (kind, blob) in enumerate(cases):
            with open(path, "wb") as f:
                f.write(blob)
            result = build_programs.run(programs["edgenet_run"], path)
            assert result.returncode in (0, 1), f"case {i} ({kind}): exit {result.returncode}\n{result.stderr[-3000:]}"
            if result.returncode == 1:
                assert result.stderr.startswith("edgenet_run: ") and len(result.stderr.strip()) > 20, result.stderr
            if kind == "truncate":
                assert result.returncode == 1
            if kind == "valid":
                assert result.returncode == 0 and result.stdout.startswith("output 0 probs (1, 5)")
