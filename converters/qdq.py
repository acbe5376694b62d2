"""Step 2 of pre-quantized (QDQ) ONNX models: the int8 rewrite with the model's own scales and zero
points (step 1, the import that records them as `graph.qdq`, and what stays float and why: the
docstring of onnx_import/qdq.py).

QDQQuantizer is the calibration-based Quantizer with the model's parameters instead of calibrated
ranges: activations take the recorded (scale, zero point); weights get back their exact int8 values
and per-channel scales; bias is recomputed as int32 at s_in * s_w.
"""
import numpy as np

from edgenet import quant_math
from edgenet.graph import QuantParams

from .model import EnetModel
from .quantize import QuantizationSummary, Quantizer, quantize_bias
from .quantize.params import scalars
from .serialize import to_bytes


# ---- ---------------------------------------


def _same_quant(a, b):
    return (np.array_equal(np.asarray(a.scale, np.float32), np.asarray(b.scale, np.float32))
            and np.array_equal(np.asarray(a.zero_point), np.asarray(b.zero_point)))


def match_weights(w, axis, candidates):
    """(int8 values, per-channel QuantParams) of float weights `w` (edgenet layout, output channels
    on `axis`) from the ONNX model's constant DequantizeLinears: the one whose per-channel scales
    make w / scale integral. Raises ValueError saying why none fits."""
    channels = w.shape[axis]
    shape = [1] * w.ndim
    shape[axis] = -1
    reasons = []
    for c in candidates:
        if c.scale.size not in (1, channels) or c.values.size != w.size:
            continue
        if np.any(c.zero_point != 0) or c.values.dtype != np.int8:
            reasons.append("the model's weights are asymmetric (uint8 or zero point != 0); edgenet int8 weights "
                           "are symmetric")
            continue
        scale = np.broadcast_to(c.scale, (channels,)).astype(np.float32)
        ratio = np.asarray(w, np.float64) / scale.astype(np.float64).reshape(shape)
        q = np.round(ratio)
        if np.abs(ratio - q).max() > 1e-3:
            continue
        if q.min() < -127:
            reasons.append("the model's int8 weights use -128 (edgenet int8 weights are in [-127, 127])")
            continue
        return q.astype(np.int8), QuantParams(scale.copy(), np.zeros(channels, np.int64), axis)
    raise ValueError(reasons[0] if reasons else "the weights are not the model's dequantized int8 weights "
                     "(changed by a graph rewrite?)")


class QDQQuantizer(Quantizer):
    """The Quantizer with the ONNX model's parameters in place of calibrated ranges."""

    def __init__(self, graph, qdq):
        super().__init__(graph, ranges={}, io_dtype=qdq.io_dtype)
        self.qdq = qdq

    def calibrated_quant(self, t):
        if t.name not in self.qdq.activations:
            raise ValueError(f"{t.name!r} is not quantized in the ONNX model (no QuantizeLinear)")
        return self.qdq.activations[t.name]

    def plan(self, node):
        plan = super().plan(node)
        axis = node.opdef.weight_axis
        if axis is not None:  # the model's int8 weights and scales instead of edgenet's own
            weights = node.inputs[1]
            values, quant = match_weights(weights.data, axis, self.qdq.weights)
            plan.inputs[1] = ("constant", weights, self._constant(weights.name, values, "int8", quant))
            if plan.inputs[2] is not None:
                bias = plan.inputs[2][1]
                s_in = self.int8_quant(node.inputs[0]).scale[0]
                data = quantize_bias(np.asarray(bias.data, np.float64), s_in, quant.scale, node.name)
                plan.inputs[2] = ("constant", bias, self._constant(bias.name, data, "int32"))
            self._probe(node, plan, [self._planned_quant(e) for e in plan.inputs])
        for t, quant in zip(node.outputs, plan.output_quants):
            model = self.qdq.activations.get(t.name)
            if model is not None and not _same_quant(model, quant):
                raise ValueError(f"edgenet's int8 {node.op} outputs scale {quant.scale[0]:.6g} zero point "
                                 f"{int(quant.zero_point[0])}; the model quantizes {t.name!r} with "
                                 f"{model.scale[0]:.6g} / {int(model.zero_point[0])}")
        return plan


    FLOAT32_REQUANTIZED = ("conv2d", "depthwise_conv2d", "fully_connected", "mul")

    def _make_int8(self, plan):
        if self.qdq.requantization == "float32" and plan.node.op in self.FLOAT32_REQUANTIZED:
            plan.node.attrs = dict(plan.node.attrs, requantization="float32")
        super()._make_int8(plan)

    def _on_grid(self, t):
        """Float tensor t as the model holds it: quantized to its int8 grid and back (saturated, rounded)."""
        if t is None or t.dtype != "float32" or t.is_constant or t.name not in self.qdq.activations:
            return t
        return self.as_dtype(self.as_dtype(t, "int8"), "float32")

    def _keep_float(self, node, reason):
        if self.qdq.round_float_values:
            node.inputs = [self._on_grid(t) for t in node.inputs]
        super()._keep_float(node, reason)

    def _state_grids(self):
        """A state the model quantizes (an int8 TFLite variable) stays int8 on the model's grid, with
        its initial value (the loader wants one grid for a state, its initial and assigned values)."""
        super()._state_grids()
        for s in self.graph.states:
            quant = self.qdq.activations.get(s.tensor.name)
            if quant is None:
                continue
            data = quant_math.quantize_float(np.asarray(s.initial.data, np.float64), *scalars(quant))
            s.initial = self._constant(s.initial.name, data, "int8", quant)
            s.tensor.dtype, s.tensor.quant = "int8", quant
            self.quant_of[id(s.tensor)] = quant

    def _fix_states(self):
        for s in self.graph.states:
            if s.tensor.dtype != "int8" or s.assigned is None:
                continue
            if s.assigned.dtype == "float32":  # computed by a float op: quantized onto the state's grid
                self.quant_of.setdefault(id(s.assigned), s.tensor.quant)
            assigned = self.as_dtype(s.assigned, "int8")
            if not _same_quant(self.int8_quant(assigned) if assigned.quant is None else assigned.quant, s.tensor.quant):
                raise ValueError(f"state {s.name!r}: the value assigned to it ({s.assigned.name!r}) is int8 on another "
                                 "grid than the state")
            s.assigned = assigned
        super()._fix_states()

    def _fix_outputs(self):
        if self.qdq.round_float_values and self.io_dtype == "float32":
            for i, t in enumerate(self.graph.outputs):
                rounded = self._on_grid(t)
                if rounded is not t:  # the rounded value takes over the output's name
                    name = t.name
                    t.name = self._tensor_name(f"{name}/unrounded")
                    self.graph._names.discard(rounded.name)
                    rounded.name = name
                    self.graph.outputs[i] = rounded
        super()._fix_outputs()


def quantize_and_serialize(float_graph, qdq, metadata):
    """The int8 EnetModel of a prepared (optimized, lowered) QDQ-imported graph."""
    graph = float_graph.copy()
    summary = QuantizationSummary("onnx-qdq", 0, qdq.io_dtype)
    QDQQuantizer(graph, qdq).run(summary)
    metadata = dict(metadata, **{"edgenet.quantization": "int8", "edgenet.calibration_method": "onnx-qdq"})
    if summary.float_ops:
        metadata["edgenet.float_fallback_ops"] = ",".join(name for name, _, _ in summary.float_ops)
    model = EnetModel(to_bytes(graph, metadata))
    model.graph, model.quantization, model.float_graph = graph, summary, float_graph
    return model
