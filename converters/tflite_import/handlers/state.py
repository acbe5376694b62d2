"""TFLite resource variables -> edgenet streaming state (docs/ARCHITECTURE.md, "Streaming state").

    VAR_HANDLE       one Variable per distinct (container, shared_name); the RESOURCE tensor it
                     outputs is a handle, never a value (imp.handles: tensor index -> Variable)
    CALL_ONCE        its init subgraph is imported on its own and evaluated now (edgenet.reference):
                     what it assigns becomes the variables' initial values
    READ_VARIABLE    before any assign in the run: the edgenet state tensor (made at the first such
                     read); after an ASSIGN_VARIABLE: the value assigned (TFLite reads see earlier
                     assigns, so values are renamed SSA-style: Variable.value)
    ASSIGN_VARIABLE  the last one in the main subgraph gives the state's assigned value

A variable read before anything assigned it (no CALL_ONCE initializes it) is refused: TFLite's own
kernels fail on that read ("variable != nullptr"); only LiteRT's XNNPACK delegate reads zeros.
int8 / uint8 variables hold bytes that LiteRT copies unchanged between the value assigned and the
tensors reading it, so every tensor of one variable must have one scale / zero point (LiteRT's
default XNNPACK delegate refuses other files; TFLite's converter writes one grid). The state is then
int8 in the .enet file on that grid (converters/qdq.py, QDQQuantizer._state_grids).
Only float32 and int8 / uint8 variables are imported; WHILE / IF (whose bodies could use variables)
are not imported by this importer at all.
"""
import numpy as np

from edgenet.graph import Graph

from .. import schema_generated as S
from ..reader import TYPE_NAMES, TFLiteImportError, text
from ..registry import Unsupported, handles, option

VARIABLE_TYPES = (S.TensorType.FLOAT32, S.TensorType.INT8, S.TensorType.UINT8)


class Variable:
    """One TFLite resource variable, shared by the main and init subgraphs' importers."""

    def __init__(self, container, shared_name):
        self.name = f"{container}/{shared_name}" if container else (shared_name or "variable")
        self.type = None  # TFLite TensorType of its values, fixed by the first tensor seen
        self.grid = None  # (scale, zero point) of an int8 / uint8 variable, as TFLite writes it
        self.initial = None  # float32 array from CALL_ONCE (int8: the values' float meaning)
        self.state = None  # the edgenet state tensor, made at the first read before any assign
        self.value = None  # its current value in the subgraph being imported (SSA)

    def check(self, imp, i, role):
        """Tensor i (read or assigned) must have this variable's type and int8 grid."""
        kind = imp.tensors[i].type
        if kind not in VARIABLE_TYPES:
            raise Unsupported(f"variable {self.name!r}: {role} {imp.name(i)!r} is {imp.dtype(i)}; edgenet "
                              "imports float32 and int8 / uint8 variables")
        grid = tensor_grid(imp, i)
        if self.type is None:
            self.type, self.grid = kind, grid
        elif kind != self.type:
            raise TFLiteImportError(f"variable {self.name!r}: {role} {imp.name(i)!r} is {imp.dtype(i)}, the "
                                    f"variable holds {TYPE_NAMES[self.type]}")
        elif grid != self.grid:
            raise Unsupported(f"int8 variable {self.name!r}: {role} {imp.name(i)!r} has scale / zero point "
                              f"{grid}, other tensors of the variable {self.grid} (LiteRT copies the int8 bytes "
                              "unchanged; edgenet needs one grid per variable)")


def tensor_grid(imp, i):
    """(scale, zero point) of int8 / uint8 tensor i (None for float), as written in the file."""
    if imp.tensors[i].type not in (S.TensorType.INT8, S.TensorType.UINT8):
        return None
    quant = imp.quantization(i)
    if quant is None or quant[0].size != 1:
        raise Unsupported(f"int8 variable tensor {imp.name(i)!r} needs one scale and zero point")
    return float(quant[0][0]), int(quant[1][0])


def variable_of(imp, i):
    if i not in imp.handles:
        raise Unsupported(f"input {imp.name(i)!r} is not a variable handle made by a VAR_HANDLE before it")
    return imp.handles[i]


# (Shape checks live in these helpers, not in the handlers: scripts/gen_docs.py reads a handler's
# `.shape` / `.sub` as the edgenet ops it emits.)

def same_shape(file_shape, shape):
    return len(file_shape) == len(shape) and all(d is None or d == f for f, d in zip(file_shape, shape))


