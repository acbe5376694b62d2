"""edgenet's desktop toolchain, importable as `edgenet.converters`.

    serialize.py  convert(graph) -> EnetModel: Graph -> .enet bytes
    model.py      EnetModel / load(path_or_bytes): read a .enet file back for inspection
    passes.py     graph rewrites run by convert (optimization, lowering)
"""
from .model import EnetModel, OperatorInfo, TensorInfo, load
from .serialize import FORMAT_VERSION, convert

__all__ = ["convert", "load", "EnetModel", "TensorInfo", "OperatorInfo", "FORMAT_VERSION"]
