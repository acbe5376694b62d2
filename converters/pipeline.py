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
            constant_inputs=None, calibration_bins=calibration_lib.DEFAULT_BINS, bias_correction=False, equalize=False,
            int8_outputs=False, float_layers=(), accuracy=None, progress=None):
    """Convert a Graph into an EnetModel (float32, or int8 with quantize="int8").

    `graph` may also be an ONNX model (a .onnx path or an onnx.ModelProto) or a torch.nn.Module;
    it is imported first (converters/frontends.py):
    input_shapes: ONNX / TFLite, {input name: shape} pinning symbolic dims.
    constant_inputs: ONNX / TFLite, {input name: value} freezing inputs to fixed values (a number or an
        array of the input's dtype and shape): they are no longer inputs, and what is computed from
        them folds at conversion (e.g. {"sr": 16000}: an If on the sample rate keeps one branch).
    example_inputs: torch only, a tuple of example tensors fixing the input shapes.
    input_layout: "NCHW" keeps rank >= 3 inputs/outputs in the source's channels-first layout
        (the default for ONNX: drop-in for onnxruntime feeds); "NHWC" makes them channels-last
        (the default for torch modules). The file's metadata "edgenet.layout" records it.

    optimize: run converters.passes.optimize (fold constants and batch norm, fuse activations and
        padding, drop identity and dead ops). The op counts before and after are stored in the
        metadata as "edgenet.ops_before_optimization" / "edgenet.ops_after_optimization".
    metadata: {key: value} strings stored in the file (labels, normalization, author, ...).
    quantize: None (float32), "int8": post-training quantization (converters/quantize/), or "dynamic":
        dynamic range quantization, no calibration: int8 weights for fully connected layers (and
        LSTM / GRU), float activations that the kernels quantize at each run (docs/QUANTIZATION.md).
        An ONNX model in QDQ form (QuantizeLinear/DequantizeLinear pairs, e.g. from
        onnxruntime.quantization.quantize_static) converts to int8 with its own scales and zero
        points when quantize is None; quantize="int8" recalibrates it instead.
    calibration: for int8, representative inputs: a list/iterable of feed dicts
        ({input name: float32 array}) or a callable returning one (converters/calibration.py).
        A model with state variables (Graph.state) runs them in order as one stream, carrying its
        state from sample to sample, so the states' ranges are those a stream reaches. States
        stay float32 in the int8 model (quantized after each read, dequantized before each
        assign, on one shared grid: converters/quantize/policy.py, share_state_ranges).
    calibration_method: "minmax" (default), "moving_average", "percentile", or a scale search that
        minimizes quantization error: "mse" or "kl" (KL divergence; "entropy" is accepted as an alias),
        over a histogram of calibration_bins bins per sign (converters/calibration.py).
    bias_correction: for int8, fold the mean error of each layer's int8 weights into its bias.
    equalize: for int8, cross-layer equalization first (converters/equalize.py): rescale the
        channels of conv -> (relu) -> conv pairs so per-channel weight ranges match; helps
        depthwise-separable networks. The float function is unchanged.
    int8_outputs: for int8, also compute the nodes between the last conv/FC layer and the model
        outputs in int8 (default: they run in float, since outputs feed post-processing).
    float_layers: for int8, layers to keep in float, each named by its node name or by its output
        tensor's name (for an imported model both are the source model's names; the quantization
        report, `edgenet inspect` and the profile show them).
    accuracy: for int8, an edgenet.AccuracyTarget: keep the fewest layers in float until the
        target's metric is met on its held-out samples (converters/accuracy.py); the model's
        `.accuracy_report` says which layers were kept and what they cost.
    io_dtype: for int8, "float32" (default: the model quantizes its inputs and dequantizes its
        outputs) or "int8" (inputs/outputs stay int8; their scale/zero point are in the file).
    verbose: show the progress of the long phases (calibration, the accuracy search) on stderr: a bar
        on a terminal, a plain line every few seconds otherwise (converters/progress.py).
    progress: a callable(phase, done, total) called at every step of those phases, e.g. to drive an
        app's own progress display. Phases: "calibrating" (per sample; total None for an iterable
        without a length), "accuracy search: layer sensitivity" (per held-out sample), "accuracy
        search: builds" (per candidate model; total is the budget, max_builds, the search may stop
        sooner); quantization_report(progress=...) reports "report" (per sample).

    The returned model carries the graph it was serialized from as `model.graph`, and for
    int8 a `model.quantization` summary (which ops stayed float and why).
    """
    if not isinstance(graph, Graph):  # ONNX or torch: import into a Graph first
        graph, layout = import_model(graph, input_shapes=input_shapes, example_inputs=example_inputs,
                                     input_layout=input_layout, constant_inputs=constant_inputs)
        metadata = dict(metadata or {}, **{"edgenet.layout": layout})
    elif any(option is not None for option in (input_shapes, example_inputs, input_layout, constant_inputs)):
        raise ValueError("input_shapes=, example_inputs=, input_layout= and constant_inputs= apply to ONNX / TFLite / "
                         "torch sources")
    if quantize not in (None, "int8", "dynamic"):
        raise ValueError(f"quantize must be None, 'int8' or 'dynamic', got {quantize!r}")
    if quantize != "int8" and (calibration is not None or io_dtype != "float32" or accuracy is not None or
                             bias_correction or equalize or int8_outputs or float_layers):
        raise ValueError("calibration=, io_dtype=, accuracy=, bias_correction=, equalize=, int8_outputs= and "
                         "float_layers= apply to quantize='int8' only")
    calibration_method = calibration_lib.METHOD_ALIASES.get(calibration_method, calibration_method)
    if quantize == "int8" and calibration_method not in calibration_lib.METHODS:
        raise ValueError(f"calibration_method must be one of {calibration_lib.METHODS} (or 'entropy', an alias "
                         f"of 'kl'), got {calibration_method!r}")
    if quantize == "int8" and io_dtype not in quantize_lib.IO_DTYPES:
        raise ValueError(f"io_dtype must be one of {quantize_lib.IO_DTYPES}, got {io_dtype!r}")
    # An ONNX model in QDQ form carries its own int8 parameters (converters/onnx_import/qdq.py).
    qdq = getattr(graph, "qdq", None) if quantize is None else None
    ops_before = passes.count_file_ops(graph)
    source, graph = graph, passes.prepare(graph, optimize)
    metadata = {str(k): str(v) for k, v in (metadata or {}).items()}
    metadata["edgenet.ops_before_optimization"] = str(ops_before)
    metadata["edgenet.ops_after_optimization"] = str(len(graph.nodes))
    if qdq:
        return qdq_lib.quantize_and_serialize(graph, qdq, metadata)
    if quantize == "dynamic":  # int8 weights, activations quantized by the kernels at each run
        summary = quantize_lib.dynamic_quantize_graph(graph)
        metadata["edgenet.quantization"] = "dynamic"
        model = EnetModel(serialize.to_bytes(graph, metadata))
        model.graph, model.quantization = graph, summary
        return model
    if quantize != "int8":
        model = EnetModel(serialize.to_bytes(graph, metadata))
        model.graph, model.quantization = graph, None
        return model
    float_layers = quantize_lib.layer_nodes(graph, float_layers, source)  # names the passes merged, too
    if equalize:
        equalize_lib.equalize(graph)
    stats = calibration_lib.calibrate(graph, calibration, calibration_method, verbose, calibration_bins,
                                      channel_means=bias_correction, progress=progress)
    options = dict(io_dtype=io_dtype, int8_outputs=int8_outputs, calibration_method=calibration_method,
                   float_nodes=tuple(float_layers), optimized=bool(optimize))
    if accuracy is not None:
        return accuracy_lib.search(graph, stats, options, accuracy, metadata, verbose,
                                   build_int8=quantize_and_serialize, progress=progress)
    return quantize_and_serialize(graph, stats, options, metadata)


def quantize_and_serialize(float_graph, stats, options, metadata):
    """The int8 EnetModel of `float_graph` (prepared; left unchanged) with `stats` (a calibration.Calibration).
    options: io_dtype, int8_outputs, calibration_method, float_nodes (quantize_graph's arguments), optimized."""
    graph = float_graph.copy()
    summary = quantize_lib.quantize_graph(graph, stats.ranges, options["io_dtype"], options["calibration_method"],
                                          stats.count, options["int8_outputs"], options["float_nodes"],
                                          stats.channel_means)
    passes.hoist_loop_invariants(graph)  # e.g. the quantize of a sequence a loop body indexes: once, not per step
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
