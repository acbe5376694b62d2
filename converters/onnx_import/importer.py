"""The import driver: loading, values with layouts, constant folding, error collection.
Per-op translations live in handlers/<family>.py, found through registry.HANDLERS."""
import os

import numpy as np

from edgenet.graph import INPUT_DTYPES, Graph, GraphBuildError, Tensor

from . import handlers, qdq  # noqa: F401  (importing handlers fills HANDLERS)
from .registry import FOLD_ONLY, HANDLERS, Unsupported, channels_last, inverse

LAYOUTS = ("NCHW", "NHWC")


class ONNXImportError(ValueError):
    """The model cannot be imported; the message says which node/op/input and why."""


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("importing ONNX models needs the onnx package: pip install onnx") from None
    return onnx


class Value:
    """One ONNX value: a constant numpy array (ONNX layout), or an edgenet tensor whose dims are
    the ONNX value's dims permuted by `perm` (None = same order)."""

    def __init__(self, tensor=None, perm=None, const=None):
        self.tensor, self.const = tensor, const
        self.perm = None if perm is None or tuple(perm) == tuple(range(len(perm))) else tuple(perm)

    @property
    def is_const(self):
        return self.const is not None

    @property
    def shape(self):
        """The ONNX-order shape (None = dynamic dim)."""
        if self.is_const:
            return tuple(self.const.shape)
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
    def __init__(self, model, input_shapes, layout):
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
        # QDQ models (see qdq.py): QuantizeLinear outputs -> (float value name, scale, zero point),
        # id(tensor) -> (tensor, int8 QuantParams) of quantized values, and what graph.qdq will hold.
        self.quantized = {}
        self.qdq_tensors = {}
        self.qdq = qdq.QDQParams()

    # ---- values ---------------------------------------------------------------------

    def value(self, name):
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
            raise Unsupported(f"{what} ({name!r}) must be a constant (it is computed at run time)")
        return array

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
        array = np.ascontiguousarray(array)
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
        unknown = set(self.input_shapes) - {i.name for i in self.model.graph.input}
        if unknown:
            raise ONNXImportError(f"input_shapes names {sorted(unknown)} are not model inputs; inputs are "
                                  f"{[i.name for i in self.model.graph.input if i.name not in initializers]}")
        for info in self.model.graph.input:
            if info.name in initializers:
                continue  # an initializer listed as input (old exporters): a constant
            self.add_input(info)

    def add_input(self, info):
        ttype = info.type.tensor_type
        dtype = self.onnx.helper.tensor_dtype_to_np_dtype(ttype.elem_type) if ttype.elem_type else None
        if dtype is None or np.dtype(dtype).name not in INPUT_DTYPES:
            raise ONNXImportError(f"input {info.name!r} has dtype {dtype}; edgenet model inputs are one of "
                                  f"{INPUT_DTYPES} (float16 / float64 models: convert them to float32 first)")
        if info.name in self.input_shapes:
            shape = self.input_shapes[info.name]
            if not ttype.HasField("shape") or len(shape) != len(ttype.shape.dim):
                raise ONNXImportError(f"input_shapes[{info.name!r}] = {shape} does not match the model's rank "
                                      f"{len(ttype.shape.dim) if ttype.HasField('shape') else '(unknown)'}")
            for d, (given, dim) in enumerate(zip(shape, ttype.shape.dim)):
                if dim.HasField("dim_value") and dim.dim_value > 0 and dim.dim_value != given:
                    raise ONNXImportError(f"input_shapes[{info.name!r}] = {shape}: dim {d} is fixed to "
                                          f"{dim.dim_value} in the model")
        else:
            if not ttype.HasField("shape"):
                raise ONNXImportError(f"input {info.name!r} has no shape in the model; give "
                                      f"input_shapes={{{info.name!r}: (...)}}")
            shape = []
            for d, dim in enumerate(ttype.shape.dim):
                if dim.HasField("dim_value") and dim.dim_value > 0:
                    shape.append(dim.dim_value)
                elif d == 0:
                    shape.append(None)  # a symbolic batch stays dynamic
                else:
                    label = dim.dim_param or "?"
                    raise ONNXImportError(
                        f"input {info.name!r} has a symbolic dim {label!r} at position {d}; only the batch "
                        f"dim may stay dynamic. Pin it with input_shapes={{{info.name!r}: (...)}}")
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

    def fold(self, node):
        """Evaluate a node whose inputs are all constants with onnx's reference implementation."""
        from onnx.reference import ReferenceEvaluator

        feeds = {name: self.const(name) for name in node.input if name}
        opsets = {o.domain: o.version for o in self.model.opset_import}
        try:
            results = ReferenceEvaluator(node, opsets=opsets).run(None, feeds)
        except Exception as e:  # noqa: BLE001 - any failure of the folding evaluator
            raise Unsupported(f"constant folding failed: {type(e).__name__}: {e}") from None
        for name, value in zip(node.output, results):
            self.set_const(name, value)

    def run(self):
        onnx_outputs = {o.name for o in self.model.graph.output}
        self.graph._names.update(onnx_outputs)  # reserve the output names (see add_outputs)
        self.add_inputs()
        for node in self.model.graph.node:
            label = node.name or f"{node.op_type}({', '.join(node.output)})"
            if any(name in self.poisoned for name in node.input):
                self.poisoned.update(node.output)
                continue
            if node.domain not in ("", "ai.onnx"):
                self._unsupported(node, label, f"op domain {node.domain!r} is not supported")
                continue
            all_const = all(not name or self.value(name).is_const for name in node.input)
            try:
                reads_integers = [n for n in node.input if n in self.quantized]
                if reads_integers and node.op_type != "DequantizeLinear":
                    raise Unsupported(f"reads the quantized integer value {reads_integers[0]!r} (only a "
                                      "DequantizeLinear may read a QuantizeLinear's output)")
                if all_const and node.op_type == "DequantizeLinear":
                    qdq.record_constant_dequantize(self, node)  # weights: keep their int8 values and scales
                if all_const and node.op_type not in ("Dropout",):
                    self.fold(node)
                elif node.op_type in HANDLERS:
                    HANDLERS[node.op_type](self, node, self.attributes(node))
                elif node.op_type in FOLD_ONLY:
                    raise Unsupported(FOLD_ONLY[node.op_type])
                else:
                    raise Unsupported("no edgenet translation for this op")
            except Unsupported as e:
                self._unsupported(node, label, str(e))
            except (GraphBuildError, ValueError) as e:
                if isinstance(e, ONNXImportError):
                    raise
                raise ONNXImportError(f"node {label} ({node.op_type}): {e}") from None
            else:
                missing = [name for name in node.output if name and name not in self.values]
                if missing:
                    self._unsupported(node, label, f"outputs {missing} are not supported")
        if self.unsupported:
            ops = sorted({op for _, op, _ in self.unsupported})
            lines = "\n".join(f"  - {name} ({op}): {reason}" for name, op, reason in self.unsupported)
            raise ONNXImportError(f"{len(self.unsupported)} node(s) cannot be imported; unsupported ops: "
                                  f"{', '.join(ops)}\n{lines}")
        self.add_outputs()
        qdq.finish(self)
        return self.graph

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


def import_onnx(source, input_shapes=None, layout="NCHW", base_dir=None):
    """Import an ONNX model (a path or an onnx.ModelProto) into an edgenet Graph.

    input_shapes: {input name: shape} pinning symbolic dims (e.g. {"x": (1, 3, 320, 640)}).
        Without it a symbolic batch (first) dim stays dynamic; other symbolic dims are an error.
    layout: "NCHW" (default) keeps the model's own input/output shapes (drop-in for onnxruntime
        feeds); "NHWC" makes rank >= 3 inputs and outputs channels-last, saving the edge transposes.
    base_dir: folder of external-data files when `source` is a ModelProto that refers to them.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    model = load_model(source, base_dir)
    return Importer(model, input_shapes, layout).run()