def check_read_shape(imp, op, var, value):
    out = op.outputs[0]
    if not same_shape(imp.shape(out), value.shape):
        raise TFLiteImportError(f"operator {op.index} READ_VARIABLE: {imp.name(out)!r} has shape {imp.shape(out)}, "
                                f"variable {var.name!r} holds {value.shape}")


def check_assigned_shape(imp, op, var, value):
    if var.state is not None and value.shape != var.state.shape:
        raise TFLiteImportError(f"operator {op.index} ASSIGN_VARIABLE: variable {var.name!r} holds "
                                f"{var.state.shape} between runs, {imp.name(op.inputs[1])!r} is {value.shape}")


@handles("VAR_HANDLE")
def var_handle(imp, op):
    if len(op.outputs) != 1 or imp.tensors[op.outputs[0]].type != S.TensorType.RESOURCE:
        raise Unsupported("VAR_HANDLE must have one RESOURCE output")
    key = (text(option(op, "container")), text(option(op, "sharedName")))
    imp.handles[op.outputs[0]] = imp.variables.setdefault(key, Variable(*key))


@handles("READ_VARIABLE")
def read_variable(imp, op):
    var = variable_of(imp, op.inputs[0])
    out = op.outputs[0]
    var.check(imp, out, "READ_VARIABLE output")
    value = var.value
    if value is None:
        if imp.init_subgraph:
            raise Unsupported(f"variable {var.name!r} is read in CALL_ONCE's init subgraph before it is assigned")
        value = var.state if var.state is not None else make_state(imp, var, out)
    check_read_shape(imp, op, var, value)
    imp.set(out, value)  # its readers read the state (or the value assigned earlier in this run)


def make_state(imp, var, out):
    """The edgenet state of `var`, read by output tensor `out` before any assign of this run."""
    if var.initial is None:
        raise Unsupported(f"variable {var.name!r} is read before any value is assigned to it (no CALL_ONCE "
                          "before it initializes it; TFLite's kernels fail on that read)")
    if not same_shape(imp.shape(out), var.initial.shape):
        raise TFLiteImportError(f"variable {var.name!r}: READ_VARIABLE output {imp.name(out)!r} has shape "
                                f"{imp.shape(out)}, its CALL_ONCE initial value {var.initial.shape}")
    name = Graph._unique_name(var.name, imp.graph._names)
    imp.graph._names.discard(name)  # (reserved for the state by g.state)
    var.state = imp.graph.state(name, var.initial)
    return var.state


@handles("ASSIGN_VARIABLE")
def assign_variable(imp, op):
    if len(op.inputs) != 2:
        raise Unsupported("ASSIGN_VARIABLE takes a handle and a value")
    var = variable_of(imp, op.inputs[0])
    var.check(imp, op.inputs[1], "ASSIGN_VARIABLE value")
    value = imp.tensor(op.inputs[1])
    check_assigned_shape(imp, op, var, value)
    var.value = value


@handles("CALL_ONCE")
def call_once(imp, op):
    if imp.init_subgraph:
        raise Unsupported("CALL_ONCE inside an init subgraph")
    index = option(op, "initSubgraphIndex")
    if index is None or not 0 < index < len(imp.model.subgraphs):
        raise TFLiteImportError(f"operator {op.index} CALL_ONCE: init subgraph {index} of "
                                f"{len(imp.model.subgraphs)} subgraphs")
    if any(v.state is not None or v.value is not None for v in imp.variables.values()):
        raise Unsupported("CALL_ONCE after variable reads or assigns (its init would overwrite them on the "
                          "first run only)")
    inputs = imp.model.subgraphs[index].inputs
    if inputs is not None and len(inputs):
        raise Unsupported(f"CALL_ONCE init subgraph {index} has inputs")
    # type(imp) is the Importer; naming it here would be an import cycle (importer.py imports handlers).
    init = type(imp)(imp.model, imp.data, None, subgraph=index, variables=imp.variables)
    try:
        init.run()
    except TFLiteImportError as e:
        raise Unsupported(f"init subgraph {index}: {e}") from None
    assigned = [v for v in imp.variables.values() if v.value is not None]
    init.graph.outputs = [v.value for v in assigned]
    from edgenet import reference

    values = reference.run_values(init.graph, []) if init.graph.nodes else [v.data for v in init.graph.outputs]
    for var, value in zip(assigned, values):
        var.initial, var.value = np.asarray(value, np.float32), None


def assign_states(imp):
    """After the main subgraph: each state keeps the last value assigned to its variable."""
    for var in imp.variables.values():
        if var.state is not None and var.value is not None and var.value is not var.state:
            imp.graph.assign(var.state, var.value)
