"""The import driver: loading, values with layouts, constant folding, error collection.
Per-op translations live in handlers/<family>.py, found through registry.HANDLERS."""
import os
import re

import numpy as np

from edgenet.graph import INPUT_DTYPES, Graph, GraphBuildError, Tensor

from . import dynamic_quant, handlers, qdq  # noqa: F401  (importing handlers fills HANDLERS)
from .registry import (ACCEPTS_SHAPE_VALUES, FOLD_ONLY, HANDLERS, SHAPE_ARITHMETIC, Unsupported, channels_last,
                       inverse)

LAYOUTS = ("NCHW", "NHWC")


class ONNXImportError(ValueError):
    """The model cannot be imported; the message says which node/op/input and why.

    `pin`: [(input name, dims)] when pinning input shapes would help (dims: ints, or the symbolic
    dims' labels); `freeze`: [input name] when giving inputs fixed values would (an If's condition or
    integer arithmetic is computed from them). The message ends with the Python form of the hints,
    `hint("cli")` gives the command line's (--input-shape NAME=D0,D1,..., --constant-input NAME=VALUE)."""

    def __init__(self, message, pin=(), freeze=()):
        self.message, self.pin, self.freeze = message, list(pin), list(freeze)
        super().__init__(message + self.hint("python"))

    def hint(self, syntax):
        return self._pin_hint(syntax) + self._freeze_hint(syntax)

    def _freeze_hint(self, syntax):
        if not self.freeze:
            return ""
        if syntax == "cli":
            how = " ".join(f"--constant-input {name}=VALUE" for name in self.freeze)
        else:
            how = "constant_inputs={" + ", ".join(f"{name!r}: ..." for name in self.freeze) + "}"
        names, one = ", ".join(map(repr, self.freeze)), len(self.freeze) == 1
        return (f". A run-time value computed from {names} decides here: if {names} "
                f"{'has one value' if one else 'have fixed values'} in your use, freeze {'it' if one else 'them'} "
                f"with {how} (what depends on {'it' if one else 'them'} is then computed at conversion)")

    def _pin_hint(self, syntax):
        if not self.pin:
            return ""
        if syntax == "cli":
            flags = " ".join(f"--input-shape {name}={','.join(map(str, dims))}" for name, dims in self.pin)
            symbolic = sorted({d for _, dims in self.pin for d in dims if isinstance(d, str)})
            return (f". Pin it with {flags}" +
                    (f" (replace {', '.join(symbolic)} with sizes)" if symbolic else ""))
        shapes = ", ".join(f"{name!r}: ({', '.join(map(str, dims))}{',' if len(dims) == 1 else ''})"
                           for name, dims in self.pin)
        return f". Pin it with input_shapes={{{shapes}}}"


def check_input_options(input_shapes, constant_inputs, names, listed, error):
    """input_shapes and constant_inputs name only model inputs (`names`; an error lists `listed`), and no
    input in both."""
    for given, what in ((input_shapes, "input_shapes"), (constant_inputs, "constant_inputs")):
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise error(f"{what} names {unknown}, which are not model inputs; inputs are {list(listed)}")
    both = sorted(set(input_shapes) & set(constant_inputs))
    if both:
        raise error(f"inputs {both} have both a pinned shape and a constant value; the value fixes the shape, so "
                    "leave them out of input_shapes")


