"""The import driver: tensors and constants, quantization parameters, error collection. Per-op
translations live in handlers/<family>.py, found through registry.HANDLERS."""
import os

import numpy as np

from edgenet.graph import Graph, GraphBuildError
from edgenet.ops.custom import CUSTOM_OPS

from ..onnx_import.importer import Importer as ONNXImporter
from ..onnx_import.importer import check_input_options, constant_input_value
from ..onnx_import.qdq import QDQParams, WeightQuant, activation_params
from . import handlers  # noqa: F401  (importing handlers fills HANDLERS)
from .handlers import state
from . import schema_generated as S
from .handlers.custom import keep_custom_op
from .reader import NUMPY_DTYPES, TYPE_NAMES, TFLiteImportError, buffer_array, is_custom, op_name, read_model, text
from .registry import HANDLERS, Unsupported

QUANTIZED_TYPES = (S.TensorType.INT8, S.TensorType.UINT8)


class Op:
    """One TFLite operator: its type name, input/output tensor indices (-1 = absent) and options."""

    def __init__(self, index, name, operator):
        self.index, self.name = index, name
        self.inputs = [int(i) for i in (operator.inputs if operator.inputs is not None else [])]
        self.outputs = [int(i) for i in (operator.outputs if operator.outputs is not None else [])]
        self.options = operator.builtinOptions
        self.custom_options = bytes(bytearray(operator.customOptions)) if operator.customOptions is not None else b""


