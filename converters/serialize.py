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
from edgenet.graph import Graph

# Model.version; bump on a breaking schema change. 2: the checksum trailer; all-zero zero points omitted.
FORMAT_VERSION = 2
FILE_IDENTIFIER = b"ENET"
DATA_ALIGNMENT = 64


def _align(n, alignment=DATA_ALIGNMENT):
    return (n + alignment - 1) // alignment * alignment


def subgraphs(graph, order=None):
    """The graph, then every control-flow body under it (depth first, each once): their order in the file."""
    order = [] if order is None else order
    order.append(graph)
    for node in graph.nodes:
        for body in (node.attrs[attr] for attr in node.opdef.body_attrs):
            # (a loader test may write a bare index, or a body that runs an enclosing graph)
            if isinstance(body, Graph) and all(body is not seen for seen in order):
                subgraphs(body, order)
    return order


def to_bytes(graph, metadata):
    """Serialize a graph whose ops all have opcodes (run passes.lower_to_file_ops first)."""
    _check_names(graph, metadata)
    constants, seen = [], set()  # one buffer per constant, also when several subgraphs read it
    for g in subgraphs(graph):
        for t in g.tensors:
            if t.is_constant and id(t) not in seen:
                seen.add(id(t))
                constants.append(t)
    blobs = [np.ascontiguousarray(t.data, dtype=np.dtype(t.dtype).newbyteorder("<")).tobytes() for t in constants]

    placeholder = [(0, len(blob)) for blob in blobs]
    size = len(_build_flatbuffer(graph, constants, placeholder, metadata))
    ranges, offset = [], _align(size)
    for blob in blobs:
        ranges.append((offset, len(blob)))
        offset = _align(offset + len(blob))
    flat = _build_flatbuffer(graph, constants, ranges, metadata)
    assert len(flat) == size, "FlatBuffer size changed between passes"

    out = bytearray(flat)
    for (offset, _), blob in zip(ranges, blobs):
        out += bytes(offset - len(out))  # zero padding up to the aligned offset
        out += blob
    return integrity.append_checksum(out)


def _check_names(graph, metadata):
    """The file's strings are read as C strings: a NUL inside a name (possible in an imported model)
    would cut it short, so it is refused here, naming it, rather than by the loader later."""
    for g in subgraphs(graph):
        named = [("graph", g.name)] + [("tensor", t.name) for t in g.tensors] + [("node", n.name) for n in g.nodes]
        for kind, name in named:
            if "\0" in name:
                raise ValueError(f"{kind} name {name!r} contains a NUL byte, which the model file cannot store; "
                                 "rename it")
    for key, value in metadata.items():
        if "\0" in key or "\0" in value:
            raise ValueError(f"metadata entry {key!r} contains a NUL byte, which the model file cannot store")


def _schema_dtype(dtype):
    """numpy dtype name ("float32") -> schema DataType value."""
    value = getattr(S.DataType, dtype.upper(), None)
    if value is None:
        raise ValueError(f"dtype {dtype} has no schema DataType")
    return value


def _camel(snake):
    return "".join(part.capitalize() for part in snake.split("_"))


def _build_options(b, table, fields, subgraph_index):
    """Build schema table `table` (e.g. "Conv2DOptions") from {snake_case_field: value}.
    Lists become int32 vectors, bytes [ubyte] vectors, a str a string, a Graph (a control-flow body)
    its subgraph index; everything else is a scalar field."""
    fields = {k: subgraph_index[id(v)] if isinstance(v, Graph) else v for k, v in fields.items()}
    vectors = {k: b.CreateNumpyVector(np.asarray(v, dtype=np.int32)) for k, v in fields.items() if isinstance(v, list)}
    vectors.update({k: b.CreateByteVector(bytes(v)) for k, v in fields.items() if isinstance(v, (bytes, bytearray))})
    vectors.update({k: b.CreateString(v) for k, v in fields.items() if isinstance(v, str)})
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


def _build_operator(b, node, index_of, subgraph_index):
    opdef = node.opdef
    if opdef.opcode is None:
        raise ValueError(f"node {node.name}: op {node.op!r} has no opcode; lower it before serializing")
    inputs = b.CreateNumpyVector(np.array([-1 if t is None else index_of[id(t)] for t in node.inputs], np.int32))
    outputs = b.CreateNumpyVector(np.array([index_of[id(t)] for t in node.outputs], np.int32))
    fields = opdef.options(node)
    options = _build_options(b, opdef.options_table, fields, subgraph_index) if fields is not None else None
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
    if node.attrs.get("requantization") == "float32":  # int8 conv / depthwise / FC / mul from .tflite
        S.OperatorAddRequantization(b, S.Requantization.FLOAT32)
    hybrid = node.attrs.get("hybrid_quantization", "onnx_tensor")  # hybrid conv / depthwise / FC (ops/conv.py)
    if hybrid != "onnx_tensor":
        S.OperatorAddHybridQuantization(b, getattr(S.HybridQuantization, hybrid.upper()))
    S.OperatorAddName(b, name)
    return S.OperatorEnd(b)


def _build_states(b, graph, index_of):
    """SubGraph.states: per state, its tensor, its initial value (a constant) and its assigned value."""
    offsets = []
    for s in graph.states:
        S.StateVariableStart(b)
        S.StateVariableAddTensor(b, index_of[id(s.tensor)])
        S.StateVariableAddInitialValue(b, index_of[id(s.initial)])
        S.StateVariableAddAssigned(b, -1 if s.assigned is None else index_of[id(s.assigned)])
        offsets.append(S.StateVariableEnd(b))
    return _vector_of_tables(b, offsets)


def _vector_of_tables(b, offsets):
    b.StartVector(4, len(offsets), 4)
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _build_subgraph(b, graph, buffer_of, subgraph_index):
    tensors = graph.tensors
    index_of = {id(t): i for i, t in enumerate(tensors)}
    tensor_offsets = [_build_tensor(b, t, buffer_of.get(id(t), -1)) for t in tensors]
    operator_offsets = [_build_operator(b, node, index_of, subgraph_index) for node in graph.nodes]
    name = b.CreateString(graph.name)
    tensors_vec = _vector_of_tables(b, tensor_offsets)
    operators_vec = _vector_of_tables(b, operator_offsets)
    inputs_vec = b.CreateNumpyVector(np.array([index_of[id(t)] for t in graph.inputs], np.int32))
    outputs_vec = b.CreateNumpyVector(np.array([index_of[id(t)] for t in graph.outputs], np.int32))
    states_vec = _build_states(b, graph, index_of) if graph.states else None
    S.SubGraphStart(b)
    S.SubGraphAddName(b, name)
    S.SubGraphAddTensors(b, tensors_vec)
    S.SubGraphAddInputs(b, inputs_vec)
    S.SubGraphAddOutputs(b, outputs_vec)
    S.SubGraphAddOperators(b, operators_vec)
    if states_vec is not None:
        S.SubGraphAddStates(b, states_vec)
    return S.SubGraphEnd(b)


def _build_flatbuffer(graph, constants, buffer_ranges, metadata):
    b = flatbuffers.Builder(1024)
    buffer_of = {id(t): i for i, t in enumerate(constants)}
    order = subgraphs(graph)
    subgraph_index = {id(g): i for i, g in enumerate(order)}
    subgraphs_vec = _vector_of_tables(b, [_build_subgraph(b, g, buffer_of, subgraph_index) for g in order])

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
