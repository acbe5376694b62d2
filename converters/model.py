""".enet bytes <-> an inspectable EnetModel.

    model = edgenet.load("block.enet")
    model.inputs, model.outputs       # TensorInfo lists
    model.operators[0].opcode         # "CONV_2D"
    model.tensors[1].data             # constant data as a read-only numpy array
    model.metadata, model.producer, model.version
    model.states                      # StateInfo list (streaming state variables)
"""
import dataclasses
import os
import re

import numpy as np

from edgenet._schema import edgenet_generated as S

_DTYPE_NAMES = {v: k.lower() for k, v in vars(S.DataType).items() if not k.startswith("_")}
_OPCODE_NAMES = {v: k for k, v in vars(S.OpCode).items() if not k.startswith("_")}
_ACTIVATION_NAMES = {v: k.lower() for k, v in vars(S.Activation).items() if not k.startswith("_")}
_OPTIONS_TABLES = {v: k for k, v in vars(S.OperatorOptions).items() if not k.startswith("_") and k != "NONE"}


@dataclasses.dataclass
class TensorInfo:
    index: int
    name: str
    shape: tuple  # -1 marks a dynamic dim
    dtype: str  # numpy dtype name, e.g. "float32"
    buffer: int  # index into EnetModel.buffers, -1 for non-constant tensors
    quantization: dict = None  # {"scale": ndarray, "zero_point": ndarray, "axis": int} or None
    data: np.ndarray = dataclasses.field(default=None, repr=False)  # constants only


@dataclasses.dataclass
class StateInfo:
    """A state variable (schema StateVariable): the tensor ops read, its initial value, and the tensor
    it takes after a run (None: never changes)."""
    tensor: TensorInfo
    initial_value: TensorInfo
    assigned: TensorInfo = None


@dataclasses.dataclass
class OperatorInfo:
    opcode: str  # schema OpCode name, e.g. "CONV_2D"
    inputs: list  # tensor indices, -1 = absent optional input
    outputs: list
    options: dict  # the options table as {snake_case_field: value}, {} when absent
    activation: str  # "none", "relu", "relu6"
    name: str


def _snake(camel):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


def _read_options(table_name, table):
    """Every field of a generated options table object, as {snake_case: value}."""
    cls = getattr(S, table_name)
    options = cls()
    options.Init(table.Bytes, table.Pos)
    fields = {}
    for attr in dir(cls):
        # Field getters are the CamelCase methods that are not flatbuffers plumbing or vector helpers.
        if not attr[:1].isupper() or attr == "Init" or attr.startswith("GetRootAs"):
            continue
        if attr.endswith(("Length", "AsNumpy", "IsNone", "BufferHasIdentifier")):
            continue
        if hasattr(cls, attr + "Length"):  # a vector field: [ubyte] as bytes, [int] as a list
            values = getattr(options, attr + "AsNumpy")() if not getattr(options, attr + "IsNone")() else []
            is_bytes = isinstance(values, np.ndarray) and values.dtype == np.uint8
            fields[_snake(attr)] = values.tobytes() if is_bytes else [int(v) for v in values]
        else:
            value = getattr(options, attr)()
            fields[_snake(attr)] = _decode(value) if isinstance(value, bytes) else value  # a string field
    return fields


def _decode(s):
    return s.decode("utf-8") if s is not None else ""


