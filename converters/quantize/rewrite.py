"""The float -> int8 rewrite: plan each node's int8 form, insert quantize / dequantize at the float
boundaries, build lookup tables (quantize_graph is the entry point)."""
import dataclasses
import logging

import numpy as np

from edgenet import quant_math
from edgenet.graph import Node, Tensor
from edgenet.ops.elementwise import lookup_table
from edgenet.ops.normalization import softmax_table

from .params import (activation_quant, bias_correction, constant_quant, per_tensor, quantize_bias, quantize_weights,
                     read_only, scalars)
from .policy import clip_to_consumers, float_decisions, has_int8_kernel, is_integer, share_state_ranges
from .tables import chain_function, elementwise_input, table_chains

log = logging.getLogger("edgenet.quantize")

IO_DTYPES = ("float32", "int8")


@dataclasses.dataclass
class QuantizationSummary:
    """What the quantizer did; printable. Attached to the converted model as `.quantization`."""

    calibration_method: str
    calibration_samples: int
    io_dtype: str
    int8_ops: list = dataclasses.field(default_factory=list)  # node names
    float_ops: list = dataclasses.field(default_factory=list)  # (node name, op, reason)
    inserted_ops: list = dataclasses.field(default_factory=list)  # quantize/dequantize node names
    optimized: bool = True  # whether convert ran the optimization passes first (the report redoes them)
    bias_corrected: list = dataclasses.field(default_factory=list)  # weighted nodes whose bias absorbed the
    # mean error of their int8 weights (bias_correction=True)
    tables: list = dataclasses.field(default_factory=list)  # (table node name, [the chain's node names]):
    # chains of elementwise ops computed by one int8 lookup table (table_chains)

    def __str__(self):
        lines = [f"int8 quantization: {len(self.int8_ops)} ops int8, {len(self.float_ops)} float fallback, "
                 f"{len(self.inserted_ops)} quantize/dequantize inserted; calibration {self.calibration_method!r} "
                 f"on {self.calibration_samples} samples; model inputs/outputs {self.io_dtype}"]
        lines += [f"  float fallback: {name} ({op}): {reason}" for name, op, reason in self.float_ops]
        return "\n".join(lines)


# ---- the rewrite ------------------------------------------------------------------------


class _Plan:
    """One node's int8 form, computed before anything in the graph changes."""

    def __init__(self, node):
        self.node = node
        self.inputs = []  # per input: ("activation", Tensor) | ("constant", Tensor, int8 Tensor) |
        #                   ("integer", Tensor) (indices: used as they are) | None
        self.output_quants = []  # one per output
        self.bias_corrected = False
        self.extra_inputs = []  # lookup tables


