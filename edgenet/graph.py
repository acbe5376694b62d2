"""The IR and the Python graph builder.

A `Graph` holds its input tensors, its nodes in topological (execution) order and its
named outputs. A `Node` is an op name, input tensors, output tensors and an attrs dict;
a `Tensor` is a symbolic value with a shape (None = a dynamic dim), a dtype, and for
constants its numpy data. Passes rewrite `graph.nodes` directly (see converters/passes.py).

Builder methods (`g.conv2d`, `g.add`, ...) are not written here: each op's builder lives
with the rest of its definition in edgenet/ops/, and `_install_builders` attaches them
to `Graph` under the op's name.

    g = edgenet.Graph("block")
    x = g.input("image", shape=(1, 32, 32, 3))
    y = g.conv2d(x, w, b, strides=2, padding="same", activation="relu6")
    g.output(g.softmax(g.fully_connected(g.mean(y, axis=(1, 2)), fw, fb)), "probs")

Streaming state (a value kept across the runs of one Interpreter, see `Graph.state`):

    h = g.state("h", np.zeros((1, 16), np.float32))   # h's value at the start of a run
    h_new = g.tanh(g.fully_connected(h, w) + x)
    g.assign(h, h_new)                                 # kept for the next run
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


class DataDependentError(GraphBuildError):
    """Python control flow (or int()/len()) needs a tensor's run-time value, which a static graph
    does not have while it is built: the message points at edgenet.cond / edgenet.while_loop."""


def _data_dependent(tensor, what):
    return DataDependentError(
        f"{what} of {tensor!r} needs its run-time value, which a graph does not have while it is built "
        f"(at {_user_location()}). Branch on a tensor with edgenet.cond(pred, true_fn, false_fn, *operands) "
        "and loop on one with edgenet.while_loop(cond_fn, body_fn, loop_vars); Python if/for over "
        "static values (shapes, constants, arguments) are fine and unroll while tracing")


class Tensor:
    """A symbolic value in a graph.

    Operators build ops in the tensor's graph (section "operators" below): `+ - * / ** @`, unary
    minus, `< <= > >=`, basic indexing, `.reshape`, `.transpose`, `.mean`, `.sum`; numpy arrays and
    Python scalars mix in as constants on either side. `==` / `!=` stay identity comparisons
    (tensors are looked up in lists by identity throughout the converter): use `g.equal`."""

    # Make numpy defer to our reflected operators in `array + tensor`.
    __array_ufunc__ = None
    __hash__ = object.__hash__

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

    # ---- operators (tracing plain Python; see edgenet/tracing.py) -------------------------

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

    def __truediv__(self, other):
        return self.graph.div(self, other)

    def __rtruediv__(self, other):
        return self.graph.div(other, self)

    def __pow__(self, other):
        return self.graph.pow(self, other)

    def __rpow__(self, other):
        return self.graph.pow(other, self)

    def __matmul__(self, other):
        return self.graph.matmul(self, other)

    def __rmatmul__(self, other):
        return self.graph.matmul(other, self)

    def __neg__(self):
        return self.graph.mul(self, -1.0)

    def __lt__(self, other):
        return self.graph.less(self, other)

    def __le__(self, other):
        return self.graph.less_equal(self, other)

    def __gt__(self, other):
        return self.graph.greater(self, other)

    def __ge__(self, other):
        return self.graph.greater_equal(self, other)

    def reshape(self, *shape):
        """x.reshape(2, -1) or x.reshape((2, -1)); a dynamic dim needs the -1."""
        shape = shape[0] if len(shape) == 1 and not np.isscalar(shape[0]) else shape
        return self.graph.reshape(self, shape)

    def transpose(self, *perm):
        """x.transpose(1, 0, 2) or x.transpose((1, 0, 2)); no argument reverses the dims (numpy)."""
        perm = perm[0] if len(perm) == 1 and not np.isscalar(perm[0]) else perm
        return self.graph.transpose(self, perm or tuple(range(self.ndim - 1, -1, -1)))

    @property
    def T(self):
        return self.transpose()

    def mean(self, axis=None, keepdims=False):
        return self.graph.mean(self, tuple(range(self.ndim)) if axis is None else axis, keepdims=keepdims)

    def sum(self, axis=None, keepdims=False):
        return self.graph.reduce_sum(self, tuple(range(self.ndim)) if axis is None else axis, keepdims=keepdims)

    def __getitem__(self, key):
        return index_tensor(self, key)

    # A tensor's value is unknown while the graph is built: Python control flow on it is an error.
    def __bool__(self):
        raise _data_dependent(self, "a Python `if` / `while` / `and` / `or` / `not` on the value")

    def __int__(self):
        raise _data_dependent(self, "int()")

    def __float__(self):
        raise _data_dependent(self, "float()")

    def __index__(self):
        raise _data_dependent(self, "using as a Python index / size")

    def __len__(self):
        if not self.shape:
            raise _build_error("len", f"len() of the scalar {self!r}")
        if self.shape[0] is None:
            raise _data_dependent(self, "len() of the dynamic first dim")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):  # unrolls over a static first dim, as numpy iterates rows
            yield self[i]

    def __array__(self, dtype=None, copy=None):
        # Without this numpy would read a tensor as a nested sequence through __getitem__.
        raise _data_dependent(self, "converting to a numpy array")


# ---- tensor indexing: x[1:, ::2, -1, None, ...] (Tensor.__getitem__) -------------------------------

_WHOLE_DIM = (0, int(np.iinfo(np.int32).max), 1)  # the slice op's begin/end/stride for "all of it"


def index_tensor(x, key):
    """numpy basic indexing on a Tensor (ints, slices with steps, negative indices, Ellipsis, None)
    as one slice op plus a reshape dropping int-indexed dims and adding None dims; a Tensor key
    is numpy.take along axis 0 (g.gather)."""
    g = x.graph
    if isinstance(key, Tensor):
        return g.gather(x, key, axis=0)
    key = key if isinstance(key, tuple) else (key,)
    if any(isinstance(k, Tensor) for k in key):
        raise _build_error("getitem", "a tensor index together with other indices; use x.graph.gather")
    key = _expand_ellipsis(key, x.ndim)
    begin, end, strides, out_shape, sliced = [], [], [], [], False
    dim = 0
    for k in key:
        if k is None:
            out_shape.append(1)
            continue
        size = x.shape[dim]
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            if size is None:
                raise _build_error("getitem", f"an integer index into dynamic dim {dim} of {x!r}; a dynamic dim "
                                   "can only be taken whole")
            if not -size <= k < size:
                raise _build_error("getitem", f"index {k} is out of range for dim {dim} of size {size} of {x!r}")
            b = int(k) % size
            begin.append(b), end.append(b + 1), strides.append(1)
            sliced = sliced or size != 1
        elif isinstance(k, slice):
            if size is None:
                if k.start not in (None, 0) or k.stop is not None or k.step not in (None, 1):
                    raise _build_error("getitem", f"slicing dynamic dim {dim} of {x!r} with {k}; a dynamic dim "
                                       "can only be taken whole (:)")
                b, e, s = _WHOLE_DIM
                out_shape.append(None)
            else:
                b, e, s = k.indices(size)
                n = len(range(b, e, s))
                if n == 0:
                    raise _build_error("getitem", f"{k} of dim {dim} (size {size}) of {x!r} is empty")
                sliced = sliced or n != size or s != 1
                e = e if e >= 0 else -size - 1  # a negative step running past the start, in Python terms
                out_shape.append(n)
            begin.append(b), end.append(e), strides.append(s)
        else:
            raise _build_error("getitem", f"index {k!r} of type {type(k).__name__}: use ints, slices, "
                               "Ellipsis, None or an integer Tensor")
        dim += 1
    y = g.slice(x, begin, end, strides) if sliced else x
    if tuple(out_shape) == y.shape:
        return y
    if out_shape.count(None) > 1:
        raise _build_error("getitem", f"the result {tuple(out_shape)} would need a reshape with two dynamic dims")
    return g.reshape(y, tuple(-1 if d is None else d for d in out_shape))


def _expand_ellipsis(key, rank):
    """The key with Ellipsis replaced and trailing dims filled by full slices (one entry per dim,
    plus the None entries)."""
    if sum(k is Ellipsis for k in key) > 1:
        raise _build_error("getitem", "an index can only have a single ellipsis ('...')")
    consumed = sum(k is not None and k is not Ellipsis for k in key)
    if consumed > rank:
        raise _build_error("getitem", f"too many indices ({consumed}) for a rank-{rank} tensor")
    fill = (slice(None),) * (rank - consumed)
    if any(k is Ellipsis for k in key):
        at = next(i for i, k in enumerate(key) if k is Ellipsis)
        return key[:at] + fill + key[at + 1:]
    return key + fill


class State:
    """A state variable: `tensor` (read by ops) holds its value at the start of a run, `initial` is
    the constant it starts from, `assigned` the tensor whose value it keeps after a run (None: it
    never changes). Made by Graph.state / Graph.assign."""

    def __init__(self, tensor, initial, assigned=None):
        self.tensor = tensor
        self.initial = initial
        self.assigned = assigned

    @property
    def name(self):
        return self.tensor.name

    def __repr__(self):
        assigned = "-" if self.assigned is None else self.assigned.name
        return f"<state {self.name!r} {fmt_shape(self.tensor.shape)} {self.tensor.dtype} <- {assigned}>"


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
        self.states = []  # State, in the order they were made
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
        """Declare a graph input. None (or -1) marks a dim open at build time (a dynamic batch, a
        sequence length, an image width): its size comes with the feed at run time
        (Interpreter.resize_input)."""
        dtype = np.dtype(dtype).name
        if dtype not in INPUT_DTYPES:
            raise _build_error("input", f"{name!r}: dtype {dtype} is not supported (use one of {INPUT_DTYPES})")
        dims = tuple(None if d is None or d == -1 else d for d in shape)
        for d in dims:
            if d is not None and not (isinstance(d, (int, np.integer)) and d >= 1):
                raise _build_error("input", f"{name!r}: bad shape {tuple(shape)}: dims must be positive ints, or "
                                   "None / -1 for a dim open at build time")
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
        data = np.array(data, order="C")  # (not ascontiguousarray: it makes a scalar shape (1,))
        data.setflags(write=False)  # constants are shared by graph copies; keep them immutable
        return Tensor(self, self._unique_name(name, self._names), data.shape, "float32", data=data)

    def _as_tensor(self, value, name, op_name):
        """`value` if it is a tensor of this graph; numbers and arrays become constants named `name`."""
        if not isinstance(value, Tensor):
            return self.constant(value, name=name)
        self._check_owned(value, op_name)
        return value

    def state(self, name, initial_value):
        """A state variable: returns a tensor holding the state's value at the start of a run.

        The state starts at `initial_value` (numbers, stored as float32; its shape is the
        state's) when an Interpreter is created and after `Interpreter.reset_state()`, and keeps
        the value given by `assign` from one `run` to the next.
        """
        if name in self._names:
            raise _build_error("state", f"name {name!r} is already used in graph {self.name!r}")
        initial = self.constant(initial_value, name=f"{name}/initial")
        self._names.add(name)
        tensor = Tensor(self, name, initial.shape, initial.dtype)
        self.states.append(State(tensor, initial))
        return tensor

    def assign(self, state, value):
        """Store `value` (a tensor of the state's shape and dtype) in `state` at the end of a run:
        the next run reads it. One assign per state; reads during the run see the old value."""
        record = next((s for s in self.states if s.tensor is state), None)
        if record is None:
            if isinstance(state, Tensor) and state.graph is self:
                raise _build_error("assign", f"{state!r} is not a state; make one with g.state(name, initial_value)")
            self._check_owned(state, "assign")
        if not isinstance(value, Tensor):
            value = self.constant(value, name=f"{record.name}/value")
        self._check_owned(value, "assign")
        if value.shape != state.shape or value.dtype != state.dtype:
            raise _build_error("assign", f"state {record.name!r} is {fmt_shape(state.shape)} {state.dtype}, "
                               f"the value {fmt_shape(value.shape)} {value.dtype}")
        if record.assigned is not None:
            raise _build_error("assign", f"state {record.name!r} is already assigned ({record.assigned!r}); "
                               "a state takes one value per run")
        record.assigned = value

    @property
    def kept_tensors(self):
        """Tensors whose values outlive a run: the outputs and the values assigned to states.
        Passes keep each of them (the same Tensor object, the same value)."""
        return self.outputs + [s.assigned for s in self.states if s.assigned is not None]

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
        states = [t for s in self.states for t in (s.tensor, s.initial, s.assigned)]
        for t in self.inputs + [t for n in self.nodes for t in n.inputs + n.outputs] + self.outputs + states:
            if t is not None and id(t) not in seen:
                seen.add(id(t))
                order.append(t)
        return order

    def bodies(self):
        """The control-flow bodies (Graphs) of this graph's nodes (cond branches, while_loop condition
        and body), not those nested deeper."""
        return [node.attrs[attr] for node in self.nodes for attr in node.opdef.body_attrs]

    def consumers(self, tensor):
        """Nodes that read `tensor`."""
        return [n for n in self.nodes if any(t is tensor for t in n.inputs)]

    def copy(self, _namespace=None):
        """An independent graph with the same structure (constant arrays are shared, read-only).
        Control-flow bodies are copied with it, sharing the copy's name sets (`_namespace`), so names
        made later by passes or the quantizer stay unique across a graph and its bodies."""
        new = Graph(self.name)
        new._names, new._node_names = _namespace or (set(self._names), set(self._node_names))
        clones = {}

        def clone(t):
            if t is None:
                return None
            if id(t) not in clones:
                clones[id(t)] = Tensor(new, t.name, t.shape, t.dtype, data=t.data, quant=t.quant)
            return clones[id(t)]

        new.inputs = [clone(t) for t in self.inputs]
        for n in self.nodes:
            # Control-flow bodies: copied too, so passes on the copy never touch the original's bodies.
            namespace = (new._names, new._node_names)
            attrs = {k: v.copy(namespace) if isinstance(v, Graph) else v for k, v in n.attrs.items()}
            node = Node(n.op, [clone(t) for t in n.inputs], [clone(t) for t in n.outputs], attrs, n.name)
            for t in node.outputs:
                t.producer = node
            new.nodes.append(node)
        new.outputs = [clone(t) for t in self.outputs]
        new.states = [State(clone(s.tensor), clone(s.initial), clone(s.assigned)) for s in self.states]
        return new

    # ---- control-flow bodies (edgenet/ops/control_flow.py) -----------------------

    def _trace_body(self, fn, templates, name):
        """Call `fn` on new tensors shaped like `templates` and record the ops it adds with this
        graph's builders as a body Graph of its own (a subgraph in the file), not in `self.nodes`.

        Returns (body, params, results, captures): `captures` are the non-constant tensors of
        enclosing scopes the body reads (they become extra inputs of the control-flow op; the
        caller gives the body one input per capture with `_close_body`). Constants are shared."""
        params = [Tensor(self, self._unique_name(f"{name}/{t.name}", self._names), t.shape, t.dtype, quant=t.quant)
                  for t in templates]
        outer_nodes, self.nodes = self.nodes, []
        try:
            results = fn(*params)
        finally:
            nodes, self.nodes = self.nodes, outer_nodes
        single = not isinstance(results, (tuple, list))
        results = [results] if single else list(results)
        for i, r in enumerate(results):
            if not isinstance(r, Tensor):
                raise _build_error(name, f"result {i} is a {type(r).__name__}; a body returns tensors")
        inside = {id(t) for t in params} | {id(t) for n in nodes for t in n.outputs}
        captures, seen = [], set()
        for t in [t for n in nodes for t in n.inputs] + results:
            if t is not None and not t.is_constant and id(t) not in inside and id(t) not in seen:
                seen.add(id(t))
                captures.append(t)
        body = Graph(name)
        body._names, body._node_names = self._names, self._node_names  # one namespace: names stay unique
        body.nodes, body.outputs, body.inputs = nodes, results, list(params)
        return body, params, results, captures, single

    def _close_body(self, body, all_captures):
        """Give `body` one input per tensor of `all_captures` (in that order), after its own
        parameters, and make its ops read those inputs instead of the outer tensors."""
        placeholder = {}
        for t in all_captures:
            p = Tensor(body, self._unique_name(f"{body.name}/{t.name}", self._names), t.shape, t.dtype, quant=t.quant)
            placeholder[id(t)] = p
            body.inputs.append(p)
        for n in body.nodes:
            n.inputs = [placeholder.get(id(t), t) if t is not None else None for t in n.inputs]
        body.outputs = [placeholder.get(id(t), t) for t in body.outputs]
        for t in body.tensors:  # the body's own tensors now belong to it: using one outside is an error
            if not t.is_constant:
                t.graph = body

    def __repr__(self):
        lines = [f"Graph {self.name!r}"]
        lines += [f"  input  {t!r}" for t in self.inputs]
        lines += [f"  {n!r}" for n in self.nodes]
        lines += [f"  output {t!r}" for t in self.outputs]
        lines += [f"  {s!r}" for s in self.states]
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
