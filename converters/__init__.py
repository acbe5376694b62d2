"""edgenet's desktop toolchain, importable as `edgenet.converters` (the folder is the top-level
converters/; docs/ARCHITECTURE.md, "Python packaging", says how the two meet).

Layers, top to bottom; a module imports only from layers below it (tests/test_import_layers.py):

    pipeline.py     convert(graph) -> EnetModel: import, optimize, quantize, serialize, in order
    accuracy.py     AccuracyTarget / compare / search: task metrics, accuracy-aware mixed precision
    report.py       quantization_report(graph, qmodel, samples): per-layer float-vs-int8 error
    qdq.py          the int8 model of a pre-quantized (QDQ) ONNX model, with its own parameters
    frontends.py    import_model(.onnx path / ModelProto / .tflite path or bytes / torch module) -> Graph
    tflite_import/  the TFLite importer: reader.py (FlatBuffer + checks), importer.py, registry.py,
                    handlers/<family>.py; int8 models recorded like QDQ ONNX models (onnx_import/qdq.py)
    onnx_import/    the ONNX importer: importer.py (driver), registry.py (op type -> handler),
                    handlers/<family>.py, qdq.py (QDQ parameters recorded at import)
    equalize.py     cross-layer equalization (convert(equalize=True))
    quantize/       quantize_graph(graph, ranges): the float -> int8 rewrite, split by job
                    (params, policy, tables, rewrite)
    calibration.py  collect_ranges / calibrate(graph, samples, method): activation ranges for int8
    progress.py     Progress / track: the progress of long phases (calibration, accuracy search, report)
    passes.py       graph rewrites: optimize, lower_to_file_ops, prepare
    serialize.py    to_bytes(graph, metadata): Graph -> .enet bytes (only writes bytes)
    model.py        EnetModel / load(path_or_bytes): a .enet file read back for inspection
"""
from edgenet._lazy import lazy_attributes

# Names import on first use (PEP 562), so `edgenet.load` (the .enet reader behind `edgenet inspect`)
# loads model.py only, not the conversion toolchain. Public name -> the module defining it:
_EXPORTS = {"AccuracyTarget": ".accuracy", "Comparison": ".accuracy", "compare": ".accuracy", "convert": ".pipeline",
            "quantization_report": ".report", "QuantizationReport": ".report", "load": ".model",
            "EnetModel": ".model", "TensorInfo": ".model", "OperatorInfo": ".model", "FORMAT_VERSION": ".serialize"}
# Submodules reachable as attributes without importing them first (`edgenet.converters.passes`), as
# when this file imported them all.
_SUBMODULES = ("accuracy", "calibration", "equalize", "frontends", "model", "onnx_import", "passes", "pipeline",
               "progress", "qdq", "quantize", "report", "serialize", "tflite_import")
__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, _SUBMODULES)
__all__ = list(_EXPORTS)
