"""ONNX LSTM, GRU and RNN.

LSTM and GRU import onto the fused `lstm` / `gru` ops (edgenet/ops/recurrent.py): one node whatever
the sequence length, which may stay dynamic (known only at run time). Supported there: directions
forward / reverse / bidirectional, layout 0 and 1, initial_h / initial_c as run-time inputs or
constants, linear_before_reset 0/1 (GRU), all outputs, the default activations, sequence_lens absent
or equal to the sequence length everywhere.

What the fused ops do not compute -- peepholes (LSTM's P), activations other than the defaults, and
the plain RNN op -- is unrolled over a fixed sequence length into plain edgenet ops (_Unroller below:
every step fully_connected + add + sigmoid/tanh/relu + mul). With a dynamic sequence length those are
refused with the reason. Refused always: clip, input_forget, shorter sequence_lens.
"""
import numpy as np

from ..registry import Unsupported, handles, input_name

GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}  # gate blocks stacked in W / R (ONNX order)
DEFAULT_ACTIVATIONS = {"RNN": ["Tanh"], "GRU": ["Sigmoid", "Tanh"], "LSTM": ["Sigmoid", "Tanh", "Tanh"]}
ACTIVATIONS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu"}  # ONNX name (lowercase) -> edgenet op


def _dims(*dims):
    """A reshape target: None (the dynamic batch) becomes -1."""
    return tuple(-1 if d is None else int(d) for d in dims)


def _activations(node, attrs, directions):
    """[[edgenet op per activation slot] per direction]."""
    per_direction = len(DEFAULT_ACTIVATIONS[node.op_type])
    names = attrs.get("activations")
    if names is None:
        names = DEFAULT_ACTIVATIONS[node.op_type] * directions
    names = [n.decode() if isinstance(n, bytes) else n for n in names]
    if len(names) != per_direction * directions:
        raise Unsupported(f"{len(names)} activations given, expected {per_direction * directions}")
    ops = []
    for name in names:
        if name.lower() not in ACTIVATIONS:
            raise Unsupported(f"activation {name!r} (supported: Sigmoid, Tanh, Relu)")
        ops.append(ACTIVATIONS[name.lower()])
    return [ops[d * per_direction:(d + 1) * per_direction] for d in range(directions)]