class Quantizer:
    """Rewrites one graph; see quantize_graph."""

    def __init__(self, graph, ranges, io_dtype, stay_float=None, channel_means=None):
        self.graph = graph
        self.ranges = ranges
        self.io_dtype = io_dtype
        self.stay_float = stay_float or {}  # {node name: reason} (float_decisions)
        self.channel_means = channel_means  # {tensor name: per-channel mean} enables bias correction
        self.quant_of = {}  # id(activation Tensor) -> QuantParams of its int8 form
        self.converted = {}  # (id(Tensor), dtype) -> the converted Tensor (via quantize / dequantize)
        self.new_nodes = []
        self.summary = None
        self.chains = {chain[0].name: chain for chain in table_chains(graph, self.stay_float)}
        self.in_chain = {node.name for chain in self.chains.values() for node in chain[1:]}

    # -- names ----------------------------------------------------------------------

    def _tensor_name(self, base):
        return self.graph._unique_name(base, self.graph._names)

    def _node_name(self, base):
        return self.graph._unique_name(base, self.graph._node_names)

    def _constant(self, name, data, dtype, quant=None):
        """A new constant. It may reuse the float constant's name: run() renames duplicates at
        the end, so a name stays unique even when the float original is still used elsewhere."""
        data = read_only(np.asarray(data, dtype=dtype))
        return Tensor(self.graph, name, data.shape, dtype, data=data, quant=quant)

    # -- quantization parameters of activations -------------------------------------

    def calibrated_quant(self, t):
        if t.name not in self.ranges:
            raise ValueError(f"no calibration range for tensor {t.name!r}; was the graph calibrated after the same "
                             "passes?")
        return activation_quant(*self.ranges[t.name])

    def int8_quant(self, t):
        """The quantization parameters of activation `t`'s int8 form (its own, from calibration,
        unless an int8 node fixed them)."""
        if id(t) not in self.quant_of:
            self.quant_of[id(t)] = self.calibrated_quant(t)
        return self.quant_of[id(t)]

    # -- planning: can this node run in int8, and with which parameters? --------------

    def plan(self, node):
        """A _Plan for the node's int8 form, or raise ValueError saying why it stays float."""
        opdef = node.opdef
        if node.name in self.stay_float:
            raise ValueError(self.stay_float[node.name])
        if not has_int8_kernel(opdef) or any(t.dtype != "float32" for t in node.outputs):
            raise ValueError("no int8 kernel")
        plan = _Plan(node)
        weight_axis = opdef.weight_axis
        for role_index, t in enumerate(node.inputs):
            if t is None:
                plan.inputs.append(None)
            elif is_integer(t):
                plan.inputs.append(("integer", t))
            elif weight_axis is not None and role_index == 1:
                if not t.is_constant:
                    raise ValueError("weights are not constant")
                data, quant = quantize_weights(t.data, weight_axis)
                plan.inputs.append(("constant", t, self._constant(t.name, data, "int8", quant)))
            elif weight_axis is not None and role_index == 2:
                if not t.is_constant:
                    raise ValueError("bias is not constant")
                plan.inputs.append(("bias", t))  # needs the input scale: made below
            elif t.is_constant:
                quant = constant_quant(t.data)
                data = quant_math.quantize_float(t.data, *scalars(quant))
                plan.inputs.append(("constant", t, self._constant(t.name, data, "int8", quant)))
            else:
                plan.inputs.append(("activation", t))

        in_quants = [self._planned_quant(entry) for entry in plan.inputs]
        if weight_axis is not None and plan.inputs[2] is not None:
            bias = plan.inputs[2][1]
            bias_data = np.asarray(bias.data, np.float64)
            if self.channel_means is not None and node.inputs[0].name in self.channel_means:
                weights, (_, _, quantized) = node.inputs[1], plan.inputs[1]
                bias_data = bias_data - bias_correction(opdef, weights.data, quantized.data, quantized.quant,
                                                        self.channel_means[node.inputs[0].name])
                plan.bias_corrected = True
            data = quantize_bias(bias_data, in_quants[0].scale[0], in_quants[1].scale, node.name)
            plan.inputs[2] = ("constant", bias, self._constant(bias.name, data, "int32"))

        s_in, zp_in = scalars(in_quants[0])
        if opdef.quant_pass_through:
            plan.output_quants = [in_quants[0]] * len(node.outputs)
        elif node.op == "softmax":
            plan.output_quants = [per_tensor(*opdef.output_quant)]
            plan.extra_inputs = [self._constant(f"{node.name}/table", softmax_table(s_in, node.attrs["beta"]), "int32")]
        elif opdef.output_quant is not None:  # sigmoid, tanh
            plan.output_quants = [per_tensor(*opdef.output_quant)]
            plan.extra_inputs = [self._constant(f"{node.name}/table", opdef.table(s_in, zp_in), "int8")]
        else:
            plan.output_quants = [self.calibrated_quant(t) for t in node.outputs]
            if hasattr(opdef, "table"):  # relu, clip, hard_swish, ...: a table for a calibrated output
                table = opdef.table(s_in, zp_in, *scalars(plan.output_quants[0]), attrs=node.attrs)
                plan.extra_inputs = [self._constant(f"{node.name}/table", table, "int8")]
        self._probe(node, plan, in_quants)
        return plan

    def _planned_quant(self, entry):
        if entry is None or entry[0] in ("bias", "integer"):
            return None
        if entry[0] == "activation":
            return self.int8_quant(entry[1])
        return entry[2].quant

    def _probe(self, node, plan, in_quants):
        """Run the int8 reference once on zero-point inputs: it raises ValueError if some
        requantization multiplier is out of the range the C core accepts."""
        arrays = []
        for entry, quant in zip(plan.inputs, in_quants):
            if entry is None:
                arrays.append(None)
            elif entry[0] in ("activation", "integer"):
                t = entry[1]
                shape = tuple(1 if d is None else d for d in t.shape)
                fill = int(quant.zero_point[0]) if entry[0] == "activation" else 0
                arrays.append(t.data.astype(np.int64) if t.is_constant else np.full(shape, fill, np.int64))
            else:
                arrays.append(entry[2].data.astype(np.int64))
        arrays += [t.data.astype(np.int64) for t in plan.extra_inputs]
        in_quants = list(in_quants) + [None] * len(plan.extra_inputs)
        node.opdef.reference_int8(arrays, node.attrs, in_quants, plan.output_quants)

    # -- conversions between float and int8 ------------------------------------------

    def as_dtype(self, t, dtype):
        """`t` itself if it already has `dtype`, else its converted twin (made once)."""
        if t.dtype == dtype:
            return t
        key = (id(t), dtype)
        if key not in self.converted:
            if dtype == "int8":
                twin = Tensor(self.graph, self._tensor_name(f"{t.name}/quantized"), t.shape, "int8",
                              quant=self.int8_quant(t))
                op = "quantize"
            else:
                twin = Tensor(self.graph, self._tensor_name(f"{t.name}/dequantized"), t.shape, "float32")
                op = "dequantize"
            self._emit(Node(op, [t], [twin], {}, self._node_name(twin.name)), inserted=True)
            self.converted[key] = twin
        return self.converted[key]

    def _emit(self, node, inserted=False):
        for t in node.outputs:
            t.producer = node
        self.new_nodes.append(node)
        if inserted:
            self.summary.inserted_ops.append(node.name)

    # -- driving ------------------------------------------------------------------------

    def run(self, summary):
        self.summary = summary
        graph = self.graph
        if self.io_dtype == "int8":
            for t in graph.inputs:
                t.dtype, t.quant = "int8", self.int8_quant(t)
        self._state_grids()
        for node in graph.nodes:
            if node.name in self.in_chain:
                continue  # computed by its chain's table (emitted at the chain's first node)
            if node.name in self.chains:
                try:
                    self._make_table(self.chains[node.name])
                    continue
                except ValueError as e:  # e.g. an unusable grid: the chain's ops go their own ways
                    log.info("quantize: chain from %s is not one table: %s", node.name, e)
                    self.in_chain -= {n.name for n in self.chains[node.name]}
            if node.opdef.dynamic_int8_weights and node.name not in self.stay_float:
                self._make_int8_weights(node)
                continue
            if is_hybrid(node):  # int8 weights already (an imported dynamic-quantized model): kept as they are
                node.inputs[0] = self.as_dtype(node.inputs[0], "float32")
                self._emit(node)
                self.summary.int8_ops.append(node.name)
                continue
            try:
                plan = self.plan(node)
            except ValueError as e:
                self._keep_float(node, str(e))
                continue
            self._make_int8(plan)
        self._fix_outputs()
        self._fix_states()
        graph.nodes = self.new_nodes
        self._make_names_unique()
        for node in graph.nodes:  # every rewritten node must satisfy its op's shape/dtype rule
            inferred = node.opdef.infer(node.inputs, dict(node.attrs))
            for t, (shape, dtype) in zip(node.outputs, inferred):
                assert t.dtype == dtype, f"{node.name}: quantizer made {t.dtype} {t.name!r}, op says {dtype}"
        return summary

    def _make_names_unique(self):
        seen = set()
        for t in self.graph.tensors:
            if t.name in seen:
                t.name = self._tensor_name(t.name)
            seen.add(t.name)
            self.graph._names.add(t.name)

    def _keep_float(self, node, reason):
        # int8 inputs (made int8 by their producer) are dequantized; float and integer ones stay.
        node.inputs = [self.as_dtype(t, "float32") if t is not None and t.dtype == "int8" else t
                       for t in node.inputs]
        self._emit(node)
        self.summary.float_ops.append((node.name, node.op, reason))
        log.info("quantize: %s (%s) stays float32: %s", node.name, node.op, reason)

    def _make_int8_weights(self, node):
        """An op with float activations whose constant weights become int8, one scale per channel
        (OpDef.dynamic_int8_weights; its kernel quantizes the activations on the fly)."""
        node.inputs = [self.as_dtype(t, "float32") if t is not None and t.dtype == "int8" else t
                       for t in node.inputs]
        for index, axis in node.opdef.dynamic_int8_weights.items():
            t = node.inputs[index]
            if not t.is_constant:
                raise ValueError(f"{node.name} ({node.op}): input {index} ({t.name!r}) must be constant")
            data, quant = quantize_weights(t.data, axis)
            node.inputs[index] = self._constant(t.name, data, "int8", quant)
        self._emit(node)
        self.summary.int8_ops.append(node.name)

    def _make_int8(self, plan):
        node = plan.node
        inputs = []
        for entry in plan.inputs:
            if entry is None:
                inputs.append(None)
            elif entry[0] == "activation":
                inputs.append(self.as_dtype(entry[1], "int8"))
            elif entry[0] == "integer":
                inputs.append(entry[1])
            else:
                inputs.append(entry[2])
        node.inputs = inputs + plan.extra_inputs
        for output, quant in zip(node.outputs, plan.output_quants):
            output.dtype, output.quant = "int8", quant
            self.quant_of[id(output)] = quant
        self._emit(node)
        self.summary.int8_ops.append(node.name)
        if plan.bias_corrected:
            self.summary.bias_corrected.append(node.name)

    def _make_table(self, chain):
        """One `table` node computing the chain (see table_chains), named after its last node."""
        first, last = chain[0], chain[-1]
        x, out = elementwise_input(first, ()), last.outputs[0]
        in_quant = self.int8_quant(x)
        fixed = last.opdef.output_quant  # sigmoid / tanh: their fixed full-range grid
        out_quant = per_tensor(*fixed) if fixed is not None else self.calibrated_quant(out)
        data = lookup_table(chain_function(chain), *scalars(in_quant), *scalars(out_quant))
        table = self._constant(f"{last.name}/table", data, "int8")
        node = Node("table", [self.as_dtype(x, "int8"), table], [out], {}, last.name)
        out.dtype, out.quant = "int8", out_quant
        self.quant_of[id(out)] = out_quant
        self._emit(node)
        self.summary.int8_ops.append(node.name)
        self.summary.tables.append((node.name, [n.name for n in chain]))

    def _fix_outputs(self):
        """Give each graph output the model's io dtype: convert it, and let the converted
        tensor take over the output's name (the file's interface keeps its names)."""
        for i, t in enumerate(self.graph.outputs):
            if t.dtype == self.io_dtype or t.dtype not in ("float32", "int8"):  # bool / integer results stay
                continue
            original_name = t.name
            if self.io_dtype == "int8":
                self.int8_quant(t)  # looked up by the output's name, so before it is renamed
            t.name = self._tensor_name(f"{original_name}/{t.dtype}")
            twin = self.as_dtype(t, self.io_dtype)
            self.graph._names.discard(twin.name)
            twin.name = original_name
            self.graph.outputs[i] = twin

    def _state_grids(self):
        """A state read gets its assigned value's grid (share_state_ranges gives calibrated ones one
        range; an op with a fixed output grid, e.g. tanh, sets it), so the float round trip between
        them is exact."""
        for s in self.graph.states:
            producer = s.assigned.producer if s.assigned is not None else None
            if producer is not None and producer.opdef.output_quant is not None and producer.name not in self.stay_float:
                self.quant_of[id(s.tensor)] = per_tensor(*producer.opdef.output_quant)

    def _fix_states(self):
        """States stay float32 (share_state_ranges): an int8 value is dequantized before its assign."""
        for s in self.graph.states:
            if s.assigned is not None and s.assigned.dtype != s.tensor.dtype:
                s.assigned = self.as_dtype(s.assigned, s.tensor.dtype)