def constant_input_value(name, value, dtype, shape, error=ValueError):
    """The array input `name` is frozen to (constant_inputs={name: value}): `value` checked against the
    input's declared numpy dtype (None: not declared) and shape (None: not declared; a None dim takes
    any size). Integers convert to an integer dtype when exact, integers and floats to a float dtype,
    bools to bool only; anything else raises `error` naming the input."""
    where = f"constant_inputs[{name!r}]"
    try:
        array = np.asarray(value)
    except ValueError as e:  # ragged nested lists
        raise error(f"{where} is not an array: {e}") from None
    if array.dtype.kind not in "biuf":
        raise error(f"{where} has dtype {array.dtype}; give a number, a bool or an array of them")
    if dtype is not None:
        dtype = np.dtype(dtype)
        takes = {"f": "iuf", "i": "iu", "u": "iu", "b": "b"}.get(dtype.kind, "")
        converted = array.astype(dtype) if array.dtype.kind in takes else None
        if converted is None or (dtype.kind in "iu" and not np.array_equal(converted, array)):
            raise error(f"{where} = {_preview(array)} ({array.dtype}) does not convert exactly to {dtype}, the "
                        f"dtype of input {name!r}")
        array = converted
    if shape is not None and (len(shape) != array.ndim or
                              any(d is not None and d != n for d, n in zip(shape, array.shape))):
        declared = "(" + ", ".join("?" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
        raise error(f"{where} has shape {array.shape}, but input {name!r} has shape {declared}")
    array = np.array(array)  # (a copy the caller cannot change afterwards)
    array.setflags(write=False)
    return array


def _preview(array):
    if array.ndim == 0:
        return repr(array.item())
    return np.array2string(array.reshape(-1)[:4], separator=", ") + (" ..." if array.size > 4 else "")


def _pin_dims(shape):
    """An input's dims (ONNX order, None = open) for a pinning hint: 1 for an open batch, labels elsewhere."""
    return [d if d is not None else (1 if i == 0 else f"D{i}") for i, d in enumerate(shape)]


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("importing ONNX models needs the onnx package: pip install onnx") from None
    return onnx


class Value:
    """One ONNX value: a constant numpy array (ONNX layout); an edgenet tensor whose dims are
    the ONNX value's dims permuted by `perm` (None = same order); or a shape value, an integer
    array computed from a tensor's shape with some elements depending on open dims, held as its
    two evaluations with OPEN_DIM_STANDINS (`shape_value`; elements equal in both are known)."""

    def __init__(self, tensor=None, perm=None, const=None, shape_value=None):
        self.tensor, self.const, self.shape_value = tensor, const, shape_value
        self.perm = None if perm is None or tuple(perm) == tuple(range(len(perm))) else tuple(perm)

    @property
    def is_const(self):
        return self.const is not None

    @property
    def is_shape_value(self):
        return self.shape_value is not None

    @property
    def shape(self):
        """The ONNX-order shape (None = dynamic dim)."""
        if self.is_const:
            return tuple(self.const.shape)
        if self.is_shape_value:
            return tuple(np.shape(self.shape_value[0]))
        if self.perm is None:
            return self.tensor.shape
        shape = [None] * len(self.perm)
        for i, p in enumerate(self.perm):
            shape[p] = self.tensor.shape[i]
        return tuple(shape)

    @property
    def rank(self):
        return len(self.shape)


class Importer:
    def __init__(self, model, input_shapes, layout, constant_inputs=None):
        onnx = _onnx()
        self.onnx = onnx
        self.model = model
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
        if self.opset is None:
            raise ONNXImportError("model has no default-domain (ai.onnx) opset import")
        if self.opset < 7:
            raise ONNXImportError(f"opset {self.opset} is too old (edgenet imports opset 7 and newer; "
                                  "upgrade with onnx.version_converter)")
        self.layout = layout
        self.graph = Graph(model.graph.name or "main")
        self.values = {}
        self.converted = {}  # (value name, perm) -> Tensor, so each layout change is emitted once
        self.unsupported = []  # (node name, op type, reason)
        self.poisoned = set()  # outputs of unsupported nodes (their consumers are skipped)
        self.input_shapes = {k: tuple(v) for k, v in (input_shapes or {}).items()}
        self.constant_inputs = dict(constant_inputs or {})
        self.runtime_causes = []  # values refused nodes needed known at conversion (Unsupported.runtime)
        # QDQ models (see qdq.py): QuantizeLinear outputs -> (float value name, scale, zero point),
        # id(tensor) -> (tensor, int8 QuantParams) of quantized values, and what graph.qdq will hold.
        self.quantized = {}
        self.qdq_tensors = {}
        self.qdq = qdq.QDQParams()
        self.dynamic_quant = {}  # value name -> its role in a dynamic-quantized pattern (dynamic_quant.py)

    # ---- values ---------------------------------------------------------------------

    def value(self, name):
        if name in self.poisoned:  # read by a control-flow body, so not among its node's inputs
            raise Unsupported(f"reads {name!r}, whose node could not be imported")
        if name not in self.values:
            raise ONNXImportError(f"value {name!r} is used before it is defined (nodes not in topological order?)")
        return self.values[name]

    def const(self, name):
        """The numpy array of a constant input, or None (absent input or runtime value)."""
        if not name:
            return None
        v = self.value(name)
        return v.const if v.is_const else None

    def require_const(self, name, what):
        array = self.const(name)
        if array is None and name:
            if self.value(name).is_shape_value:
                raise Unsupported(self._open_dims_reason(name, what))
            raise Unsupported(f"{what} ({name!r}) must be a constant (it is computed at run time)", runtime=[name])
        return array

    def _open_dims_reason(self, name, what):
        return (f"{what} ({name!r}) is computed from the model's open (run-time) dims, and this op needs it "
                "fixed when the model is converted; pin the open dims")

    def set_shape_value(self, name, evaluations):
        """Record a shape computation's two evaluations: a constant when they agree everywhere."""
        first, second = (np.asarray(a) for a in evaluations)
        if first.shape != second.shape:  # e.g. Slice(table, 0, T): the result's *size* is open
            raise Unsupported(f"the size of {name!r} depends on the model's open (run-time) dims; pin the open dims")
        if np.array_equal(first, second):
            self.set_const(name, first)
        elif name:
            self.values[name] = Value(shape_value=(first, second))

    def set(self, name, tensor, perm=None):
        if not name:
            return
        self.values[name] = Value(tensor=tensor, perm=perm)
        self._claim_name(tensor, name)

    def set_value(self, name, tensor, perm):
        """Record `name` as an existing tensor seen in another layout (no op emitted)."""
        self.values[name] = Value(tensor=tensor, perm=perm)

    def set_const(self, name, array):
        if name:
            self.values[name] = Value(const=np.asarray(array))

    def alias(self, name, source):
        if name:
            self.values[name] = self.values[source]

    def _claim_name(self, tensor, name):
        """Give an op result the ONNX value's name (readable files and reports) when it is free."""
        g = self.graph
        if tensor.producer is None or tensor.name == name or name in g._names:
            return
        g._names.discard(tensor.name)
        g._names.add(name)
        tensor.name = name

    def constant(self, array, name="const"):
        """A graph constant keeping integer/bool dtypes (Graph.constant makes everything float32)."""
        array = np.array(array, order="C")  # (ascontiguousarray would make a scalar shape (1,))
        if array.dtype.kind == "f":
            return self.graph.constant(array.astype(np.float32), name=name)
        dtype = {"b": "bool", "i": "int64" if array.dtype.itemsize == 8 else "int32", "u": "int32"}[array.dtype.kind]
        array = array.astype(dtype)
        array.setflags(write=False)
        return Tensor(self.graph, Graph._unique_name(name, self.graph._names), array.shape, dtype, data=array)

    def tensor(self, name, perm=None, as_array=False):
        """The value `name` as an edgenet tensor held in layout `perm` (None = ONNX order).
        Constants come back as numpy arrays (transposed) when as_array, else graph constants."""
        v = self.value(name)
        perm = None if perm is None or tuple(perm) == tuple(range(len(perm))) else tuple(perm)
        if v.is_const:
            array = v.const if perm is None else np.transpose(v.const, perm)
            return array if as_array else self.constant(array, name=name)
        if v.perm == perm:
            return v.tensor
        key = (name, perm)
        if key not in self.converted:
            self.converted[key] = self._relayout(v, perm)
        return self.converted[key]

    def _relayout(self, v, perm):
        """Emit the transpose taking v's tensor from v.perm to `perm` (a reshape when only size-1
        dims move)."""
        rank = v.rank
        src = inverse(v.perm) if v.perm else tuple(range(rank))  # ONNX dim -> tensor dim
        target = perm or tuple(range(rank))
        order = tuple(src[d] for d in target)  # transpose of the tensor giving layout `perm`
        shape = v.tensor.shape
        moved = [d for d in order if shape[d] != 1]
        new_shape = tuple(shape[d] for d in order)
        if moved == sorted(moved) and new_shape.count(None) <= 1:
            return self.graph.reshape(v.tensor, tuple(-1 if d is None else d for d in new_shape))
        return self.graph.transpose(v.tensor, order)

    # ---- inputs / outputs ---------------------------------------------------------------

    def add_inputs(self):
        onnx = self.onnx
        initializers = {t.name for t in self.model.graph.initializer}
        for init in self.model.graph.initializer:
            self.set_const(init.name, onnx.numpy_helper.to_array(init))
        check_input_options(self.input_shapes, self.constant_inputs, [i.name for i in self.model.graph.input],
                            [i.name for i in self.model.graph.input if i.name not in initializers], ONNXImportError)
        for info in self.model.graph.input:
            if info.name in self.constant_inputs:  # frozen: a constant (replacing an initializer's default value)
                self.set_const(info.name, self.constant_input(info))
            elif info.name not in initializers:  # (an initializer listed as input, old exporters: a constant)
                self.add_input(info)

    def constant_input(self, info):
        """The value constant_inputs gives input `info`, checked against its declared dtype and shape."""
        ttype = info.type.tensor_type
        dtype = self.onnx.helper.tensor_dtype_to_np_dtype(ttype.elem_type) if ttype.elem_type else None
        shape = None
        if ttype.HasField("shape"):
            shape = [d.dim_value if d.HasField("dim_value") else None for d in ttype.shape.dim]
        return constant_input_value(info.name, self.constant_inputs[info.name], dtype, shape, ONNXImportError)

    def add_input(self, info):
        ttype = info.type.tensor_type
        dtype = self.onnx.helper.tensor_dtype_to_np_dtype(ttype.elem_type) if ttype.elem_type else None
        if dtype is None or np.dtype(dtype).name not in INPUT_DTYPES:
            raise ONNXImportError(f"input {info.name!r} has dtype {dtype}; edgenet model inputs are one of "
                                  f"{INPUT_DTYPES} (float16 / float64 models: convert them to float32 first)")
        if info.name in self.input_shapes:
            shape = self.input_shapes[info.name]
            if not ttype.HasField("shape") or len(shape) != len(ttype.shape.dim):
                raise ONNXImportError(f"pinned shape {shape} of input {info.name!r} does not match the model's rank "
                                      f"{len(ttype.shape.dim) if ttype.HasField('shape') else '(unknown)'}")
            for d, (given, dim) in enumerate(zip(shape, ttype.shape.dim)):
                if dim.HasField("dim_value") and dim.dim_value > 0 and dim.dim_value != given:
                    raise ONNXImportError(f"pinned shape {shape} of input {info.name!r}: dim {d} is fixed to "
                                          f"{dim.dim_value} in the model")
        else:
            if not ttype.HasField("shape"):
                raise ONNXImportError(f"input {info.name!r} has no shape in the model",
                                      pin=[(info.name, ["D0", "D1", "..."])])
            # A symbolic dim (batch, sequence length, image width) stays open: its size comes with
            # the feed at run time. Ops that need it fixed say so and ask for input_shapes.
            shape = [dim.dim_value if dim.HasField("dim_value") else None for dim in ttype.shape.dim]
            if any(d is not None and d < 1 for d in shape):
                raise ONNXImportError(f"input {info.name!r} has shape {shape}: zero-size (empty) inputs are not "
                                      "supported")
        shape = tuple(shape)
        perm = channels_last(len(shape)) if self.layout == "NHWC" and len(shape) >= 3 else None
        edge_shape = shape if perm is None else tuple(shape[p] for p in perm)
        self.set(info.name, self.graph.input(info.name, edge_shape, np.dtype(dtype).name), perm)

    def add_outputs(self):
        g = self.graph
        outputs = []
        for info in self.model.graph.output:
            v = self.value(info.name)
            perm = channels_last(v.rank) if self.layout == "NHWC" and v.rank >= 3 else None
            if info.name in self.dynamic_quant:
                raise ONNXImportError(f"output {info.name!r} is a DynamicQuantizeLinear result (integers or their "
                                      "scale); edgenet imports dynamic quantization as float (see dynamic_quant.py), "
                                      "so only its dequantized float values can be outputs")
            if info.name in self.quantized:
                raise ONNXImportError(f"output {info.name!r} is a QuantizeLinear result: quantized (integer) "
                                      "model outputs are not supported; end the model with a DequantizeLinear")
            if v.is_const:
                raise ONNXImportError(f"output {info.name!r} is a constant (it does not depend on any input); "
                                      "edgenet outputs must be computed")
            t = self.tensor(info.name, perm)
            if t.producer is None or any(t is o for o in outputs):
                # An output that is a graph input, or the same tensor as another output: copy it.
                t = g.reshape(t, tuple(-1 if d is None else d for d in t.shape))
            outputs.append(t)
        for info, t in zip(self.model.graph.output, outputs):
            g._names.discard(info.name)  # reserved at start so no internal tensor takes it
            if t.name != info.name:
                g._names.discard(t.name)
                t.name = info.name
                g._names.add(info.name)
            g.outputs.append(t)

    # ---- nodes ----------------------------------------------------------------------------

    def attributes(self, node):
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}

    def evaluate(self, node, feeds):
        """Run one node on numpy feeds with onnx's reference implementation, at the model's opset.

        The node goes in a one-node model carrying the model's opset imports: given a bare node the
        evaluator picks the newest version of the op (e.g. Unsqueeze-13, whose axes are an input,
        for an opset-11 Unsqueeze with an axes attribute). The evaluator has no implementation of
        some older versions that later ones cover unchanged (DequantizeLinear before 19): for
        those, the bare node (newest version) is the fallback. Failures are reported in edgenet's
        terms; the evaluator's own message names its internals, so it is not repeated."""
        from onnx.reference import ReferenceEvaluator

        helper = self.onnx.helper
        inputs = [helper.make_tensor_value_info(name, 0, None) for name in feeds]
        outputs = [helper.make_tensor_value_info(name, 0, None) for name in node.output if name]
        model = helper.make_model(helper.make_graph([node], "fold", inputs, outputs),
                                  opset_imports=list(self.model.opset_import), ir_version=self.model.ir_version)
        try:
            try:
                results = ReferenceEvaluator(model).run(None, feeds)
            except Exception:  # noqa: BLE001 - retried below at the newest version
                results = ReferenceEvaluator(node).run(None, feeds)
        except Exception as e:  # noqa: BLE001 - any failure of the folding evaluator
            described = ", ".join(f"{name}: {np.asarray(a).dtype} {np.shape(a)}" for name, a in feeds.items())
            raise Unsupported(f"its inputs are all constants, so edgenet computes it at conversion time, but "
                              f"{node.op_type} (opset {self.opset}) cannot be evaluated on them ({described}; "
                              f"onnx's reference evaluator raised {type(e).__name__})") from e
        return dict(zip([name for name in node.output if name], results))

    def fold(self, node):
        """Evaluate a node whose inputs are all constants (at import time)."""
        feeds = {name: self.const(name) for name in node.input if name}
        for name, value in self.evaluate(node, feeds).items():
            self.set_const(name, value)

    def fold_shape_values(self, node):
        """Evaluate shape arithmetic (SHAPE_ARITHMETIC) over shape values and constants: once with
        each open-dim stand-in, keeping both results (see Value)."""
        if node.op_type == "Div" and self.value(node.input[1]).is_shape_value:
            raise Unsupported(self._open_dims_reason(node.input[1], "the divisor"))
        runs = []
        for k in range(2):
            feeds = {}
            for name in node.input:
                if name:
                    v = self.value(name)
                    feeds[name] = v.shape_value[k] if v.is_shape_value else v.const
            runs.append(self.evaluate(node, feeds))
        for name in runs[0]:
            self.set_shape_value(name, (runs[0][name], runs[1][name]))

    def emit(self, op_type, inputs, outputs, attrs, final=False):
        """Import an ONNX node that is not in the model (a rewrite's float form, see
        dynamic_quant.py). Its outputs are `outputs` when final, else internal names derived
        from them; returns the first output's name."""
        outputs = [outputs] if isinstance(outputs, str) else list(outputs)
        if not final:
            outputs = [f"{name}#float" if name else "" for name in outputs]
        self.import_node(self.onnx.helper.make_node(op_type, list(inputs), outputs, **attrs))
        return outputs[0]

    def internal_const(self, base, array):
        """A constant under an internal name (no ONNX value has a '#'); returns the name."""
        self.set_const(base, np.asarray(array))
        return base

    def mark_dynamic_quant(self, name, mark):
        """Record a value of onnxruntime's dynamic quantization pattern (see dynamic_quant.py)."""
        if name:
            self.dynamic_quant[name] = mark
            self.values[name] = Value()

    def run(self):
        onnx_outputs = {o.name for o in self.model.graph.output}
        self.graph._names.update(onnx_outputs)  # reserve the output names (see add_outputs)
        self.add_inputs()
        for node in self.model.graph.node:
            label = node.name or f"{node.op_type}({', '.join(node.output)})"
            if any(name in self.poisoned for name in node.input):
                self.poisoned.update(node.output)
                continue
            if node.domain not in ("", "ai.onnx") and not dynamic_quant.is_contrib_op(node):
                self._unsupported(node, label, f"op domain {node.domain!r} is not supported")
                continue
            try:
                self.import_node(node)
            except Unsupported as e:
                self._unsupported(node, label, str(e))
                self.runtime_causes += e.runtime
            except (GraphBuildError, ValueError) as e:
                if isinstance(e, ONNXImportError):
                    raise
                raise ONNXImportError(f"node {label} ({node.op_type}): {e}") from None
        if self.unsupported:
            ops = sorted({op for _, op, _ in self.unsupported})
            lines = "\n".join(f"  - {name} ({op}): {reason}" for name, op, reason in self.unsupported)
            # A value computed from open (run-time) dims: pinning the open inputs makes it a constant.
            needs_pinning = any("pin the open dims" in why for _, _, why in self.unsupported)
            dynamic = [(t.name, _pin_dims(self.values[t.name].shape))  # ONNX order
                       for t in self.graph.inputs if None in t.shape and needs_pinning]
            raise ONNXImportError(f"{len(self.unsupported)} node(s) cannot be imported; unsupported ops: "
                                  f"{', '.join(ops)}\n{lines}", pin=dynamic,
                                  freeze=self.inputs_computing(self.runtime_causes))
        self.add_outputs()
        qdq.finish(self)
        return self.graph

    def inputs_computing(self, names):
        """The model inputs (run-time ones, in the model's order) whose data the values `names` are computed
        from: the ONNX graph followed back, through the bodies of control-flow nodes. A Shape / Size reads
        only its input's shape (pinning input_shapes, not freezing, fixes that)."""
        producers = {}

        def bodies(node):
            return [body for attr in node.attribute for body in ([attr.g] if attr.HasField("g") else attr.graphs)]

        def index(graph):
            for node in graph.node:
                producers.update((output, node) for output in node.output)
                for body in bodies(node):
                    index(body)

        def reads(node):  # its inputs, and what its bodies' nodes read
            return list(node.input) + [name for body in bodies(node) for inner in body.node for name in reads(inner)]

        index(self.model.graph)
        pending, seen = list(names), set()
        while pending:
            name = pending.pop()
            if name not in seen:
                seen.add(name)
                node = producers.get(name)
                if node is not None and node.op_type not in ("Shape", "Size"):
                    pending += reads(node)
        return [t.name for t in self.graph.inputs if t.name in seen]

    def _name_nodes(self, node, first):
        """Name the edgenet nodes emitted for ONNX `node` (graph.nodes[first:]) after it: its name, or
        its first output's when it has none. float_layers, the profile, model.quantization and the
        reports then speak the source model's names. The node computing the ONNX node's first output
        gets the plain name; helpers emitted with it (layout transposes, reshapes) get NAME/op."""
        emitted = self.graph.nodes[first:]
        if not emitted:
            return
        base = node.name or node.output[0]
        value = self.values.get(node.output[0])
        main = value.tensor.producer if value is not None and value.tensor is not None else None
        used = self.graph._node_names
        for n in emitted:
            used.discard(n.name)
        for n in sorted(emitted, key=lambda n: n is not main):  # the main node claims the plain name first
            plain = n is main or len(emitted) == 1
            n.name = self.graph._unique_name(base if plain else f"{base}/{n.op}", used)

    def import_node(self, node):
        """Translate one node (fold it when its inputs are constants, follow its shape arithmetic
        over open dims, or hand it to its handler); raises Unsupported with the reason. Also used for
        the nodes of control-flow bodies (handlers/control_flow.py)."""
        first = len(self.graph.nodes)
        if dynamic_quant.is_contrib_op(node):
            dynamic_quant.translate_contrib(self, node, self.attributes(node))
        elif dynamic_quant.reads_dynamic_quant(self, node):
            dynamic_quant.translate(self, node, self.attributes(node))
        else:
            self._import_standard_node(node)
        self._name_nodes(node, first)
        missing = [name for name in node.output if name and name not in self.values]
        if missing:
            raise Unsupported(f"outputs {missing} are not supported")

    def _import_standard_node(self, node):
        all_const = all(not name or self.value(name).is_const for name in node.input)
        shape_values = [name for name in node.input if name and self.value(name).is_shape_value]
        computes_shape = shape_values and all(not name or self.value(name).tensor is None for name in node.input)
        if shape_values and not (computes_shape and node.op_type in SHAPE_ARITHMETIC) and \
                node.op_type not in ACCEPTS_SHAPE_VALUES:
            raise Unsupported(self._open_dims_reason(shape_values[0], f"input {shape_values[0]!r}"))
        reads_integers = [n for n in node.input if n in self.quantized]
        if reads_integers and node.op_type != "DequantizeLinear":
            raise Unsupported(f"reads the quantized integer value {reads_integers[0]!r} (only a "
                              "DequantizeLinear may read a QuantizeLinear's output)")
        if all_const and node.op_type == "DequantizeLinear":
            qdq.record_constant_dequantize(self, node)  # weights: keep their int8 values and scales
        # (control flow is never folded here: its bodies may read values computed at run time)
        if all_const and node.op_type not in ("Dropout", "If", "Loop", "Scan"):
            self.fold(node)
        elif computes_shape and node.op_type in SHAPE_ARITHMETIC:
            self.fold_shape_values(node)
        elif node.op_type in HANDLERS:
            HANDLERS[node.op_type](self, node, self.attributes(node))
        elif node.op_type in FOLD_ONLY:
            raise Unsupported(FOLD_ONLY[node.op_type],
                              runtime=[name for name in node.input if name and self.value(name).tensor is not None])
        else:
            raise Unsupported("no edgenet translation for this op")

    def _unsupported(self, node, label, reason):
        self.unsupported.append((label, node.op_type, reason))
        self.poisoned.update(node.output)