class _Unroller:
    """Emits one recurrent node's ops. Steps work on (batch, hidden) tensors."""

    def __init__(self, imp, node, attrs):
        self.imp, self.g, self.node, self.kind = imp, imp.graph, node, node.op_type
        if attrs.get("clip") is not None:
            raise Unsupported("the clip attribute")
        if attrs.get("input_forget", 0):
            raise Unsupported("input_forget (coupled input and forget gates)")
        direction = attrs.get("direction", b"forward")
        direction = direction.decode() if isinstance(direction, bytes) else direction
        if direction not in ("forward", "reverse", "bidirectional"):
            raise Unsupported(f"direction {direction!r}")
        self.direction = direction
        self.directions = 2 if direction == "bidirectional" else 1
        self.layout = attrs.get("layout", 0)
        self.linear_before_reset = attrs.get("linear_before_reset", 0)
        x = imp.value(node.input[0])
        if x.is_const or x.rank != 3:
            raise Unsupported("X must be a rank-3 run-time tensor")
        if x.tensor.dtype != "float32":
            raise Unsupported(f"X has dtype {x.tensor.dtype}; only float32 is supported")
        self.x = imp.tensor(node.input[0])
        self.steps = x.shape[1 if self.layout else 0]
        self.batch = x.shape[0 if self.layout else 1]
        if self.steps is None:
            raise Unsupported("a dynamic sequence length; pin it with input_shapes")
        gates = GATES[self.kind]
        self.w = imp.require_const(node.input[1], "W").astype(np.float32)
        self.r = imp.require_const(node.input[2], "R").astype(np.float32)
        self.hidden = attrs.get("hidden_size") or self.r.shape[-1]
        h = self.hidden
        expected = {"W": (self.directions, gates * h, x.shape[2]), "R": (self.directions, gates * h, h)}
        for what, array in (("W", self.w), ("R", self.r)):
            if array.shape != expected[what]:
                raise Unsupported(f"{what} has shape {array.shape}, expected {expected[what]}")
        b = imp.require_const(input_name(node, 3), "B")
        self.b = np.zeros((self.directions, 2 * gates * h), np.float32) if b is None else b.astype(np.float32)
        self._check_sequence_lens(input_name(node, 4))
        self.peepholes = None
        if self.kind == "LSTM":
            p = imp.require_const(input_name(node, 7), "P")
            self.peepholes = None if p is None or not p.any() else p.astype(np.float32)
        self.act = _activations(node, attrs, self.directions)

    def _check_sequence_lens(self, name):
        if not name:
            return
        lens = self.imp.require_const(name, "sequence_lens")
        if np.any(np.asarray(lens) != self.steps):
            raise Unsupported(f"sequence_lens {np.asarray(lens).tolist()} shorter than the sequence length "
                              f"{self.steps} (only full-length sequences are supported)")

    # ---- state inputs ---------------------------------------------------------------------

    def initial_state(self, index, d):
        """Direction d's slice (batch, hidden) of initial_h (index 5) / initial_c (6), or None
        when absent (zero)."""
        name = input_name(self.node, index)
        if not name:
            return None
        axis = 1 if self.layout else 0  # [D, B, H] or [B, D, H]
        const = self.imp.const(name)
        if const is not None:
            state = np.take(const.astype(np.float32), d, axis=axis)
            return None if not state.any() else state
        t = self.imp.tensor(name)
        if self.directions > 1:
            t = self.g.split(t, [1] * self.directions, axis=axis)[d]
        return self.g.reshape(t, _dims(self.batch, self.hidden))

    # ---- per direction --------------------------------------------------------------------

    def input_projection(self, d):
        """[(batch, gates * hidden) per time step]: X @ W[d].T + the biases added at every step."""
        gates, h = GATES[self.kind], self.hidden
        wb, rb = self.b[d, :gates * h], self.b[d, gates * h:].copy()
        if self.kind == "GRU" and self.linear_before_reset:
            rb[2 * h:] = 0  # Rbh is added inside r * (h @ Rh.T + Rbh) instead
        proj = self.g.fully_connected(self.x, self.w[d], wb + rb)
        time_axis = 1 if self.layout else 0
        pieces = [proj] if self.steps == 1 else self.g.split(proj, [1] * self.steps, axis=time_axis)
        return [self.g.reshape(p, _dims(self.batch, gates * h)) for p in pieces]

    def run_direction(self, d):
        """(hidden states in time order, last hidden, last cell (LSTM))."""
        xs = self.input_projection(d)
        h_prev, c_prev = self.initial_state(5, d), (self.initial_state(6, d) if self.kind == "LSTM" else None)
        backwards = self.direction == "reverse" or d == 1
        order = range(self.steps - 1, -1, -1) if backwards else range(self.steps)
        outputs = [None] * self.steps
        for t in order:
            step = getattr(self, f"{self.kind.lower()}_step")
            h_prev, c_prev = step(d, xs[t], h_prev, c_prev)
            outputs[t] = h_prev
        return outputs, h_prev, c_prev

    def _recurrent(self, h_prev, weights, bias=None):
        """h_prev @ weights.T (+ bias); computed at import time for a constant initial state."""
        if isinstance(h_prev, np.ndarray):
            return h_prev @ weights.T + (0 if bias is None else bias)
        return self.g.fully_connected(h_prev, weights, bias)

    def _peephole(self, cell, p):
        return cell * p if isinstance(cell, np.ndarray) else self.g.mul(cell, p)

    def _activate(self, d, slot, x):
        return getattr(self.g, self.act[d][slot])(x)

    def rnn_step(self, d, x_t, h_prev, c_prev):
        pre = x_t if h_prev is None else self.g.add(x_t, self._recurrent(h_prev, self.r[d]))
        return self._activate(d, 0, pre), None

    def gru_step(self, d, x_t, h_prev, c_prev):
        g, h = self.g, self.hidden
        xz, xr, xh = g.split(x_t, [h] * 3, axis=1)
        rbh = self.b[d, 5 * h:]
        if h_prev is None:
            z, r = self._activate(d, 0, xz), self._activate(d, 0, xr)
            if self.linear_before_reset and rbh.any():
                n = self._activate(d, 1, g.add(xh, g.mul(r, rbh)))
            else:
                n = self._activate(d, 1, xh)
            return g.sub(n, g.mul(z, n)), None  # (1 - z) * n + z * 0
        if self.linear_before_reset:
            rec_bias = np.concatenate([np.zeros(2 * h, np.float32), rbh])
            rz, rr, rh = g.split(self._recurrent(h_prev, self.r[d], rec_bias), [h] * 3, axis=1)
            z, r = self._activate(d, 0, g.add(xz, rz)), self._activate(d, 0, g.add(xr, rr))
            n = self._activate(d, 1, g.add(xh, g.mul(r, rh)))
        else:
            rz, rr = g.split(self._recurrent(h_prev, self.r[d, :2 * h]), [h] * 2, axis=1)
            z, r = self._activate(d, 0, g.add(xz, rz)), self._activate(d, 0, g.add(xr, rr))
            n = self._activate(d, 1, g.add(xh, self._recurrent(g.mul(r, h_prev), self.r[d, 2 * h:])))
        # h_t = (1 - z) * n + z * h_prev, in the spec's form.
        return g.add(g.mul(g.sub(np.float32(1.0), z), n), g.mul(z, h_prev)), None

    def lstm_step(self, d, x_t, h_prev, c_prev):
        g, h = self.g, self.hidden
        pre = x_t if h_prev is None else g.add(x_t, self._recurrent(h_prev, self.r[d]))
        i, o, f, c = g.split(pre, [h] * 4, axis=1)  # ONNX gate order i, o, f, c
        p = self.peepholes
        if p is not None and c_prev is not None:
            i = g.add(i, self._peephole(c_prev, p[d, :h]))
            f = g.add(f, self._peephole(c_prev, p[d, 2 * h:]))
        i, c = self._activate(d, 0, i), self._activate(d, 1, c)
        cell = g.mul(i, c)
        if c_prev is not None:
            cell = g.add(g.mul(self._activate(d, 0, f), c_prev), cell)
        if p is not None:
            o = g.add(o, g.mul(cell, p[d, h:2 * h]))
        return g.mul(self._activate(d, 0, o), self._activate(d, 2, cell)), cell

    # ---- outputs ---------------------------------------------------------------------------

    def _stack(self, tensors, axis, shape):
        """Concatenate (batch, hidden) tensors, each reshaped to `shape`, along `axis`."""
        pieces = [self.g.reshape(t, _dims(*shape)) for t in tensors]
        return pieces[0] if len(pieces) == 1 else self.g.concat(pieces, axis=axis)

    def emit(self):
        results = [self.run_direction(d) for d in range(self.directions)]
        b, h = self.batch, self.hidden
        out = list(self.node.output) + [""] * 3
        if out[0]:  # Y: [T, D, B, H] (layout 0) or [B, T, D, H] (layout 1)
            if self.layout:
                per_dir = [self._stack(hs, 1, (b, 1, 1, h)) for hs, _, _ in results]
                y = self._stack_final(per_dir, 2)
            else:
                per_dir = [self._stack(hs, 0, (1, 1, b, h)) for hs, _, _ in results]
                y = self._stack_final(per_dir, 1)
            self.imp.set(out[0], y)
        for k in (1, 2):  # Y_h, Y_c: [D, B, H] (layout 0) or [B, D, H] (layout 1)
            if not out[k]:
                continue
            if k == 2 and self.kind != "LSTM":
                raise Unsupported(f"{self.kind} has no output {k}")
            last = [r[k] for r in results]
            shape = (b, 1, h) if self.layout else (1, b, h)
            self.imp.set(out[k], self._stack(last, 1 if self.layout else 0, shape))

    def _stack_final(self, per_direction, axis):
        return per_direction[0] if len(per_direction) == 1 else self.g.concat(per_direction, axis=axis)