def is_hybrid(node):
    """A node with float activations and int8 weights (OpDef.hybrid_int8_weights)."""
    weights = node.opdef.hybrid_int8_weights
    return bool(weights) and node.inputs[0].dtype == "float32" and \
        all(node.inputs[i] is not None and node.inputs[i].dtype == "int8" for i in weights)


def dynamic_quantize_graph(graph):
    """quantize="dynamic" (TFLite's dynamic range quantization, onnxruntime's quantize_dynamic): the
    constant weights of ops with OpDef.dynamic_quantization or dynamic_int8_weights become int8, one
    symmetric scale per output channel; activations stay float and their kernels quantize them at
    each run, so no calibration is needed. Control-flow bodies too. Returns a QuantizationSummary."""
    summary = QuantizationSummary("dynamic", 0, "float32")
    for node in graph.nodes:
        for attr in node.opdef.body_attrs:
            summary.int8_ops.extend(dynamic_quantize_graph(node.attrs[attr]).int8_ops)
        weights = (node.opdef.hybrid_int8_weights if node.opdef.dynamic_quantization else None) or \
            node.opdef.dynamic_int8_weights
        if not weights or node.inputs[0].dtype != "float32":
            continue
        tensors = [node.inputs[i] for i in weights]
        if not all(t is not None and t.is_constant and t.dtype == "float32" for t in tensors):
            summary.float_ops.append((node.name, node.op, "weights are not float constants"))
            continue
        for index, axis in weights.items():
            t = node.inputs[index]
            data, quant = quantize_weights(t.data, axis)
            data = read_only(np.asarray(data, np.int8))
            node.inputs[index] = Tensor(graph, graph._unique_name(f"{t.name}/int8", graph._names), data.shape, "int8",
                                        data=data, quant=quant)
        summary.int8_ops.append(node.name)
    return summary