class Importer:
    def __init__(self, model, data, input_shapes, subgraph=0, variables=None, constant_inputs=None):
        self.model, self.data = model, data
        self.sub = model.subgraphs[subgraph]
        self.init_subgraph = subgraph != 0  # a CALL_ONCE init subgraph (handlers/state.py)
        self.tensors = self.sub.tensors or []
        self.graph = Graph(text(self.sub.name) or "main")
        self.values = {}  # tensor index -> edgenet Tensor (run-time values)
        self.consts = {}  # tensor index -> numpy array (quantized / float16 constants already float32)
        self.input_shapes = {k: tuple(v) for k, v in (input_shapes or {}).items()}
        self.constant_inputs = dict(constant_inputs or {})
        self.unsupported = []  # (label, op name, reason)
        self.poisoned = set()  # outputs of unsupported ops (their consumers are skipped)
        # Resource variables (handlers/state.py): (container, shared_name) -> Variable, shared with the
        # init subgraph's importer, and the RESOURCE tensors of VAR_HANDLE: tensor index -> Variable.
        self.variables = {} if variables is None else variables
        self.handles = {}
        # Fully int8 models carry their own quantization, recorded like a QDQ ONNX model's
        # (converters/onnx_import/qdq.py): id(tensor) -> (tensor, QuantParams), and graph.qdq.
        self.qdq_tensors = {}
        self.qdq = QDQParams(round_float_values=True, requantization="float32")

    # ---- tensors ------------------------------------------------------------------------

    def name(self, i):
        return text(self.tensors[i].name) or f"tensor_{i}"

    def dtype(self, i):
        return TYPE_NAMES.get(self.tensors[i].type, str(self.tensors[i].type))

    def shape(self, i):
        """The shape of tensor i (a run-time value's edgenet shape, else the file's)."""
        if i in self.values:
            return self.values[i].shape
        return tuple(int(d) for d in (self.tensors[i].shape if self.tensors[i].shape is not None else []))

    def quantization(self, i):
        """(scale float32 array, zero point int64 array, axis) of tensor i, or None."""
        q = self.tensors[i].quantization
        if q is None or q.scale is None or len(q.scale) == 0:
            return None
        if q.details is not None:
            raise Unsupported(f"tensor {self.name(i)!r} uses custom/blockwise quantization")
        scale = np.asarray(q.scale, np.float32).reshape(-1)
        zp = np.asarray(q.zeroPoint if q.zeroPoint is not None and len(q.zeroPoint) else [0], np.int64).reshape(-1)
        return scale, np.broadcast_to(zp, scale.shape), int(q.quantizedDimension)

    def const(self, i):
        """The numpy value of constant tensor i (None for absent inputs and run-time values).
        Quantized constants come back dequantized to float32 (w = scale * (q - zero_point), exact
        for int8 weights), with their integers recorded for the int8 conversion; float16
        constants (fp16-weight models) come back as float32."""
        if i < 0 or i in self.values:
            return None
        if i not in self.consts:
            array = buffer_array(self.model, self.data, self.tensors[i], "model")
            if array is None:
                return None
            quant = self.quantization(i)
            if quant is not None and array.dtype.kind in "iu":
                array = self._dequantize_constant(i, array, *quant)
            elif array.dtype == np.float16:
                array = array.astype(np.float32)
            self.consts[i] = array
        return self.consts[i]

    def _dequantize_constant(self, i, q, scale, zero_point, axis):
        if scale.size > 1 and not 0 <= axis < q.ndim or scale.size not in (1, q.shape[axis] if q.ndim else 1):
            raise Unsupported(f"constant {self.name(i)!r}: {scale.size} scales do not fit its shape {q.shape}")
        shape = [1] * q.ndim
        if scale.size > 1:
            shape[axis] = -1
        real = (q.astype(np.float64) - zero_point.reshape(shape)) * scale.astype(np.float64).reshape(shape)
        if q.dtype == np.uint8 and (zero_point == 128).all():  # uint8 weights centred at 128 are symmetric int8
            q, zero_point = (q.astype(np.int16) - 128).astype(np.int8), np.zeros_like(zero_point)
        if q.dtype in (np.int8, np.uint8):
            self.qdq.weights.append(WeightQuant(q, scale, zero_point, axis if scale.size > 1 else 0))
        return real.astype(np.float32)

    def require_const(self, i, what):
        array = self.const(i)
        if array is None:
            raise Unsupported(f"{what} ({self.name(i)!r}) must be a constant")
        return array

    def tensor(self, i):
        """Tensor i as an edgenet tensor (constants become graph constants, integers keep their dtype)."""
        if i in self.values:
            return self.values[i]
        if i in self.handles:
            raise Unsupported(f"tensor {self.name(i)!r} is a variable handle: only READ_VARIABLE and ASSIGN_VARIABLE "
                              "take it")
        array = self.const(i)
        if array is None:
            raise TFLiteImportError(f"tensor {self.name(i)!r} is used before any operator computes it")
        # The ONNX importer's constant maker (keeps integer / bool dtypes); it only uses self.graph.
        return ONNXImporter.constant(self, array, name=self.name(i))

    def set(self, i, tensor, *also_quantized):
        """Record `tensor` as the value of tensor i. If i is an int8/uint8 tensor, its quantization
        is recorded for `tensor` and for `also_quantized` (a fused activation's input, which TFLite
        computes on the same grid before clamping)."""
        self.values[i] = tensor
        self._claim_name(tensor, self.name(i))
        params = self.activation_quant(i)
        if params is not None:
            for t in (tensor,) + also_quantized:
                self.qdq_tensors[id(t)] = (t, params)

    def activation_quant(self, i):
        """The int8 QuantParams of run-time int8/uint8 tensor i (uint8: zero point - 128), or None."""
        if self.tensors[i].type not in QUANTIZED_TYPES:
            return None
        quant = self.quantization(i)
        if quant is None:
            raise Unsupported(f"{self.dtype(i).lower()} tensor {self.name(i)!r} has no quantization parameters")
        scale, zero_point, _ = quant
        zero_point = zero_point.astype(NUMPY_DTYPES[self.tensors[i].type])
        params, reason = activation_params(scale, zero_point)
        if params is None:
            raise Unsupported(f"tensor {self.name(i)!r}: {reason}")
        return params

    def alias(self, i, tensor):
        """Tensor i is `tensor` itself (QUANTIZE / DEQUANTIZE: int8 values are held as their float meaning)."""
        self.values[i] = tensor
        params = self.activation_quant(i)
        if params is not None:
            self.qdq_tensors[id(tensor)] = (tensor, params)

    def _claim_name(self, tensor, name):
        g = self.graph
        if tensor.producer is None or tensor.name == name or name in g._names:
            return
        g._names.discard(tensor.name)
        g._names.add(name)
        tensor.name = name

    # ---- inputs / outputs -----------------------------------------------------------------

    def add_inputs(self):
        inputs = [int(i) for i in (self.sub.inputs if self.sub.inputs is not None else [])]
        names = [self.name(i) for i in inputs]
        check_input_options(self.input_shapes, self.constant_inputs, names, names, TFLiteImportError)
        for i in inputs:
            t = self.tensors[i]
            if self.name(i) in self.constant_inputs:
                self.consts[i] = self.constant_input(i)
                continue
            dtype = {S.TensorType.INT8: "float32", S.TensorType.UINT8: "float32"}.get(t.type)
            dtype = dtype or np.dtype(NUMPY_DTYPES.get(t.type, np.void)).name
            if dtype not in ("float32", "int32", "int64", "bool"):
                raise TFLiteImportError(f"input {self.name(i)!r} has type {self.dtype(i)}; edgenet model inputs "
                                        "are float32, int8, uint8, int32, int64 or bool")
            file_shape = tuple(int(d) for d in (t.shape if t.shape is not None else []))
            signature = tuple(int(d) for d in t.shapeSignature) if t.shapeSignature is not None and len(
                t.shapeSignature) else file_shape
            if self.name(i) in self.input_shapes:
                shape = self.input_shapes[self.name(i)]
                if len(shape) != len(file_shape):
                    raise TFLiteImportError(f"input_shapes[{self.name(i)!r}] = {shape} does not match the model's "
                                            f"rank {len(file_shape)}")
                # Like LiteRT's resize_tensor_input: any dim may change unless the file's shape signature
                # (written for models with dynamic dims) fixes it.
                fixed_dims = signature if signature is not file_shape else ()
                for d, (given, fixed) in enumerate(zip(shape, fixed_dims)):
                    if fixed > 0 and given not in (fixed, None, -1) and d > 0:
                        raise TFLiteImportError(f"input_shapes[{self.name(i)!r}] = {shape}: dim {d} is fixed to "
                                                f"{fixed} in the model")
            else:
                shape = tuple(None if d < 0 and k == 0 else d for k, d in enumerate(signature))
                if any(d is not None and d < 1 for d in shape):
                    raise TFLiteImportError(f"input {self.name(i)!r} has dynamic dims {signature}; pin them with "
                                            f"input_shapes={{{self.name(i)!r}: (...)}}")
            self.graph._names.discard(self.name(i))
            x = self.graph.input(self.name(i), shape, dtype)
            self.values[i] = x
            params = self.activation_quant(i)
            if params is not None:
                self.qdq_tensors[id(x)] = (x, params)

    def constant_input(self, i):
        """The value constant_inputs gives input tensor i, checked against its type and shape (a dynamic
        dim, -1 in the shape signature, takes any size)."""
        t, name = self.tensors[i], self.name(i)
        if t.type in QUANTIZED_TYPES:
            raise TFLiteImportError(f"input {name!r} is quantized ({self.dtype(i).lower()}); freezing quantized "
                                    "inputs is not supported (constant_inputs takes float, integer and bool inputs)")
        signature = t.shapeSignature if t.shapeSignature is not None and len(t.shapeSignature) else t.shape
        shape = [None if d < 0 else int(d) for d in (signature if signature is not None else [])]
        return constant_input_value(name, self.constant_inputs[name], NUMPY_DTYPES.get(t.type), shape,
                                    TFLiteImportError)

    def add_outputs(self):
        g = self.graph
        outputs = []
        indices = [int(i) for i in (self.sub.outputs if self.sub.outputs is not None else [])]
        for i in indices:
            if i not in self.values:
                raise TFLiteImportError(f"output {self.name(i)!r} is a constant or never computed")
            t = self.values[i]
            if t.producer is None or any(t is o for o in outputs):
                t = g.reshape(t, tuple(-1 if d is None else d for d in t.shape))  # an input or repeated output
                params = self.activation_quant(i)
                if params is not None:
                    self.qdq_tensors[id(t)] = (t, params)
            outputs.append(t)
        for i, t in zip(indices, outputs):
            name = self.name(i)
            g._names.discard(name)
            if t.name != name:
                g._names.discard(t.name)
                t.name = name
                g._names.add(name)
            g.outputs.append(t)
        io = [self.tensors[i].type for i in list(self.sub.inputs) + indices]
        self.qdq.io_dtype = "int8" if io and all(t == S.TensorType.INT8 for t in io) else "float32"

    # ---- operators ----------------------------------------------------------------------------

    def run(self):
        self.graph._names.update(self.name(int(i)) for i in (self.sub.outputs if self.sub.outputs is not None else []))
        self.add_inputs()
        for k, operator in enumerate(self.sub.operators or []):
            op = Op(k, op_name(self.model.operatorCodes[operator.opcodeIndex]), operator)
            label = f"operator {k} {op.name} -> {', '.join(repr(self.name(i)) for i in op.outputs)}"
            if any(i in self.poisoned for i in op.inputs):
                self.poisoned.update(op.outputs)
                continue
            try:
                handler = HANDLERS.get(op.name)
                custom = handler is None and is_custom(self.model.operatorCodes[operator.opcodeIndex])
                if custom and op.name in CUSTOM_OPS:  # edgenet.register_custom_op: kept as a custom op
                    handler = keep_custom_op
                if handler is None:
                    raise Unsupported("unknown custom op: register it with edgenet.register_custom_op (kept as a "
                                      "custom op, run by your kernel) or edgenet.converters.tflite_import."
                                      "register_custom_op (translated into edgenet ops)" if custom
                                      else "no edgenet translation for this op")
                handler(self, op)
            except Unsupported as e:
                self._unsupported(op, label, str(e))
            except (GraphBuildError, ValueError) as e:
                if isinstance(e, TFLiteImportError):
                    raise
                raise TFLiteImportError(f"{label}: {e}") from None
            else:
                missing = [self.name(i) for i in op.outputs
                           if i not in self.values and i not in self.consts and i not in self.handles]
                if missing:
                    self._unsupported(op, label, f"outputs {missing} are not supported")
        if self.unsupported:
            ops = sorted({name for _, name, _ in self.unsupported})
            lines = "\n".join(f"  - {label}: {reason}" for label, _, reason in self.unsupported)
            raise TFLiteImportError(f"{len(self.unsupported)} operator(s) cannot be imported; unsupported ops: "
                                    f"{', '.join(ops)}\n{lines}")
        state.assign_states(self)
        self.add_outputs()
        self.qdq.activations = {t.name: params for t, params in self.qdq_tensors.values()}
        self.graph.qdq = self.qdq if self.qdq_tensors else None
        return self.graph

    def _unsupported(self, op, label, reason):
        self.unsupported.append((label, op.name, reason))
        self.poisoned.update(op.outputs)


def load_bytes(source):
    """(bytes, label) of a .tflite path or bytes."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "model"
    path = os.fspath(source)
    if not os.path.exists(path):
        raise FileNotFoundError(f"TFLite model not found: {path}")
    with open(path, "rb") as f:
        return f.read(), path


def import_tflite(source, input_shapes=None, constant_inputs=None):
    """Import a .tflite model (a path or its bytes) into an edgenet Graph.

    input_shapes: {input name: shape} pinning dynamic dims or changing input sizes (e.g. the image
        size of a fully convolutional model). Without it the file's shapes are used; a dynamic
        (-1) batch dim stays dynamic.
    constant_inputs: {input name: value} freezing inputs to fixed values (of the input's type and shape):
        they are no longer inputs of the graph, and what is computed from them folds at conversion.
    The graph keeps the model's input/output names and shapes (TFLite is channels-last, like
    edgenet). Fully int8 models carry `graph.qdq` (their own scales and zero points)."""
    data, what = load_bytes(source)
    model, data = read_model(data, what)
    return Importer(model, data, input_shapes, constant_inputs=constant_inputs).run()
