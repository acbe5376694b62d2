"""Which nodes int8 computes, and on which grids: the float decisions (output tail, mixed-range
concats, float islands) and the activation ranges narrowed to what their readers can show
(clip_to_consumers). The op traits used here are OpDef attributes (edgenet/ops/base.py)."""
import numpy as np

from edgenet import ops

# A concat whose inputs' ranges (or a split whose outputs' ranges) differ by more than this factor
# would cost its small-range slices more than 4 of their 8 bits under one shared scale, so it runs
# in float instead: each slice keeps its own int8 scale (boxes in pixels next to scores in [0, 1]).
MIXED_RANGE_RATIO = 16.0
# The output tail (see output_tail) ends at weighted layers (OpDef.weight_axis), and just after ops with a
# fixed output grid (OpDef.output_quant: softmax / sigmoid / tanh): those run in float on their int8 input
# when they compute a model output (a probability on a 1/256 grid would turn near-ties in CTC / argmax /
# thresholds into exact ties or flips), and stop the walk: their input's int8 grid is set by their
# saturating range (OpDef.saturates_outside), not by the output.
#
# A tensor read only by saturating unary ops (OpDef.saturates_outside / saturating_input_range) needs its
# int8 grid only inside their range: a conv output in [-100, 100] feeding hard_swish gets a grid on
# [-3, 100]. A tensor read only by saturating ops with a fixed output grid (sigmoid, tanh) gets its grid on
# their whole non-saturated input range, calibrated or not: a class logit that never passed 0 on the
# calibration images still reaches a 0.95 score on a new image (instead of stopping at 0.5); the grid step
# stays <= 13/255, at most ~1.6 output steps of error.
# Derived views of those traits, by op name (for readers and tests; the code reads the OpDefs):
SATURATING_INPUT_RANGE = {name: op.saturates_outside for name, op in ops.REGISTRY.items()
                          if op.saturates_outside is not None}
FULL_GRID_READERS = tuple(name for name, op in ops.REGISTRY.items()
                          if op.output_quant is not None and op.saturates_outside is not None)


def has_int8_kernel(opdef):
    """The op's int8 decision (OpDef.quantizable): an int8 kernel computes it on quantized values."""
    return bool(opdef.quantizable)


def is_weighted(node):
    """A layer with weights: int8 activations (weight_axis) or int8 weights only (dynamic_int8_weights)."""
    return node.opdef.weight_axis is not None or bool(node.opdef.dynamic_int8_weights)


def _full_grid_reader(node):
    return node.opdef.output_quant is not None and node.opdef.saturates_outside is not None


def is_integer(t):
    """Plain integer/bool tensors (indices, shapes): not activations; an int8 tensor made by
    this quantizer carries quantization parameters."""
    return np.dtype(t.dtype).kind in "iub" and t.quant is None


def range_span(t, ranges):
    """Width of the int8 grid a tensor needs: its calibrated (or constant) range widened to include 0."""
    lo, hi = (np.min(t.data), np.max(t.data)) if t.is_constant else ranges[t.name]
    return max(float(hi), 0.0) - min(float(lo), 0.0)


def _mixed_range(tensors, ranges):
    """The ratio of the widest to the narrowest range among `tensors` when it exceeds
    MIXED_RANGE_RATIO, else None."""
    spans = [range_span(t, ranges) for t in tensors if t is not None and not is_integer(t)]
    if len(spans) < 2 or min(spans) <= 0:
        return None
    ratio = max(spans) / min(spans)
    return ratio if ratio > MIXED_RANGE_RATIO else None


def output_tail(graph):
    """Nodes between the last weighted layer and each graph output (decode steps, activations, concats,
    reshapes), up to and including a softmax / sigmoid / tanh that computes an output: the part of the
    model that feeds post-processing."""
    tail, stack = [], [t.producer for t in graph.outputs if t.producer is not None]
    while stack:
        node = stack.pop()
        if node in tail or is_weighted(node):
            continue
        tail.append(node)
        if node.opdef.output_quant is None:
            stack += [t.producer for t in node.inputs if t is not None and t.producer is not None]
    return tail


