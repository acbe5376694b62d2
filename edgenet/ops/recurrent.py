"""Fused recurrent layers with ONNX semantics and weight layout: lstm, gru.

Shapes (ONNX): x (T, B, I) with layout 0 (sequence first) or (B, T, I) with layout 1; the sequence
length T may be dynamic (None): one model runs at any length. D = 2 directions when bidirectional,
else 1; G gates (LSTM 4: i, o, f, c; GRU 3: z, r, h), stacked in that order in
    w (D, G*H, I)    input weights          r (D, G*H, H)    recurrent weights
    b (D, 2*G*H)     [Wb | Rb], optional    initial_h, initial_c (D, B, H) or (B, D, H) (layout 1), optional
Outputs: y (T, D, B, H) or (B, T, D, H) (every step's hidden state); y_h (D, B, H) or (B, D, H) (the
last step's, in each direction's own order); LSTM also y_c (the last cell state). The reverse direction
runs from the last step to the first. Activations are ONNX's defaults (sigmoid for gates, tanh).

int8 (docs/QUANTIZATION.md, "Recurrent ops"): the quantizer stores w and r as int8 with one scale per
gate row (axis 1, shared by the directions); the op keeps float inputs, outputs and states, and
quantizes each row of x and of the hidden state on the fly (symmetric, per row) for the two matrix
products. The cell and hidden states stay float, so precision does not drift over long sequences.
"""
import numpy as np

from .registry import register
from .base import OpDef, check_rank, fmt_shape

DIRECTIONS = ("forward", "reverse", "bidirectional")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _rows_times_int8(x, q_weights, weight_scale):
    """x (rows, K) @ dequantized(q_weights (N, K)).T with each row of x quantized dynamically:
    symmetric int8 on s = max|row| / 127 (float32), q = round half even(x / s), integer products,
    then scaled by s * weight_scale[n]. The C kernels compute exactly this (up to float rounding
    of the final scaling)."""
    x32 = np.asarray(x, np.float32)
    s = (np.max(np.abs(x32), axis=1, keepdims=True) / np.float32(127.0)).astype(np.float32)
    safe = np.where(s > 0, s, np.float32(1.0))
    q = np.clip(np.rint(x32 / safe), -127, 127).astype(np.int64)
    acc = q @ np.asarray(q_weights, np.int64).T
    return acc.astype(np.float64) * (s.astype(np.float64) * np.asarray(weight_scale, np.float64)[None, :])