class EnetModel:
    """A serialized model: its bytes plus a parsed view for inspection."""

    def __init__(self, data):
        self._data = bytes(data)
        try:
            self._parse()
        except ValueError:
            raise
        except Exception as e:  # the flatbuffers runtime raises assorted errors on corrupt input
            raise ValueError(f"not a valid edgenet model: {type(e).__name__}: {e}") from None

    def to_bytes(self):
        return self._data

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self._data)

    @property
    def size(self):
        """File size in bytes."""
        return len(self._data)

    @property
    def parameter_count(self):
        """Number of elements in all constant tensors."""
        return sum(int(np.prod(t.shape)) for t in self.tensors if t.buffer >= 0)

    def __repr__(self):
        return (f"<EnetModel {self.name!r}: {len(self.operators)} ops, {len(self.tensors)} tensors, "
                f"{self.size} bytes, {self.producer}, format v{self.version}>")

    # ---- parsing ---------------------------------------------------------------

    def _parse(self):
        data = self._data
        if len(data) < 8:
            raise ValueError(f"not a valid edgenet model: {len(data)} bytes is too short")
        if not S.Model.ModelBufferHasIdentifier(data, 0):
            raise ValueError(f"not an edgenet model: file identifier is {data[4:8]!r}, expected b'ENET'")
        model = S.Model.GetRootAs(data, 0)
        self.version = model.Version()
        self.producer = _decode(model.Producer())
        if model.SubgraphsLength() < 1:
            raise ValueError("not a valid edgenet model: no subgraphs")
        main = model.Subgraphs(0)
        self.name = _decode(main.Name())
        # A corrupt length could otherwise make us loop for a very long time.
        for what, length in (("tensors", main.TensorsLength()), ("operators", main.OperatorsLength()),
                             ("buffers", model.BuffersLength()), ("metadata", model.MetadataLength()),
                             ("states", main.StatesLength())):
            if length > len(data) // 4:
                raise ValueError(f"not a valid edgenet model: {length} {what} cannot fit in {len(data)} bytes")
        self.metadata = {}
        for i in range(model.MetadataLength()):
            entry = model.Metadata(i)
            self.metadata[_decode(entry.Key())] = _decode(entry.Value())
        self.buffers = [(model.Buffers(i).Offset(), model.Buffers(i).Size()) for i in range(model.BuffersLength())]
        self.tensors = [self._parse_tensor(i, main.Tensors(i)) for i in range(main.TensorsLength())]
        self.operators = [self._parse_operator(main.Operators(i)) for i in range(main.OperatorsLength())]
        self.inputs = [self._tensor_at(i) for i in main.InputsAsNumpy()] if not main.InputsIsNone() else []
        self.outputs = [self._tensor_at(i) for i in main.OutputsAsNumpy()] if not main.OutputsIsNone() else []
        self.states = []
        for i in range(main.StatesLength()):
            st = main.States(i)
            self.states.append(StateInfo(self._tensor_at(st.Tensor()), self._tensor_at(st.InitialValue()),
                                         None if st.Assigned() == -1 else self._tensor_at(st.Assigned())))

    def _tensor_at(self, index):
        if not 0 <= index < len(self.tensors):
            raise ValueError(f"not a valid edgenet model: tensor index {index} out of range")
        return self.tensors[int(index)]

    def _parse_tensor(self, index, t):
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if not t.ShapeIsNone() else ()
        dtype = _DTYPE_NAMES.get(t.Dtype())
        if dtype is None:
            raise ValueError(f"not a valid edgenet model: tensor {index} has unknown dtype {t.Dtype()}")
        info = TensorInfo(index, _decode(t.Name()), shape, dtype, t.Buffer())
        q = t.Quantization()
        if q is not None:
            info.quantization = {
                "scale": q.ScaleAsNumpy() if not q.ScaleIsNone() else np.zeros(0, np.float32),
                # absent: all zero (format v2 omits all-zero zero points)
                "zero_point": q.ZeroPointAsNumpy() if not q.ZeroPointIsNone() else
                np.zeros(0 if q.ScaleIsNone() else q.ScaleLength(), np.int64),
                "axis": q.Axis(),
            }
        if info.buffer >= 0:
            info.data = self._buffer_data(info)
        return info

    def _buffer_data(self, info):
        """A read-only view of a constant tensor's data, after checking its byte range."""
        if info.buffer >= len(self.buffers):
            raise ValueError(f"not a valid edgenet model: tensor {info.name!r} uses missing buffer {info.buffer}")
        offset, size = self.buffers[info.buffer]
        itemsize = np.dtype(info.dtype).itemsize
        expected = int(np.prod(info.shape)) * itemsize
        if offset % 64 or size != expected or offset + size > len(self._data) or min(info.shape, default=1) < 1:
            raise ValueError(f"not a valid edgenet model: tensor {info.name!r} {info.shape} {info.dtype} has bad "
                             f"buffer (offset {offset}, size {size}, file size {len(self._data)})")
        array = np.frombuffer(self._data, dtype=np.dtype(info.dtype).newbyteorder("<"), count=size // itemsize,
                              offset=offset)
        return array.reshape(info.shape)

    def _parse_operator(self, op):
        table_name = _OPTIONS_TABLES.get(op.OptionsType())
        table = op.Options()
        options = _read_options(table_name, table) if table_name is not None and table is not None else {}
        return OperatorInfo(
            opcode=_OPCODE_NAMES.get(op.Opcode(), f"UNKNOWN({op.Opcode()})"),
            inputs=[int(i) for i in op.InputsAsNumpy()] if not op.InputsIsNone() else [],
            outputs=[int(i) for i in op.OutputsAsNumpy()] if not op.OutputsIsNone() else [],
            options=options,
            activation=_ACTIVATION_NAMES.get(op.Activation(), f"unknown({op.Activation()})"),
            name=_decode(op.Name()),
        )


def load(path_or_bytes):
    """Read a .enet file (path, or its bytes) into an EnetModel for inspection."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return EnetModel(path_or_bytes)
    with open(os.fspath(path_or_bytes), "rb") as f:
        return EnetModel(f.read())
