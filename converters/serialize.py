"""Graph -> .enet bytes (schema/edgenet.fbs): the byte writer, nothing else (converters/pipeline.py
runs the conversion that ends here).

File layout (see the schema's top comment): the FlatBuffer `Model`, zero padding, then
each constant tensor's data at an absolute file offset that is a multiple of 64, so a
memory-mapped file can be used in place, then the 8-byte checksum trailer (a CRC32C of
everything before it, edgenet/integrity.py). The FlatBuffer must record those offsets, but
they depend on its own size; `Buffer` is a fixed-size struct, so we build it once with
placeholder offsets to learn its size, then again with the real ones (same size).
"""
import flatbuffers
import numpy as np

from edgenet import integrity
from edgenet._schema import edgenet_generated as S
from edgenet._version import __version__

# Model.version; bump on a breaking schema change. 2: the checksum trailer; all-zero zero points omitted.
FORMAT_VERSION = 2
FILE_IDENTIFIER = b"ENET"
DATA_ALIGNMENT = 64


def _align(n, alignment=DATA_ALIGNMENT):
    return (n + alignment - 1) // alignment * alignment


def to_bytes(graph, metadata):
    """Serialize a graph whose ops all have opcodes (run passes.lower_to_file_ops first)."""
    tensors = graph.tensors
    constants = [t for t in tensors if t.is_constant]
    blobs = [np.ascontiguousarray(t.data, dtype=np.dtype(t.dtype).newbyteorder("<")).tobytes() for t in constants]

    placeholder = [(0, len(blob)) for blob in blobs]
    size = len(_build_flatbuffer(graph, tensors, constants, placeholder, metadata))
    ranges, offset = [], _align(size)
    for blob in blobs:
        ranges.append((offset, len(blob)))
        offset = _align(offset + len(blob))
    flat = _build_flatbuffer(graph, tensors, constants, ranges, metadata)
    assert len(flat) == size, "FlatBuffer size changed between passes"

    out = bytearray(flat)
    for (offset, _), blob in zip(ranges, blobs):
        out += bytes(offset - len(out))  # zero padding up to the aligned offset
        out += blob
    return integrity.append_checksum(out)


def _schema_dtype(dtype):
    """numpy dtype name ("float32") -> schema DataType value."""
    value = getattr(S.DataType, dtype.upper(), None)
    if value is None:
        raise ValueError(f"dtype {dtype} has no schema DataType")
    return value


def _camel(snake):
    return "".join(part.capitalize() for part in snake.split("_"))


def _build_options(b, table, fields):
    """Build schema table `table` (e.g. "Conv2DOptions") from {snake_case_field: value}.
    Lists become int32 vectors; everything else is a scalar field."""
    vectors = {k: b.CreateNumpyVector(np.asarray(v, dtype=np.int32)) for k, v in fields.items() if isinstance(v, list)}
    getattr(S, f"{table}Start")(b)
    for key, value in fields.items():
        getattr(S, f"{table}Add{_camel(key)}")(b, vectors.get(key, value))
    return getattr(S, f"{table}End")(b)


def _build_tensor(b, t, buffer_index):
    name = b.CreateSharedString(t.name)  # an op and its output tensor often share a name: stored once
    shape = b.CreateNumpyVector(np.array([-1 if d is None else d for d in t.shape], dtype=np.int32))
    quant = None
    if t.quant is not None:
        scale = b.CreateNumpyVector(np.asarray(t.quant.scale, dtype=np.float32).reshape(-1))
        zero_points = np.asarray(t.quant.zero_point, dtype=np.int64).reshape(-1)
        # All zero (symmetric weights, int32 biases): not stored; an absent zero_point means zeros.
        zero_point = b.CreateNumpyVector(zero_points) if zero_points.any() else None
        S.QuantizationParametersStart(b)
        S.QuantizationParametersAddScale(b, scale)
        if zero_point is not None:
            S.QuantizationParametersAddZeroPoint(b, zero_point)
        S.QuantizationParametersAddAxis(b, t.quant.axis)
        quant = S.QuantizationParametersEnd(b)
    S.TensorStart(b)
    S.TensorAddName(b, name)
    S.TensorAddShape(b, shape)
    S.TensorAddDtype(b, _schema_dtype(t.dtype))
    S.TensorAddBuffer(b, buffer_index)
    if quant is not None:
        S.TensorAddQuantization(b, quant)
    return S.TensorEnd(b)


