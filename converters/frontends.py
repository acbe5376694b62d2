"""Front ends: what `edgenet.convert(source)` accepts besides an edgenet Graph.

    edgenet.convert("model.onnx", input_shapes={"x": (1, 3, 224, 224)})   # ONNX file
    edgenet.convert("vad.onnx", constant_inputs={"sr": 16000})             # an input frozen to a value
    edgenet.convert(onnx_model_proto)                                       # onnx.ModelProto
    edgenet.convert(torch_module, example_inputs=(x,))                      # torch.nn.Module
    edgenet.convert("model.tflite")                                         # TFLite / LiteRT file or bytes

A .tflite model is recognised by its bytes (the "TFL3" file identifier), not only its extension,
and goes through converters/tflite_import. ONNX goes through converters/onnx_import; a torch module is exported to ONNX in memory with
torch's TorchScript-based exporter (no extra packages needed) and then imported the same way.
"""
import io
import os

# The importers are imported by import_model, for the format at hand only: converting an edgenet
# Graph needs neither, and the TFLite one alone takes ~0.15 s to import (its generated schema).

TFLITE_IDENTIFIER = b"TFL3"  # bytes 4..8 of a .tflite FlatBuffer (tflite_import/reader.py checks it again)

# Opset the torch exporter writes: new enough for every op edgenet imports (LayerNormalization,
# Gelu needs 20 but torch's 17 export spells it with Erf).
TORCH_OPSET = 17


def is_torch_module(source):
    return any(c.__module__.startswith("torch.nn") and c.__name__ == "Module" for c in type(source).__mro__)


def is_tflite_model(source):
    """Whether `convert` should treat `source` as a .tflite model: bytes or a file starting with the
    TFLite identifier, or a path ending in .tflite (so a bad .tflite file gets the TFLite error)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source[4:8]) == TFLITE_IDENTIFIER
    if isinstance(source, (str, os.PathLike)):
        if os.fspath(source).lower().endswith(".tflite"):
            return True
        try:
            with open(os.fspath(source), "rb") as f:
                return f.read(8)[4:8] == TFLITE_IDENTIFIER
        except OSError:
            return False
    return False


def import_model(source, input_shapes=None, example_inputs=None, input_layout=None, constant_inputs=None):
    """(Graph, layout): `source` imported; layout is the one its rank >= 3 inputs/outputs use."""
    if is_torch_module(source):
        from .onnx_import import import_onnx

        layout = input_layout or "NHWC"
        if input_shapes is not None:
            raise ValueError("input_shapes applies to ONNX models; a torch module takes example_inputs=")
        if constant_inputs is not None:
            raise ValueError("constant_inputs applies to ONNX and TFLite models; for a torch module, wrap it in one "
                             "whose forward passes the fixed value")
        return import_onnx(torch_to_onnx(source, example_inputs), layout=layout), layout
    if example_inputs is not None:
        raise ValueError("example_inputs applies to torch modules only")
    if is_tflite_model(source):
        from .tflite_import import import_tflite

        if input_layout not in (None, "NHWC"):
            raise ValueError("a .tflite model is channels-last (NHWC): input_layout='NCHW' does not apply")
        return import_tflite(source, input_shapes=input_shapes, constant_inputs=constant_inputs), "NHWC"
    from .onnx_import import import_onnx, is_onnx_model  # onnx itself loads when a model is read

    if is_onnx_model(source) or isinstance(source, (str, os.PathLike)):
        layout = input_layout or "NCHW"
        return import_onnx(source, input_shapes=input_shapes, layout=layout, constant_inputs=constant_inputs), layout
    raise TypeError(f"cannot convert a {type(source).__name__}: expected an edgenet.Graph, an ONNX model "
                    "(path or onnx.ModelProto), a .tflite model (path or bytes) or a torch.nn.Module")


def torch_to_onnx(module, example_inputs):
    """Export a torch module (eval mode) to an in-memory onnx.ModelProto. Inputs take the names of
    forward's parameters (input0, input1, ... when it has none to match); outputs see
    _torch_output_names."""
    try:
        import onnx
        import torch
    except ImportError:
        raise ImportError("converting torch modules needs torch and onnx: pip install edgenet[torch]") from None
    if example_inputs is None:
        raise ValueError("converting a torch module needs example_inputs=(tensor, ...) to fix its input shapes")
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    example_inputs = tuple(example_inputs)
    import inspect

    params = [p for p in inspect.signature(module.forward).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = [p.name for p in params[:len(example_inputs)]]
    if len(names) != len(example_inputs):
        names = [f"input{i}" for i in range(len(example_inputs))]
    was_training = module.training
    module.eval()
    buffer = io.BytesIO()
    try:
        with torch.no_grad():
            output_names = _torch_output_names(module(*example_inputs))
            torch.onnx.export(module, example_inputs, buffer, dynamo=False, input_names=names,
                              output_names=output_names, opset_version=TORCH_OPSET, do_constant_folding=True)
    finally:
        module.train(was_training)
    return onnx.load_from_string(buffer.getvalue())


def _torch_output_names(result):
    """Names for the ONNX outputs of a forward that returned `result`: a dict's keys, a named tuple's
    fields, else "output" for one tensor and output0, output1, ... for several (the exporter's own
    names are node numbers such as '191'). Nested containers are flattened like the exporter does."""
    import torch

    if isinstance(result, torch.Tensor):
        return ["output"]
    if isinstance(result, dict):
        keyed = [(str(k), v) for k, v in result.items()]
    elif isinstance(result, tuple) and hasattr(result, "_fields"):
        keyed = list(zip(result._fields, result))
    elif isinstance(result, (list, tuple)):
        keyed = [(f"output{i}", v) for i, v in enumerate(result)]
    else:
        return None  # let the exporter decide
    names = []
    for key, value in keyed:
        inner = _torch_output_names(value)
        if inner is None:
            return None
        names += [key] if inner == ["output"] else [f"{key}.{name}" for name in inner]
    return names