def _direction(attrs):
    direction = attrs.get("direction", b"forward")
    return direction.decode() if isinstance(direction, bytes) else direction


def _needs_unrolling(imp, node, attrs):
    """Why the fused op cannot compute this node (peepholes, other activations), or None."""
    if node.op_type == "RNN":
        return "RNN (no fused op)"
    if node.op_type == "LSTM":
        p = imp.require_const(input_name(node, 7), "P")
        if p is not None and np.any(p):
            return "peepholes (P)"
    names = attrs.get("activations")
    if names is not None:
        names = [n.decode() if isinstance(n, bytes) else n for n in names]
        default = DEFAULT_ACTIVATIONS[node.op_type] * (2 if _direction(attrs) == "bidirectional" else 1)
        if [n.lower() for n in names] != [n.lower() for n in default]:
            return f"activations {names}"
    return None


def _fused(imp, node, attrs):
    """One lstm / gru node."""
    if attrs.get("clip") is not None:
        raise Unsupported("the clip attribute")
    if attrs.get("input_forget", 0):
        raise Unsupported("input_forget (coupled input and forget gates)")
    direction, layout = _direction(attrs), attrs.get("layout", 0)
    if direction not in ("forward", "reverse", "bidirectional"):
        raise Unsupported(f"direction {direction!r}")
    x = imp.value(node.input[0])
    if x.is_const or x.rank != 3 or x.tensor.dtype != "float32":
        raise Unsupported("X must be a rank-3 float32 run-time tensor")
    steps = x.shape[1 if layout else 0]
    lens = imp.require_const(input_name(node, 4), "sequence_lens")
    if lens is not None and (steps is None or np.any(np.asarray(lens) != steps)):
        raise Unsupported(f"sequence_lens {np.asarray(lens).tolist()}: only full-length sequences (every entry "
                          f"equal to the sequence length {steps}) are supported")
    w = imp.require_const(node.input[1], "W").astype(np.float32)
    r = imp.require_const(node.input[2], "R").astype(np.float32)
    hidden = attrs.get("hidden_size")
    if hidden is not None and r.shape[-1] != hidden:
        raise Unsupported(f"R has shape {r.shape}, which does not match hidden_size {hidden}")
    b = imp.require_const(input_name(node, 3), "B")
    b = None if b is None or not np.any(b) else b.astype(np.float32)
    states = []
    for index in (5, 6) if node.op_type == "LSTM" else (5,):
        name = input_name(node, index)
        const = imp.const(name)
        if not name or (const is not None and not np.any(const)):
            states.append(None)  # zeros
        else:
            states.append(const.astype(np.float32) if const is not None else imp.tensor(name))
    g = imp.graph
    if node.op_type == "LSTM":
        outputs = g.lstm(imp.tensor(node.input[0]), w, r, b, *states, direction=direction, layout=layout)
    else:
        outputs = g.gru(imp.tensor(node.input[0]), w, r, b, *states, direction=direction, layout=layout,
                        linear_before_reset=attrs.get("linear_before_reset", 0))
    for name, t in zip(node.output, outputs):
        imp.set(name, t)


@handles("RNN", "GRU", "LSTM")
def recurrent(imp, node, attrs):
    reason = _needs_unrolling(imp, node, attrs)
    if reason is None:
        _fused(imp, node, attrs)
        return
    x = imp.value(node.input[0])
    if x.rank == 3 and x.shape[1 if attrs.get("layout", 0) else 0] is None:
        raise Unsupported(f"{reason} with a dynamic sequence length: only the fused LSTM / GRU (default "
                          "activations, no peepholes) run at any length; pin the length with input_shapes")
    _Unroller(imp, node, attrs).emit()
