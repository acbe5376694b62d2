"""Graph -> .enet bytes (schema/edgenet.fbs).

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
from edgenet.graph import Graph

from . import calibration as calibration_lib
from . import passes
from . import quantize as quantize_lib
from .model import EnetModel

# Model.version; bump on a breaking schema change. 2: the checksum trailer; all-zero zero points omitted.
FORMAT_VERSION = 2
FILE_IDENTIFIER = b"ENET"
DATA_ALIGNMENT = 64


def convert(graph, optimize=True, metadata=None, quantize=None, calibration=None, calibration_method="minmax",
            io_dtype="float32", verbose=True, input_shapes=None, example_inputs=None, input_layout=None,
            calibration_bins=calibration_lib.DEFAULT_BINS, bias_correction=False, equalize=False, int8_outputs=False,
            float_layers=(), accuracy=None):
    """Convert a Graph into an EnetModel (float32, or int8 with quantize="int8").

    `graph` may also be an ONNX model (a .onnx path or an onnx.ModelProto) or a torch.nn.Module;
    it is imported first (converters/frontends.py):
    input_shapes: ONNX only, {input name: shape} pinning symbolic dims.
    example_inputs: torch only, a tuple of example tensors fixing the input shapes.
    input_layout: "NCHW" keeps rank >= 3 inputs/outputs in the source's channels-first layout
        (the default for ONNX: drop-in for onnxruntime feeds); "NHWC" makes them channels-last
        (the default for torch modules). The file's metadata "edgenet.layout" records it.

    optimize: run converters.passes.optimize (fold constants and batch norm, fuse activations and
        padding, drop identity and dead ops). The op counts before and after are stored in the
        metadata as "edgenet.ops_before_optimization" / "edgenet.ops_after_optimization".
    metadata: {key: value} strings stored in the file (labels, normalization, author, ...).
    quantize: None (float32) or "int8": post-training quantization (converters/quantize.py).
        An ONNX model in QDQ form (QuantizeLinear/DequantizeLinear pairs, e.g. from
        onnxruntime.quantization.quantize_static) converts to int8 with its own scales and zero
        points when quantize is None; quantize="int8" recalibrates it instead.
    calibration: for int8, representative inputs: a list/iterable of feed dicts
        ({input name: float32 array}) or a callable returning one (converters/calibration.py).
    calibration_method: "minmax" (default), "moving_average", "percentile", or a scale search that
        minimizes quantization error: "mse" or "kl" (KL divergence, "entropy"), over a histogram of
        calibration_bins bins per sign (converters/calibration.py).
    bias_correction: for int8, fold the mean error of each layer's int8 weights into its bias.
    equalize: for int8, cross-layer equalization first (converters/equalize.py): rescale the
        channels of conv -> (relu) -> conv pairs so per-channel weight ranges match; helps
        depthwise-separable networks. The float function is unchanged.
    int8_outputs: for int8, also compute the nodes between the last conv/FC layer and the model
        outputs in int8 (default: they run in float, since outputs feed post-processing).
    float_layers: for int8, names of nodes (in the optimized graph) to keep in float.
    accuracy: for int8, an edgenet.AccuracyTarget: keep the fewest layers in float until the
        target's metric is met on its held-out samples (converters/accuracy.py); the model's
        `.accuracy_report` says which layers were kept and what they cost.
    io_dtype: for int8, "float32" (default: the model quantizes its inputs and dequantizes its
        outputs) or "int8" (inputs/outputs stay int8; their scale/zero point are in the file).
    verbose: draw a progress bar on stderr while calibrating (only when stderr is a terminal).

    The returned model carries the graph it was serialized from as `model.graph`, and for
    int8 a `model.quantization` summary (which ops stayed float and why).
    """
    if not isinstance(graph, Graph):  # ONNX or torch: import into a Graph first
        from .frontends import import_model

        graph, layout = import_model(graph, input_shapes=input_shapes, example_inputs=example_inputs,
                                     input_layout=input_layout)
        metadata = dict(metadata or {}, **{"edgenet.layout": layout})
    elif input_shapes is not None or example_inputs is not None or input_layout is not None:
        raise ValueError("input_shapes=, example_inputs= and input_layout= apply to ONNX / torch sources")
    if quantize not in (None, "int8"):
        raise ValueError(f"quantize must be None or 'int8', got {quantize!r}")
    if quantize is None and (calibration is not None or io_dtype != "float32" or accuracy is not None or
                             bias_correction or equalize or int8_outputs or float_layers):
        raise ValueError("calibration=, io_dtype=, accuracy=, bias_correction=, equalize=, int8_outputs= and "
                         "float_layers= apply to quantize='int8' only")
    if quantize is not None and calibration_method not in calibration_lib.METHODS:
        raise ValueError(f"calibration_method must be one of {calibration_lib.METHODS}, got {calibration_method!r}")
    if quantize is not None and io_dtype not in quantize_lib.IO_DTYPES:
        raise ValueError(f"io_dtype must be one of {quantize_lib.IO_DTYPES}, got {io_dtype!r}")
    # An ONNX model in QDQ form carries its own int8 parameters (converters/onnx_import/qdq.py).
    qdq = getattr(graph, "qdq", None) if quantize is None else None
    ops_before = passes.count_file_ops(graph)
    graph = prepare(graph, optimize)
    metadata = {str(k): str(v) for k, v in (metadata or {}).items()}
    metadata["edgenet.ops_before_optimization"] = str(ops_before)
    metadata["edgenet.ops_after_optimization"] = str(len(graph.nodes))
    if qdq:
        from .onnx_import.qdq import quantize_and_serialize as quantize_qdq_and_serialize

        return quantize_qdq_and_serialize(graph, qdq, metadata)
    if quantize != "int8":
        model = EnetModel(to_bytes(graph, metadata))
        model.graph, model.quantization = graph, None
        return model
    from . import accuracy as accuracy_lib  # late import: it calls back into convert's helpers

    if equalize:
        from .equalize import equalize as equalize_pass

        equalize_pass(graph)
    stats = calibration_lib.calibrate(graph, calibration, calibration_method, verbose, calibration_bins,
                                      channel_means=bias_correction)
    options = dict(io_dtype=io_dtype, int8_outputs=int8_outputs, calibration_method=calibration_method,
                   float_nodes=tuple(float_layers), optimized=bool(optimize))
    if accuracy is not None:
        return accuracy_lib.search(graph, stats, options, accuracy, metadata, verbose)
    return quantize_and_serialize(graph, stats, options, metadata)


def quantize_and_serialize(float_graph, stats, options, metadata):
    """The int8 EnetModel of `float_graph` (prepared; left unchanged) with `stats` (a calibration.Calibration).
    options: io_dtype, int8_outputs, calibration_method, float_nodes (quantize_graph's arguments), optimized."""
    graph = float_graph.copy()
    summary = quantize_lib.quantize_graph(graph, stats.ranges, options["io_dtype"], options["calibration_method"],
                                          stats.count, options["int8_outputs"], options["float_nodes"],
                                          stats.channel_means)
    summary.optimized = options["optimized"]
    metadata = dict(metadata)
    metadata["edgenet.quantization"] = "int8"
    metadata["edgenet.calibration_method"] = options["calibration_method"]
    if summary.float_ops:
        metadata["edgenet.float_fallback_ops"] = ",".join(name for name, _, _ in summary.float_ops)
    model = EnetModel(to_bytes(graph, metadata))
    # float_graph: the float twin quantization_report compares against (same names, same weights)
    model.graph, model.quantization, model.float_graph = graph, summary, float_graph
    return model


def prepare(graph, optimize=True):
    """The float graph `convert` serializes or quantizes: a copy of `graph`, optimized (unless
    optimize=False) and lowered to file ops. quantization_report rebuilds it the same way, so its
    tensors match the quantized model's by name."""
    if not graph.outputs:
        raise ValueError(f"graph {graph.name!r} has no outputs; mark them with g.output(tensor, name)")
    graph = graph.copy()
    if optimize:
        passes.optimize(graph)
    passes.lower_to_file_ops(graph)
    return graph


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

    from edgenet import __version__  # late import: edgenet/__init__ imports this package

    producer = b.CreateString(f"edgenet {__version__}")
    S.ModelStart(b)
    S.ModelAddVersion(b, FORMAT_VERSION)
    S.ModelAddProducer(b, producer)
    S.ModelAddSubgraphs(b, subgraphs_vec)
    S.ModelAddBuffers(b, buffers_vec)
    S.ModelAddMetadata(b, metadata_vec)
    b.Finish(S.ModelEnd(b), file_identifier=FILE_IDENTIFIER)
    return b.Output()
