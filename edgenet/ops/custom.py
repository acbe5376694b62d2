"""Custom ops: ops the user supplies, like TFLite's custom ops or ONNX Runtime's custom op libraries.

    edgenet.register_custom_op("swish_beta", infer=lambda inputs, options: [(inputs[0].shape, "float32")],
                               reference=lambda inputs, options: [...numpy...])
    y = g.custom("swish_beta", [x], options=struct.pack("<f", 1.5))

The converter needs two things per op name, given with `register_custom_op`: a shape rule
(`infer(inputs, options) -> [(shape, dtype), ...]`, inputs having `.shape` (None for an open dim)
and `.dtype`) and a numpy reference (`reference(arrays, options) -> [array, ...]`), which
edgenet.reference.run, calibration and constant folding use. In the file the node is OpCode
CUSTOM with CustomOptions (its name and `options`, an opaque bytes blob); a C app runs it with a
kernel it registers under the same name (enet_options.custom_ops in native/include/edgenet.h),
Python with `Interpreter(..., custom_ops=[name])` (the registered reference as the kernel).

int8: a custom op stays float32, with dequantize / quantize around it (quantizable = False).
C: native/src/ops/custom.c.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .base import OpDef, fmt_shape
from .registry import register

MAX_NAME_BYTES = 128  # the loader's bound (CustomOptions.name)
MAX_OPTIONS_BYTES = 16 << 20  # the loader's bound (CustomOptions.data)
DTYPES = ("float32", "int8", "int32", "uint8", "int16", "int64", "bool")  # schema DataType


@dataclass(frozen=True)
class CustomOp:
    """A registered custom op: its name, shape rule and numpy reference (see the module docstring)."""
    name: str
    infer: Callable
    reference: Callable


CUSTOM_OPS = {}  # name -> CustomOp


def check_name(name):
    """The loader's rule for a custom op's name: 1..128 bytes of UTF-8, no control characters."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a custom op's name must be a non-empty str, got {name!r}")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES or any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise ValueError(f"custom op name {name!r}: at most {MAX_NAME_BYTES} bytes of UTF-8, no control characters")
    return name


def register_custom_op(name, infer, reference, replace=False):
    """Makes custom op `name` usable by the converter: `infer(inputs, options)` gives each output's
    (shape, dtype) (inputs have .shape and .dtype; options is the node's bytes blob) and raises
    ValueError on inputs it does not take; `reference(arrays, options)` computes the outputs with
    numpy (a list of arrays, or one array). Returns the CustomOp. Registering a name again raises
    unless replace=True."""
    check_name(name)
    if not callable(infer) or not callable(reference):
        raise TypeError("infer and reference must be callables")
    if name in CUSTOM_OPS and not replace:
        raise ValueError(f"custom op {name!r} is already registered (replace=True to replace it)")
    CUSTOM_OPS[name] = CustomOp(name, infer, reference)
    return CUSTOM_OPS[name]


def unregister_custom_op(name):
    """Forgets custom op `name` (no error when it is not registered)."""
    CUSTOM_OPS.pop(name, None)


def lookup(name):
    """The CustomOp registered as `name`, or a ValueError naming it."""
    op = CUSTOM_OPS.get(name)
    if op is None:
        raise ValueError(f"custom op {name!r} is not registered: give its shape rule and numpy reference with "
                         f"edgenet.register_custom_op({name!r}, infer=..., reference=...)")
    return op


def checked_outputs(name, specs):
    """infer's result as [(shape tuple, dtype str)], checked."""
    out = []
    for i, spec in enumerate(specs):
        shape, dtype = spec
        shape = tuple(None if d is None else int(d) for d in shape)
        dtype = np.dtype(dtype).name
        if dtype not in DTYPES or any(d is not None and d < 0 for d in shape):
            raise ValueError(f"custom op {name!r}: infer gave output {i} {dtype} {fmt_shape(shape)}")
        out.append((shape, dtype))
    if not out:
        raise ValueError(f"custom op {name!r}: infer gave no outputs (a custom op has one or more)")
    return out


def run_reference(op, arrays, options, expected=None):
    """CustomOp `op`'s reference on `arrays`, its results checked against `expected` [(shape, dtype)]
    (open dims match any size) when given."""
    name = op.name
    results = op.reference(list(arrays), options)
    results = [results] if isinstance(results, np.ndarray) else list(results)
    results = [np.asarray(r) for r in results]
    if expected is not None:
        if len(results) != len(expected):
            raise ValueError(f"custom op {name!r}: reference gave {len(results)} outputs, infer says {len(expected)}")
        for i, (r, (shape, dtype)) in enumerate(zip(results, expected)):
            fits = r.ndim == len(shape) and all(d is None or d == s for d, s in zip(shape, r.shape))
            if not fits or r.dtype.name != dtype:
                raise ValueError(f"custom op {name!r}: reference output {i} is {r.dtype.name} {fmt_shape(r.shape)}, "
                                 f"infer says {dtype} {fmt_shape(shape)}")
    return results


@register
class Custom(OpDef):
    """`g.custom(name, inputs, options=b"")`: custom op `name` (registered with edgenet.register_custom_op)
    on the input tensors, with `options` an opaque bytes blob stored in the file for its kernel.
    Returns the output tensor, or a tuple of them when the op has several."""

    name = "custom"
    input_names = ("input",)
    opcode = "CUSTOM"
    options_table = "CustomOptions"
    quantizable = False  # the user's kernel computes in float (module docstring)

    def build(self, g, name, inputs, options=b""):
        check_name(name)
        if not isinstance(options, (bytes, bytearray)) or len(options) > MAX_OPTIONS_BYTES:
            raise ValueError(f"custom op {name!r}: options must be bytes (at most {MAX_OPTIONS_BYTES}), got "
                             f"{type(options).__name__}")
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        tensors = [g._as_tensor(x, f"{name}/input{i}", self.name) for i, x in enumerate(inputs)]
        # The node is named after the custom op (made unique), so messages read "op 3 'top_k' (CUSTOM)".
        outputs = g.add_node(self.name, tensors, {"custom_name": name, "options": bytes(options)}, name=name)
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def infer(self, inputs, attrs):
        name = attrs["custom_name"]
        outputs = checked_outputs(name, lookup(name).infer(list(inputs), attrs["options"]))
        # The reference executor holds values as float64 / int64; the user's reference sees the
        # tensors' own dtypes, as a C kernel does.
        attrs["input_dtypes"] = [None if t is None else t.dtype for t in inputs]
        attrs["output_dtypes"] = [dtype for _, dtype in outputs]
        return outputs

    def reference(self, inputs, attrs):
        arrays = [None if x is None else np.asarray(x).astype(dtype, copy=False)
                  for x, dtype in zip(inputs, attrs["input_dtypes"])]
        results = run_reference(lookup(attrs["custom_name"]), arrays, attrs["options"])
        if len(results) != len(attrs["output_dtypes"]):
            raise ValueError(f"custom op {attrs['custom_name']!r}: reference gave {len(results)} outputs, infer says "
                             f"{len(attrs['output_dtypes'])}")
        return [r.astype(dtype, copy=False) for r, dtype in zip(results, attrs["output_dtypes"])]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        # Integer tensors without quantization (indices, counts) are plain values; quantized ones never
        # reach a custom op (the quantizer keeps it float, with dequantize / quantize around it).
        if any(q is not None for q in [*in_quants, *out_quants]):
            raise ValueError(f"custom op {attrs['custom_name']!r} takes no quantized tensors")
        return self.reference(inputs, attrs)

    def options(self, node):
        return {"name": node.attrs["custom_name"], "data": node.attrs["options"]}