def float_decisions(graph, ranges, io_dtype="float32", int8_outputs=False, float_nodes=()):
    """{node name: why it stays float} for nodes that could run in int8 but should not:

    - `float_nodes` (chosen by the user or by the accuracy search);
    - the output tail, unless int8_outputs or io_dtype="int8": model outputs feed post-processing
      (box decoding, CTC, thresholds), so they are computed in float from int8 layers;
    - concats / splits whose slices live on very different scales (MIXED_RANGE_RATIO)."""
    float_nodes = layer_nodes(graph, float_nodes)
    reasons = {name: "kept float (float_layers / accuracy target)" for name in float_nodes}
    if not int8_outputs and io_dtype == "float32":
        for node in output_tail(graph):
            reasons.setdefault(node.name, "feeds a model output (int8_outputs=False keeps the output tail float)")
    for node in graph.nodes:
        sliced = node.inputs if node.op == "concat" else node.outputs if node.op == "split" else None
        ratio = sliced and _mixed_range(sliced, ranges)
        if ratio:
            reasons.setdefault(node.name, f"{node.op} of ranges {ratio:.0f}x apart: float, each slice keeps its own "
                                          "int8 scale")
            if node.op == "concat":  # data movement after it would need one int8 scale again: float too
                _float_movers_after(graph, node.outputs[0], reasons, f"moves the output of {node.name} (mixed ranges)")
    _grow_float_islands(graph, reasons, set(float_nodes))
    return reasons


def layer_nodes(graph, names, source=None):
    """The node names of the layers `names` gives, each by its node name or by the name of a tensor
    it computes (for an imported model, both are the source model's names). `source`: the graph
    before optimization, so a name the passes merged into another layer (a fused relu, a folded
    batch norm, the conv output a fused activation now overwrites) finds the layer that took it over."""
    nodes = {n.name for n in graph.nodes}
    producers = {t.name: n.name for n in graph.nodes for t in n.outputs}

    def resolve(name):
        if name in nodes or name in producers:
            return name if name in nodes else producers[name]
        merged = [n for n in (source.nodes if source is not None else ())
                  if n.name == name or any(t.name == name for t in n.outputs)]
        for candidate in [c for n in merged for c in [n.name] + [t.name for t in n.outputs]]:
            if candidate in nodes or candidate in producers:
                return candidate if candidate in nodes else producers[candidate]
        return None

    resolved = [resolve(name) for name in names]
    unknown = [name for name, node in zip(names, resolved) if node is None]
    if unknown:
        import difflib

        near = difflib.get_close_matches(unknown[0], sorted(nodes | set(producers)), n=3)
        raise ValueError(f"the float layers name unknown node(s) {unknown[:5]}{' ...' if len(unknown) > 5 else ''}: "
                         "name a layer by its node name or by a tensor it computes, as the quantization report "
                         "and `edgenet inspect` show them" + (f"; did you mean {', '.join(map(repr, near))}?"
                                                               if near else ""))
    return resolved


def _grow_float_islands(graph, reasons, kept_float):
    """Add to `reasons` the unweighted nodes whose neighbours on one side are all float ops (no int8
    kernel), nodes in `kept_float` or island nodes: every non-constant input computed by one, or
    every reader one. (The output tail and mixed-range concats are float for range reasons and do not
    grow islands: their int8 neighbours, e.g. a sigmoid, keep a useful int8 form.) In int8 such a node would
    only add a quantize / dequantize pair (two roundings) around float-only ops, e.g. the
    mean / sub / add / sqrt / mul of a layer norm spelled out around its float pow and div; as part of
    the float island it costs one dequantize where the island starts and one quantize where it ends."""
    readers = {}
    for node in graph.nodes:
        for t in node.inputs:
            if t is not None:
                readers.setdefault(id(t), []).append(node)
    outputs = {id(t) for t in graph.kept_tensors}

    island = set(kept_float)

    def is_float(node):
        return node.name in island or not has_int8_kernel(node.opdef) or any(t.dtype != "float32"
                                                                              for t in node.outputs)

    changed = True
    while changed:
        changed = False
        for node in graph.nodes:
            if is_float(node) or is_weighted(node) or node.name in reasons:
                continue
            producers = [t.producer for t in node.inputs if t is not None and not t.is_constant and not is_integer(t)]
            consumers = [r for t in node.outputs for r in readers.get(id(t), [])]
            from_float = producers and all(p is not None and is_float(p) for p in producers)
            into_float = consumers and all(is_float(r) for r in consumers) and not any(id(t) in outputs
                                                                                       for t in node.outputs)
            if from_float or into_float:
                reasons[node.name] = "joins a float island (int8 would only add quantize / dequantize around float ops)"
                island.add(node.name)
                changed = True


