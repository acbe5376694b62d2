"""Front ends: what `edgenet.convert(source)` accepts besides an edgenet Graph.

    edgenet.convert("model.onnx", input_shapes={"x": (1, 3, 224, 224)})   # ONNX file
    edgenet.convert(onnx_model_proto)                                       # onnx.ModelProto
    edgenet.convert(torch_module, example_inputs=(x,))                      # torch.nn.Module

ONNX goes through converters/onnx_import; a torch module is exported to ONNX in memory with
torch's TorchScript-based exporter (no extra packages needed) and then imported the same way.
"""
import io
import os

from .onnx_import import import_onnx, is_onnx_model

# Opset the torch exporter writes: new enough for every op edgenet imports (LayerNormalization,
# Gelu needs 20 but torch's 17 export spells it with Erf).
TORCH_OPSET = 17


def is_torch_module(source):
    return any(c.__module__.startswith("torch.nn") and c.__name__ == "Module" for c in type(source).__mro__)


def import_model(source, input_shapes=None, example_inputs=None, input_layout=None):
    """(Graph, layout): `source` imported; layout is the one its rank >= 3 inputs/outputs use."""
    if is_torch_module(source):
        layout = input_layout or "NHWC"
        if input_shapes is not None:
            raise ValueError("input_shapes applies to ONNX models; a torch module takes example_inputs=")
        return import_onnx(torch_to_onnx(source, example_inputs), layout=layout), layout
    if example_inputs is not None:
        raise ValueError("example_inputs applies to torch modules only")
    if is_onnx_model(source) or isinstance(source, (str, os.PathLike)):
        layout = input_layout or "NCHW"
        return import_onnx(source, input_shapes=input_shapes, layout=layout), layout
    raise TypeError(f"cannot convert a {type(source).__name__}: expected an edgenet.Graph, an ONNX model "
                    "(path or onnx.ModelProto) or a torch.nn.Module")


def torch_to_onnx(module, example_inputs):
    """Export a torch module (eval mode) to an in-memory onnx.ModelProto. Inputs are named
    input0, input1, ... unless the module's forward names them; outputs output0, ..."""
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
            torch.onnx.export(module, example_inputs, buffer, dynamo=False, input_names=names,
                              opset_version=TORCH_OPSET, do_constant_folding=True)
    finally:
        module.train(was_training)
    return onnx.load_from_string(buffer.getvalue())
