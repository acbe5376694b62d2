"""The IR and the Python graph builder.

A `Graph` holds its input tensors, its nodes in topological (execution) order and its
named outputs. A `Node` is an op name, input tensors, output tensors and an attrs dict;
a `Tensor` is a symbolic value with a shape (None = dynamic batch), a dtype, and for
constants its numpy data. Passes rewrite `graph.nodes` directly (see converters/passes.py).

Builder methods (`g.conv2d`, `g.add`, ...) are not written here: each op's builder lives
with the rest of its definition in edgenet/ops/, and `_install_builders` attaches them
to `Graph` under the op's name.

    g = edgenet.Graph("block")
    x = g.input("image", shape=(1, 32, 32, 3))
    y = g.conv2d(x, w, b, strides=2, padding="same", activation="relu6")
    g.output(g.softmax(g.fully_connected(g.mean(y, axis=(1, 2)), fw, fb)), "probs")
"""
import functools
import inspect
import sys

import numpy as np

from . import ops
from .ops.base import fmt_shape
from .quant_math import QuantParams  # noqa: F401  (edgenet.graph.QuantParams: a tensor's quant)

# dtypes a graph input may have in this version (quantized tensors come from converters).
# Integer and bool inputs carry indices and masks (ONNX models feed them); arithmetic is float32.
INPUT_DTYPES = ("float32", "int32", "int64", "bool")


class GraphBuildError(ValueError):
    """A bad builder call: the message names the op, the problem and the user's file:line."""


def _user_location():
    """file:line of the innermost caller outside the edgenet package (the user's line)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "edgenet":
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _build_error(op_name, message):
    return GraphBuildError(f"{op_name}: {message} (at {_user_location()})")


class Tensor:
    """A symbolic value in a graph. Supports `+ - *` with tensors, numpy arrays and scalars."""

    # Make numpy defer to our reflected operators in `array + tensor`.
    __array_ufunc__ = None

    def __init__(self, graph, name, shape, dtype, data=None, quant=None):
        self.graph = graph
        self.name = name
        self.shape = tuple(shape)
        self.dtype = dtype
        self.data = data  # numpy array for constants, else None
        self.quant = quant  # QuantParams or None
        self.producer = None  # the Node that computes it (None for inputs and constants)

    @property
    def is_constant(self):
        return self.data is not None

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        kind = "constant" if self.is_constant else "tensor"
        return f"<{kind} {self.name!r} {fmt_shape(self.shape)} {self.dtype}>"

    def __add__(self, other):
        return self.graph.add(self, other)

    def __radd__(self, other):
        return self.graph.add(other, self)

    def __sub__(self, other):
        return self.graph.sub(self, other)

    def __rsub__(self, other):
        return self.graph.sub(other, self)

    def __mul__(self, other):
        return self.graph.mul(self, other)

    def __rmul__(self, other):
        return self.graph.mul(other, self)

    def __neg__(self):
        return self.graph.mul(self, -1.0)


class Node:
    """One op application. `attrs` holds the op's canonical attributes (see its OpDef)."""

    def __init__(self, op, inputs, outputs, attrs, name):
        self.op = op
        self.inputs = list(inputs)  # Tensor, or None for an absent optional input
        self.outputs = list(outputs)
        self.attrs = attrs
        self.name = name

    @property
    def opdef(self):
        return ops.get(self.op)

    def __repr__(self):
        ins = ", ".join("-" if t is None else t.name for t in self.inputs)
        outs = ", ".join(t.name for t in self.outputs)
        return f"<node {self.name}: {self.op}({ins}) -> {outs}>"