def load_model(source, base_dir=None):
    """An onnx.ModelProto from a path or a ModelProto (external data loaded), checked."""
    onnx = _onnx()
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.exists(path):
            raise FileNotFoundError(f"ONNX model not found: {path}")
        try:
            model = onnx.load(path, load_external_data=False)
        except Exception as e:  # noqa: BLE001 - protobuf raises assorted errors on garbage
            raise ONNXImportError(f"{path} is not a valid ONNX model: {type(e).__name__}: {e}") from None
        base_dir = base_dir or os.path.dirname(os.path.abspath(path))
    elif isinstance(source, onnx.ModelProto):
        model = onnx.ModelProto()
        model.CopyFrom(source)
    else:
        raise TypeError(f"expected a path or an onnx.ModelProto, got {type(source).__name__}")
    from onnx import external_data_helper

    if any(external_data_helper.uses_external_data(t) for t in model.graph.initializer):
        if base_dir is None:
            raise ONNXImportError("the model keeps initializers in external data files; pass base_dir= "
                                  "(the folder holding them) or the model's path")
        try:
            external_data_helper.load_external_data_for_model(model, base_dir)
        except Exception as e:  # noqa: BLE001
            raise ONNXImportError(f"cannot read external data of the model from {base_dir}: {e}") from None
    try:
        onnx.checker.check_model(model)
    except Exception as e:  # noqa: BLE001 - ValidationError and friends
        raise ONNXImportError(f"malformed ONNX model: {str(e).strip().splitlines()[0]}") from None
    return model


def import_onnx(source, input_shapes=None, layout="NCHW", base_dir=None, constant_inputs=None):
    """Import an ONNX model (a path or an onnx.ModelProto) into an edgenet Graph.

    input_shapes: {input name: shape} pinning symbolic dims (e.g. {"x": (1, 3, 320, 640)}).
        Without it symbolic dims stay open: their sizes come with the feeds at run time (shape
        computations over them are followed to the Reshape that uses them). An op that needs an
        open dim fixed fails with an error asking for input_shapes.
    constant_inputs: {input name: value} freezing inputs to fixed values (onnx-simplifier's "freeze
        input"): each becomes a constant of the input's dtype and shape (the value must fit them) and is
        no longer an input of the graph, so what is computed from it folds at conversion (an If on
        `sr == 16000` keeps one branch, integer arithmetic on it becomes constants).
    layout: "NCHW" (default) keeps the model's own input/output shapes (drop-in for onnxruntime
        feeds); "NHWC" makes rank >= 3 inputs and outputs channels-last, saving the edge transposes.
    base_dir: folder of external-data files when `source` is a ModelProto that refers to them.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    model = load_model(source, base_dir)
    return Importer(model, input_shapes, layout, constant_inputs).run()