class _Recurrent(OpDef):
    """What LSTM and GRU share: argument checks, shapes, the direction / layout loop."""

    gates = None  # G
    state_names = ("initial_h",)
    quantizable = False  # int8 activations are never fed to it: see dynamic_int8_weights
    dynamic_int8_weights = {1: 1, 2: 1}  # w, r: int8 per gate row; activations quantized inside the op

    def _build(self, g, inputs, direction, layout, extra_attrs, sequence_lens=None, activations=None):
        if sequence_lens is not None:
            raise ValueError("sequence_lens is not supported: every sequence of a batch has the full length T "
                             "(run shorter sequences separately, or pad them and read y at their own last step)")
        if activations is not None:
            names = [a.decode() if isinstance(a, bytes) else str(a) for a in activations]
            default = self.default_activations * (2 if direction == "bidirectional" else 1)
            if [n.lower() for n in names] != [n.lower() for n in default]:
                raise ValueError(f"activations {names} are not supported; only ONNX's defaults {default}")
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        if layout not in (0, 1):
            raise ValueError(f"layout must be 0 (sequence first) or 1 (batch first), got {layout!r}")
        attrs = {"direction": direction, "layout": int(layout), **extra_attrs}
        return tuple(g.add_node(self.name, inputs, attrs))

    def infer(self, inputs, attrs):
        x, w, r, b = inputs[:4]
        states = inputs[4:]
        if x.dtype != "float32":
            raise ValueError(f"x must be float32, got {x.dtype}")
        if w.dtype != r.dtype or w.dtype not in ("float32", "int8"):
            raise ValueError(f"w and r must both be float32 (or both int8 with per-row scales), got {w.dtype} "
                             f"and {r.dtype}")
        for role, t in [("b", b)] + list(zip(self.state_names, states)):
            if t is not None and t.dtype != "float32":
                raise ValueError(f"{role} must be float32, got {t.dtype}")
        for role, t in (("w", w), ("r", r), ("b", b)):
            if t is not None and not t.is_constant:
                raise ValueError(f"{role} must be a constant (the C core packs the weights when it loads the model)")
        check_rank("x", x, 3)
        check_rank("w", w, 3)
        check_rank("r", r, 3)
        d = 2 if attrs["direction"] == "bidirectional" else 1
        layout = attrs["layout"]
        steps, batch = (x.shape[1], x.shape[0]) if layout else (x.shape[0], x.shape[1])
        hidden = r.shape[2]
        gh = self.gates * hidden
        if tuple(r.shape) != (d, gh, hidden):
            raise ValueError(f"r must have shape (directions {d}, {self.gates} * hidden, hidden) = "
                             f"{fmt_shape((d, gh, hidden))}, got {fmt_shape(r.shape)}")
        if tuple(w.shape) != (d, gh, x.shape[2]):
            raise ValueError(f"w must have shape {fmt_shape((d, gh, x.shape[2]))} (directions, {self.gates} * "
                             f"hidden, input size of x {fmt_shape(x.shape)}), got {fmt_shape(w.shape)}")
        if b is not None and tuple(b.shape) != (d, 2 * gh):
            raise ValueError(f"b must have shape {fmt_shape((d, 2 * gh))}, got {fmt_shape(b.shape)}")
        state_shape = (batch, d, hidden) if layout else (d, batch, hidden)
        for role, t in zip(self.state_names, states):
            if t is not None and tuple(t.shape) != state_shape:
                raise ValueError(f"{role} must have shape {fmt_shape(state_shape)}, got {fmt_shape(t.shape)}")
        y = (batch, steps, d, hidden) if layout else (steps, d, batch, hidden)
        return [(y, "float32")] + [(state_shape, "float32")] * len(self.state_names)

    def options(self, node):
        return {"direction": DIRECTIONS.index(node.attrs["direction"]), "layout": node.attrs["layout"],
                "linear_before_reset": bool(node.attrs.get("linear_before_reset", False))}

    # ---- semantics --------------------------------------------------------------------

    def reference(self, inputs, attrs):
        return self._run(inputs, attrs, lambda rows, weights, which: rows @ weights.T)

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        """int8 w and r (per-row scales on axis 1), float everything else: dynamic quantization."""
        for role, q in (("w", in_quants[1]), ("r", in_quants[2])):
            if q is None or q.axis != 1 or np.any(np.asarray(q.zero_point) != 0):
                raise ValueError(f"{role} must be int8 with one scale per row (axis 1) and zero points 0")
        scales = {"w": np.asarray(in_quants[1].scale), "r": np.asarray(in_quants[2].scale)}
        return self._run(inputs, attrs,
                         lambda rows, weights, which: _rows_times_int8(rows, weights, scales[which]))

    def _run(self, inputs, attrs, matmul):
        """Both directions; matmul(rows (n, K), weights (N, K), "w" | "r") -> rows @ weights.T."""
        x, w, r, b = (None if t is None else np.asarray(t, np.float64) for t in inputs[:4])
        if np.asarray(inputs[1]).dtype.kind in "iu":
            w, r = np.asarray(inputs[1], np.int64), np.asarray(inputs[2], np.int64)
        layout = attrs["layout"]
        if layout:
            x = x.transpose(1, 0, 2)  # (T, B, I)
        steps, batch = x.shape[:2]
        d_count, hidden = r.shape[0], r.shape[2]
        gh = self.gates * hidden
        b = np.zeros((d_count, 2 * gh)) if b is None else b
        states = [None if s is None else np.asarray(s, np.float64) for s in inputs[4:4 + len(self.state_names)]]
        states = [None if s is None else s.transpose(1, 0, 2) if layout else s for s in states]  # (D, B, H)
        y = np.zeros((steps, d_count, batch, hidden))
        finals = [np.zeros((d_count, batch, hidden)) for _ in self.state_names]
        for d in range(d_count):
            backwards = attrs["direction"] == "reverse" or d == 1
            projected = matmul(x.reshape(steps * batch, -1), w[d], "w").reshape(steps, batch, gh) if steps else None
            state = [np.zeros((batch, hidden)) if s is None else s[d] for s in states]
            for t in (range(steps - 1, -1, -1) if backwards else range(steps)):
                state = self.step(projected[t], state, lambda h, rd=r[d]: matmul(h, rd, "r"), b[d, :gh], b[d, gh:], attrs)
                y[t, d] = state[0]
            for k, s in enumerate(state):
                finals[k][d] = s
        if layout:
            return [y.transpose(2, 0, 1, 3)] + [f.transpose(1, 0, 2) for f in finals]
        return [y] + finals


