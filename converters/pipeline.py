"""The conversion pipeline: `convert(graph)` -> EnetModel, the one module that knows the order of
the steps. Everything it calls is a leaf below it and never calls back:

    frontends (ONNX / torch import) -> passes.prepare (optimize, lower to file ops)
      -> float:  serialize.to_bytes
      -> int8:   [equalize] -> calibration -> quantize -> serialize.to_bytes
                 (accuracy= : accuracy.search builds candidates with quantize_and_serialize)
      -> QDQ ONNX: qdq.quantize_and_serialize (the model's own int8 parameters)
"""
from edgenet.graph import Graph

from . import accuracy as accuracy_lib
from . import calibration as calibration_lib
from . import equalize as equalize_lib
from . import passes, serialize
from . import qdq as qdq_lib
from . import quantize as quantize_lib
from .frontends import import_model
from .model import EnetModel


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
    quantize: None (float32) or "int8": post-training quantization (converters/quantize/).
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
    graph = passes.prepare(graph, optimize)
    metadata = {str(k): str(v) for k, v in (metadata or {}).items()}
    metadata["edgenet.ops_before_optimization"] = str(ops_before)
    metadata["edgenet.ops_after_optimization"] = str(len(graph.nodes))
    if qdq:
        return qdq_lib.quantize_and_serialize(graph, qdq, metadata)
    if quantize != "int8":
        model = EnetModel(serialize.to_bytes(graph, metadata))
        model.graph, model.quantization = graph, None
        return model
    if equalize:
        equalize_lib.equalize(graph)
    stats = calibration_lib.calibrate(graph, calibration, calibration_method, verbose, calibration_bins,
                                      channel_means=bias_correction)
    options = dict(io_dtype=io_dtype, int8_outputs=int8_outputs, calibration_method=calibration_method,
                   float_nodes=tuple(float_layers), optimized=bool(optimize))
    if accuracy is not None:
        return accuracy_lib.search(graph, stats, options, accuracy, metadata, verbose,
                                   build_int8=quantize_and_serialize)
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
    model = EnetModel(serialize.to_bytes(graph, metadata))
    # float_graph: the float twin quantization_report compares against (same names, same weights)
    model.graph, model.quantization, model.float_graph = graph, summary, float_graph
    return model
