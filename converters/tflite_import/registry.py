"""The TFLite import registry: op name -> handler, and what every handler family shares.

A handler gets (importer, op) — op.inputs / op.outputs are tensor indices (-1 = absent), op.options
the builtin options table (schema_generated *OptionsT, None when absent) — reads inputs with
`imp.tensor(i)` (edgenet tensors) or `imp.const(i)` (numpy constants, quantized constants already
dequantized), emits nodes with the Graph builders and records results with `imp.set(i, tensor)`.
It raises Unsupported(reason) for anything it cannot translate exactly.

Builtin ops register under their schema name (`@handles("CONV_2D")`), custom ops under their custom
code (`@handles("Convolution2DTransposeBias")`); register_custom_op adds a user's custom op.
"""
from . import schema_generated as S


class Unsupported(Exception):
    """Raised by a handler: this op cannot be imported (reason in the message)."""


HANDLERS = {}


def handles(*op_names):
    def register(fn):
        for name in op_names:
            HANDLERS[name] = fn
        return fn
    return register


def register_custom_op(name, handler):
    """Import the TFLite custom op `name` (its custom code) with `handler(imp, op)`, which builds it
    from edgenet ops (see converters/tflite_import/handlers/custom.py for the built-in example)."""
    if name in HANDLERS and not getattr(HANDLERS[name], "custom", False):
        raise ValueError(f"{name!r} is a builtin TFLite op name")
    handler.custom = True
    HANDLERS[name] = handler


ACTIVATIONS = {S.ActivationFunctionType.NONE: None, S.ActivationFunctionType.RELU: "relu",
               S.ActivationFunctionType.RELU6: "relu6", S.ActivationFunctionType.RELU_N1_TO_1: "relu_n1_to_1",
               S.ActivationFunctionType.TANH: "tanh"}


def padding_name(code):
    return {S.Padding.SAME: "same", S.Padding.VALID: "valid"}.get(code) or _bad("padding", code)


def _bad(what, value):
    raise Unsupported(f"{what} {value} is not supported")


def option(op, field, default=None):
    """A builtin option field (camelCase name of the schema object API), or `default` when the op has none."""
    return getattr(op.options, field, default) if op.options is not None else default