class Graph:
    """A static graph: inputs, nodes in execution order, named outputs."""

    def __init__(self, name="main"):
        self.name = name
        self.inputs = []
        self.nodes = []
        self.outputs = []
        # Names in use, kept unique. Nodes have their own namespace, so a node and its
        # single output tensor can share a name ("conv2d_1").
        self._names = set()
        self._node_names = set()

    # ---- naming ----------------------------------------------------------------

    @staticmethod
    def _unique_name(base, used):
        name, k = base, 1
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        return name

    # ---- graph interface -------------------------------------------------------

    def input(self, name, shape, dtype="float32"):
        """Declare a graph input. A leading None or -1 in `shape` marks a dynamic batch."""
        dtype = np.dtype(dtype).name
        if dtype not in INPUT_DTYPES:
            raise _build_error("input", f"{name!r}: dtype {dtype} is not supported (use one of {INPUT_DTYPES})")
        dims = tuple(None if d is None or d == -1 else d for d in shape)
        for i, d in enumerate(dims):
            dynamic_batch = d is None and i == 0
            if not dynamic_batch and not (isinstance(d, (int, np.integer)) and d >= 1):
                raise _build_error("input", f"{name!r}: bad shape {tuple(shape)}: dims must be positive ints; only "
                                   "the first (batch) dim may be None or -1")
        if name in self._names:
            raise _build_error("input", f"name {name!r} is already used in graph {self.name!r}")
        self._names.add(name)
        t = Tensor(self, name, tuple(int(d) if d is not None else None for d in dims), dtype)
        self.inputs.append(t)
        return t

    def output(self, tensor, name=None):
        """Mark `tensor` as a graph output, renaming it to `name` if given."""
        self._check_owned(tensor, "output")
        if tensor.is_constant or tensor in self.inputs or tensor.producer is None:
            raise _build_error("output", f"{tensor!r} is not computed by any op; outputs must be op results")
        if any(t is tensor for t in self.outputs):
            raise _build_error("output", f"{tensor!r} is already an output")
        if name is not None and name != tensor.name:
            if name in self._names:
                raise _build_error("output", f"name {name!r} is already used in graph {self.name!r}")
            self._names.discard(tensor.name)
            self._names.add(name)
            tensor.name = name
        self.outputs.append(tensor)
        return tensor

    def constant(self, value, name="const"):
        """A constant tensor from a numpy array or scalar (numbers become float32)."""
        data = np.asarray(value)
        if data.dtype.kind in "biuf":
            data = data.astype(np.float32)
        else:
            raise _build_error("constant", f"{name!r}: cannot use dtype {data.dtype} (need numbers)")
        if data.size == 0:
            raise _build_error("constant", f"{name!r}: empty array of shape {data.shape}")
        data = np.ascontiguousarray(data)
        data.setflags(write=False)  # constants are shared by graph copies; keep them immutable
        return Tensor(self, self._unique_name(name, self._names), data.shape, "float32", data=data)

    def _check_owned(self, tensor, op_name):
        if not isinstance(tensor, Tensor):
            raise _build_error(op_name, f"expected an edgenet Tensor, got {type(tensor).__name__}")
        if tensor.graph is not self:
            raise _build_error(op_name, f"{tensor!r} belongs to graph {tensor.graph.name!r}, not {self.name!r}")

    # ---- nodes -----------------------------------------------------------------

    def make_node(self, op, inputs, attrs, name=None, outputs=None):
        """Create a node (not yet placed in `self.nodes`): arrays/scalars among `inputs`
        become constants, and output shapes come from the op's shape rule. Pass
        `outputs` to reuse existing tensors (rewrites keep consumers wired)."""
        opdef = ops.get(op)
        name = self._unique_name(name or op, self._node_names)
        tensors = []
        for i, value in enumerate(inputs):
            role = opdef.input_names[min(i, len(opdef.input_names) - 1)]
            if len(inputs) > len(opdef.input_names):  # variadic (concat): input0, input1, ...
                role = f"{role}{i}"
            if value is None or isinstance(value, Tensor):
                if value is not None:
                    self._check_owned(value, op)
                tensors.append(value)
            else:
                tensors.append(self.constant(value, name=f"{name}/{role}"))
        attrs = dict(attrs)
        try:
            inferred = opdef.infer(tensors, attrs)
        except GraphBuildError:
            raise
        except ValueError as e:
            raise _build_error(op, str(e)) from None
        if outputs is None:
            base = name if len(inferred) == 1 else None
            outputs = [
                Tensor(self, self._unique_name(base or f"{name}:{k}", self._names), shape, dtype)
                for k, (shape, dtype) in enumerate(inferred)
            ]
        else:
            for t, (shape, dtype) in zip(outputs, inferred):
                if t.shape != tuple(shape) or t.dtype != dtype:
                    raise _build_error(op, f"rewrite gives {fmt_shape(shape)} {dtype} for {t!r}")
        node = Node(op, tensors, outputs, attrs, name)
        for t in outputs:
            t.producer = node
        return node

    def add_node(self, op, inputs, attrs, name=None):
        """Append a node computing `op` on `inputs`; returns its output tensors."""
        node = self.make_node(op, inputs, attrs, name=name)
        self.nodes.append(node)
        return node.outputs

    # ---- inspection and copying -------------------------------------------------

    @property
    def tensors(self):
        """Every tensor the graph uses, each once: inputs, then node inputs/outputs in order."""
        seen, order = set(), []
        for t in self.inputs + [t for n in self.nodes for t in n.inputs + n.outputs] + self.outputs:
            if t is not None and id(t) not in seen:
                seen.add(id(t))
                order.append(t)
        return order

    def consumers(self, tensor):
        """Nodes that read `tensor`."""
        return [n for n in self.nodes if any(t is tensor for t in n.inputs)]

    def copy(self):
        """An independent graph with the same structure (constant arrays are shared, read-only)."""
        new = Graph(self.name)
        new._names, new._node_names = set(self._names), set(self._node_names)
        clones = {}

        def clone(t):
            if t is None:
                return None
            if id(t) not in clones:
                clones[id(t)] = Tensor(new, t.name, t.shape, t.dtype, data=t.data, quant=t.quant)
            return clones[id(t)]

        new.inputs = [clone(t) for t in self.inputs]
        for n in self.nodes:
            node = Node(n.op, [clone(t) for t in n.inputs], [clone(t) for t in n.outputs], dict(n.attrs), n.name)
            for t in node.outputs:
                t.producer = node
            new.nodes.append(node)
        new.outputs = [clone(t) for t in self.outputs]
        return new

    def __repr__(self):
        lines = [f"Graph {self.name!r}"]
        lines += [f"  input  {t!r}" for t in self.inputs]
        lines += [f"  {n!r}" for n in self.nodes]
        lines += [f"  output {t!r}" for t in self.outputs]
        return "\n".join(lines)


def _install_builders():
    """Attach each registered op's builder as a Graph method named after the op."""

    def make_method(opdef):
        @functools.wraps(opdef.build)
        def method(self, *args, **kwargs):
            try:
                return opdef.build(self, *args, **kwargs)
            except GraphBuildError:
                raise
            except ValueError as e:  # argument checks in build(): add op name and user's line
                raise _build_error(opdef.name, str(e)) from None

        # help(g.conv2d) shows the builder's own signature (minus its `g` argument).
        params = list(inspect.signature(opdef.build).parameters.values())[1:]
        method.__signature__ = inspect.Signature([inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)] + params)
        method.__name__ = opdef.name
        return method

    for name, opdef in ops.REGISTRY.items():
        if hasattr(Graph, name):
            raise RuntimeError(f"op name {name!r} clashes with a Graph attribute")
        setattr(Graph, name, make_method(opdef))


_install_builders()