def _build_operator(b, node, index_of):
    opdef = node.opdef
    if opdef.opcode is None:
        raise ValueError(f"node {node.name}: op {node.op!r} has no opcode; lower it before serializing")
    inputs = b.CreateNumpyVector(np.array([-1 if t is None else index_of[id(t)] for t in node.inputs], np.int32))
    outputs = b.CreateNumpyVector(np.array([index_of[id(t)] for t in node.outputs], np.int32))
    fields = opdef.options(node)
    options = _build_options(b, opdef.options_table, fields) if fields is not None else None
    name = b.CreateSharedString(node.name)
    activation = node.attrs.get("activation")
    S.OperatorStart(b)
    S.OperatorAddOpcode(b, getattr(S.OpCode, opdef.opcode))
    S.OperatorAddInputs(b, inputs)
    S.OperatorAddOutputs(b, outputs)
    if options is not None:
        S.OperatorAddOptionsType(b, getattr(S.OperatorOptions, opdef.options_table))
        S.OperatorAddOptions(b, options)
    S.OperatorAddActivation(b, getattr(S.Activation, (activation or "none").upper()))
    S.OperatorAddName(b, name)
    return S.OperatorEnd(b)


def _vector_of_tables(b, offsets):
    b.StartVector(4, len(offsets), 4)
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _build_flatbuffer(graph, tensors, constants, buffer_ranges, metadata):
    b = flatbuffers.Builder(1024)
    index_of = {id(t): i for i, t in enumerate(tensors)}
    buffer_of = {id(t): i for i, t in enumerate(constants)}

    tensor_offsets = [_build_tensor(b, t, buffer_of.get(id(t), -1)) for t in tensors]
    operator_offsets = [_build_operator(b, node, index_of) for node in graph.nodes]
    name = b.CreateString(graph.name)
    tensors_vec = _vector_of_tables(b, tensor_offsets)
    operators_vec = _vector_of_tables(b, operator_offsets)
    inputs_vec = b.CreateNumpyVector(np.array([index_of[id(t)] for t in graph.inputs], np.int32))
    outputs_vec = b.CreateNumpyVector(np.array([index_of[id(t)] for t in graph.outputs], np.int32))
    S.SubGraphStart(b)
    S.SubGraphAddName(b, name)
    S.SubGraphAddTensors(b, tensors_vec)
    S.SubGraphAddInputs(b, inputs_vec)
    S.SubGraphAddOutputs(b, outputs_vec)
    S.SubGraphAddOperators(b, operators_vec)
    subgraphs_vec = _vector_of_tables(b, [S.SubGraphEnd(b)])

    S.ModelStartBuffersVector(b, len(buffer_ranges))
    for offset, size in reversed(buffer_ranges):
        S.CreateBuffer(b, offset, size)
    buffers_vec = b.EndVector()

    entries = []
    for key, value in metadata.items():
        k, v = b.CreateString(key), b.CreateString(value)
        S.MetadataStart(b)
        S.MetadataAddKey(b, k)
        S.MetadataAddValue(b, v)
        entries.append(S.MetadataEnd(b))
    metadata_vec = _vector_of_tables(b, entries)

    producer = b.CreateString(f"edgenet {__version__}")
    S.ModelStart(b)
    S.ModelAddVersion(b, FORMAT_VERSION)
    S.ModelAddProducer(b, producer)
    S.ModelAddSubgraphs(b, subgraphs_vec)
    S.ModelAddBuffers(b, buffers_vec)
    S.ModelAddMetadata(b, metadata_vec)
    b.Finish(S.ModelEnd(b), file_identifier=FILE_IDENTIFIER)
    return b.Output()