@register
class LSTM(_Recurrent):
    """ONNX LSTM (no peepholes, no clip, no coupled input/forget gate): per step, with gates i, o, f, c
        g = x_t @ W.T + h @ R.T + Wb + Rb;  c = sigmoid(f) * c + sigmoid(i) * tanh(c~);  h = sigmoid(o) * tanh(c)"""

    name = "lstm"
    opcode = "LSTM"
    options_table = "RecurrentOptions"
    input_names = ("x", "w", "r", "b", "initial_h", "initial_c")
    state_names = ("initial_h", "initial_c")
    gates = 4
    default_activations = ["Sigmoid", "Tanh", "Tanh"]

    def build(self, g, x, w, r, b=None, initial_h=None, initial_c=None, direction="forward", layout=0,
              sequence_lens=None, activations=None):
        """(y, y_h, y_c) of an ONNX LSTM; w, r, b in ONNX's layout (gates i, o, f, c)."""
        return self._build(g, [x, w, r, b, initial_h, initial_c], direction, layout, {}, sequence_lens, activations)

    def step(self, projected, state, recurrent, wb, rb, attrs):
        h, c = state
        hidden = h.shape[1]
        gates = projected + recurrent(h) + wb + rb
        i, o, f, c_in = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(c_in)
        return [_sigmoid(o) * np.tanh(c), c]


@register
class GRU(_Recurrent):
    """ONNX GRU: per step, with gates z, r, h
        z = sigmoid(x_t Wz.T + h Rz.T + Wbz + Rbz);  r = sigmoid(x_t Wr.T + h Rr.T + Wbr + Rbr)
        n = tanh(x_t Wh.T + (r * h) Rh.T + Rbh + Wbh)           (linear_before_reset 0)
        n = tanh(x_t Wh.T + r * (h Rh.T + Rbh) + Wbh)           (linear_before_reset 1, torch's GRU)
        h = (1 - z) * n + z * h"""

    name = "gru"
    opcode = "GRU"
    options_table = "RecurrentOptions"
    input_names = ("x", "w", "r", "b", "initial_h")
    state_names = ("initial_h",)
    gates = 3
    default_activations = ["Sigmoid", "Tanh"]

    def build(self, g, x, w, r, b=None, initial_h=None, direction="forward", layout=0, linear_before_reset=False,
              sequence_lens=None, activations=None):
        """(y, y_h) of an ONNX GRU; w, r, b in ONNX's layout (gates z, r, h)."""
        return self._build(g, [x, w, r, b, initial_h], direction, layout,
                           {"linear_before_reset": bool(linear_before_reset)}, sequence_lens, activations)

    def step(self, projected, state, recurrent, wb, rb, attrs):
        (h,) = state
        hidden = h.shape[1]
        x_part = projected + wb
        if attrs["linear_before_reset"]:
            rec = recurrent(h) + rb
            z = _sigmoid(x_part[:, :hidden] + rec[:, :hidden])
            r = _sigmoid(x_part[:, hidden:2 * hidden] + rec[:, hidden:2 * hidden])
            n = np.tanh(x_part[:, 2 * hidden:] + r * rec[:, 2 * hidden:])
        else:
            rec_zr = recurrent(h)[:, :2 * hidden] + rb[:2 * hidden]  # the h columns are recomputed from r * h
            z = _sigmoid(x_part[:, :hidden] + rec_zr[:, :hidden])
            r = _sigmoid(x_part[:, hidden:2 * hidden] + rec_zr[:, hidden:])
            n = np.tanh(x_part[:, 2 * hidden:] + recurrent(r * h)[:, 2 * hidden:] + rb[2 * hidden:])
        return [(1.0 - z) * n + z * h]
