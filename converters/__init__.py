"""edgenet's desktop toolchain, importable as `edgenet.converters`.

    serialize.py  convert(graph) -> EnetModel: Graph -> .enet bytes
    model.py      EnetModel / load(path_or_bytes): read a .enet file back for inspection
    passes.py     graph rewrites run by convert (optimization, lowering)
    calibration.py  collect_ranges(graph, samples, method): activation ranges for int8
    quantize.py   quantize_graph(graph, ranges): the float -> int8 rewrite (convert(quantize="int8"))
    report.py     quantization_report(graph, qmodel, samples): per-layer float-vs-int8 error
    accuracy.py   AccuracyTarget / compare: task metrics, accuracy-aware mixed precision
"""
from .accuracy import AccuracyTarget, Comparison, compare
from .model import EnetModel, OperatorInfo, TensorInfo, load
from .report import QuantizationReport, quantization_report
from .serialize import FORMAT_VERSION, convert

__all__ = ["AccuracyTarget", "Comparison", "compare", "convert", "quantization_report", "QuantizationReport", "load", "EnetModel", "TensorInfo", "OperatorInfo", "FORMAT_VERSION"]