def clip_to_consumers(graph, ranges):
    """`ranges` with each grid-defining tensor's range set by what its elements meet downstream.

    The elements are followed through data movement (OpDef.moves_data: a concat's part, a split's
    slice) to the ops that compute with them. When those are all saturating unary ops
    (OpDef.saturating_input_range), the range is narrowed to where their outputs still change (values beyond
    saturate in int8 and the readers' outputs stay the same); when they are all sigmoid / tanh
    (FULL_GRID_READERS), it becomes their whole non-saturated input range. A concat's range is the
    union of its inputs' (its output holds nothing else). Graph outputs keep their full range; outputs
    of pass-through ops keep their input's grid in int8 and are left as they are."""
    clipped = dict(ranges)
    for node in graph.nodes:
        if node.opdef.quant_pass_through:
            continue
        for t in node.outputs:
            if t.name not in ranges or t.dtype != "float32":  # (integer indices, bool masks: no int8 grid)
                continue
            if node.op == "concat":
                parts = [clipped[u.name] if u.name in clipped else (np.min(u.data), np.max(u.data))
                         for u in node.inputs if u is not None and (u.name in clipped or u.is_constant)]
                if len(parts) == len(node.inputs):
                    clipped[t.name] = (min(p[0] for p in parts), max(p[1] for p in parts))
            readers = computing_readers(graph, t)
            bounds = [None if r is None else r.opdef.saturating_input_range(r.attrs) for r in readers]
            if not readers or None in bounds:
                continue
            lo, hi = clipped[t.name]
            if all(_full_grid_reader(r) for r in readers):
                clipped[t.name] = (min(b[0] for b in bounds), max(b[1] for b in bounds))
            else:
                clipped[t.name] = (max(lo, min(b[0] for b in bounds)), min(hi, max(b[1] for b in bounds)))
    return clipped


def saturated_tensors(graph):
    """Names of the tensors of the float `graph` whose int8 grid clip_to_consumers narrows because
    all their readers saturate: values beyond that grid change nothing downstream, so an error
    measure should compare them inside the grid only."""
    unbounded = {t.name: (-np.inf, np.inf) for t in graph.tensors if not t.is_constant}
    return {name for name, bounds in clip_to_consumers(graph, unbounded).items() if bounds != (-np.inf, np.inf)}


def saturation_bounds(graph):
    """{tensor name: (lo, hi)} for the non-constant tensors all of whose computing readers saturate
    (OpDef.saturating_input_range; followed through data movement, so a split's slice read by a
    sigmoid counts): values beyond (lo, hi) change nothing downstream."""
    bounds = {}
    for t in graph.tensors:
        if t.is_constant:
            continue
        readers = computing_readers(graph, t)
        ranges = [None if r is None else r.opdef.saturating_input_range(r.attrs) for r in readers]
        if readers and None not in ranges:
            bounds[t.name] = (min(b[0] for b in ranges), max(b[1] for b in ranges))
    return bounds


def share_state_ranges(graph, ranges):
    """`ranges` with each state tensor and its assigned value on one range (the union of theirs).
    States stay float32 in an int8 model: the quantizer puts a quantize after the state's read and
    a dequantize before its assign, and on one grid that round trip through float is exact."""
    shared = dict(ranges)
    for s in graph.states:
        pair = [t for t in (s.tensor, s.assigned) if t is not None and t.name in shared]
        if len(pair) == 2:
            lo = min(shared[t.name][0] for t in pair)
            hi = max(shared[t.name][1] for t in pair)
            for t in pair:
                shared[t.name] = (lo, hi)
    return shared


def computing_readers(graph, t):
    """The nodes that compute with some element of tensor `t`, following its elements through data
    movement (OpDef.moves_data); None stands for "a graph output holds some". Only the outputs of a
    movement op that really hold elements of `t` are followed (found by moving element ids with the
    op's reference), so a split's slices go their own ways. [None] when shapes are unknown."""
    outputs = {id(u) for u in graph.kept_tensors}
    found, stack = [], [(t, None)]
    while stack:
        tensor, ids = stack.pop()
        if id(tensor) in outputs:
            found.append(None)
        for reader in graph.consumers(tensor):
            if not reader.opdef.moves_data:
                found.append(reader)
                continue
            if ids is None:
                if any(d is None for d in tensor.shape):
                    return [None]
                ids = np.arange(1, int(np.prod(tensor.shape)) + 1, dtype=np.float64).reshape(tensor.shape)
            inputs = [None if u is None else ids if u is tensor else u.data if u.is_constant
                      else np.zeros([1 if d is None else d for d in u.shape]) for u in reader.inputs]
            for out, moved in zip(reader.outputs, reader.opdef.reference(inputs, dict(reader.attrs))):
                if np.any(moved > 0):
                    stack.append((out, moved))
    return list(dict.fromkeys(found))


def _float_movers_after(graph, tensor, reasons, reason):
    for consumer in graph.consumers(tensor):
        if consumer.opdef.quant_pass_through and consumer.op != "split" and consumer.name not in reasons:
            reasons[consumer.name] = reason
            _float_movers_after(graph, consumer.outputs[0], reasons, reason)