def _node_names(graph):
    """Names of the nodes of graph and of its control-flow bodies, at any depth."""
    return {n.name for n in graph.nodes}.union(*[_node_names(b) for b in graph.bodies()])


def quantize_graph(graph, ranges, io_dtype="float32", calibration_method="minmax", calibration_samples=0,
                   int8_outputs=False, float_nodes=(), channel_means=None, float_reasons=None):
    """Rewrite `graph` (float, optimized, lowered to file ops) in place into int8.

    ranges: {tensor name: (lo, hi)} from calibration.collect_ranges on this same graph.
    int8_outputs: also compute the output tail (see output_tail) in int8; default float.
    float_nodes: names of nodes to keep in float (mixed precision).
    channel_means: {tensor name: per-channel mean} from calibration: enables bias correction.
    float_reasons: {node name: why it stays float}, decided by the op that owns this graph as a body
        (OpDef.float_body_nodes: e.g. what decides how often a while_loop runs).
    Returns a QuantizationSummary (also logged at INFO on the "edgenet.quantize" logger)."""
    if io_dtype not in IO_DTYPES:
        raise ValueError(f"io_dtype must be one of {IO_DTYPES}, got {io_dtype!r}")
    # (integer and bool tensors -- indices, shapes, loop counters, masks -- are not quantized ones)
    hybrid_weights = {id(node.inputs[i]) for node in graph.nodes if is_hybrid(node)
                      for i in node.opdef.hybrid_int8_weights}
    not_float = [t for t in graph.tensors if (t.dtype == "int8" or t.quant is not None) and id(t) not in hybrid_weights]
    if not_float:
        raise ValueError(f"graph {graph.name!r} is already (partly) quantized: tensor {not_float[0].name!r} is "
                         f"{not_float[0].dtype}; quantize a float32 graph")
    summary = QuantizationSummary(calibration_method, calibration_samples, io_dtype)
    unknown = sorted(set(float_nodes) - _node_names(graph))
    if unknown:
        raise ValueError(f"float_layers names unknown node(s) {unknown}")
    own = {n.name for n in graph.nodes}
    # Control-flow bodies: each is quantized as a graph of its own with float32 inputs and outputs (the
    # cond / while_loop node stays float, so a loop variable has one representation on both sides of the
    # loop), its ops int8 where they can be, on the ranges calibration saw inside the body.
    for node in graph.nodes:
        for attr in node.opdef.body_attrs:
            inner = quantize_graph(node.attrs[attr], ranges, "float32", calibration_method, calibration_samples, True,
                                   [name for name in float_nodes if name not in own], channel_means,
                                   node.opdef.float_body_nodes(node, attr))
            for field in ("int8_ops", "float_ops", "inserted_ops", "bias_corrected", "tables"):
                getattr(summary, field).extend(getattr(inner, field))
    ranges = clip_to_consumers(graph, ranges)  # the grids int8 gets; the mixed-range rule judges these too
    ranges = share_state_ranges(graph, ranges)
    stay_float = float_decisions(graph, ranges, io_dtype, int8_outputs, [n for n in float_nodes if n in own])
    for name, reason in (float_reasons or {}).items():
        stay_float.setdefault(name, reason)
    Quantizer(graph, ranges, io_dtype, stay_float, channel_means).run(summary)
    log.info("%s", summary)
    return summary
