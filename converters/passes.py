"""Graph passes: short functions that rewrite a Graph in place (run them on a copy).

`optimize(graph)` is what `convert(optimize=True)` runs: the optimization passes below, repeated
until none changes anything (one rewrite often enables another, e.g. folding a batch_norm into a
conv lets a following relu fuse into that conv). Each pass returns True when it changed the graph.
`lower_to_file_ops(graph)` runs last in every conversion: it replaces ops with no schema opcode.

Rewrites keep the graph's output names stable: when a node producing a graph output goes away,
the tensor taking its place is that same output Tensor (or takes over its name).
"""
import numpy as np

from edgenet.graph import Tensor

# ---- small helpers shared by the passes ---------------------------------------------------------


def _is_output(graph, tensor):
    """A graph output or a state's assigned value: its Tensor and value must stay."""
    return any(t is tensor for t in graph.kept_tensors)


def _sole_reader(graph, tensor):
    """The one node reading `tensor`, or None when it has several readers or is a graph output
    (then its value is needed as is, and its producer must not be rewritten to compute another)."""
    if _is_output(graph, tensor):
        return None
    readers = graph.consumers(tensor)
    return readers[0] if len(readers) == 1 else None


def _take_over_outputs(graph, producer, reader):
    """`producer` now computes what `reader` computed (its outputs, so their names and readers
    stay), and `reader` is removed. The caller has checked `reader` was the producer's only reader."""
    producer.outputs = list(reader.outputs)
    for t in producer.outputs:
        t.producer = producer
    graph.nodes.remove(reader)


def _replace_tensor(graph, old, new):
    """Make every reader of `old` read `new` (same shape and dtype) instead, so old's producer can
    be removed. If `old` is a graph output, `new`'s producer writes `old` instead, keeping the
    output's name. Returns False (changing nothing) when that is impossible."""
    if old.shape != new.shape or old.dtype != new.dtype:
        return False
    if _is_output(graph, old):
        producer = new.producer
        if producer is None or _is_output(graph, new):
            return False  # a graph input, constant or other output cannot be renamed
        producer.outputs = [old if t is new else t for t in producer.outputs]
        old.producer = producer
        old, new = new, old  # now redirect new's former readers to the output tensor
    for node in graph.nodes:
        node.inputs = [new if t is old else t for t in node.inputs]
    return True


def _rewire(node, inputs, attrs):
    """Give `node` new inputs and attrs if its shape rule still yields exactly its current outputs.
    Returns False (changing nothing) otherwise."""
    attrs = dict(attrs)  # infer may canonicalize attrs in place
    try:
        inferred = node.opdef.infer(inputs, attrs)
    except ValueError:
        return False
    if [(tuple(shape), dtype) for shape, dtype in inferred] != [(t.shape, t.dtype) for t in node.outputs]:
        return False
    node.inputs, node.attrs = list(inputs), attrs
    return True


def _per_channel(tensor, channels):
    """A constant's values as a float64 (channels,) vector, if it broadcasts along the last axis
    only (shape (), (C,), (1, ..., 1, C) or all ones); else None."""
    if tensor is None or not tensor.is_constant:
        return None
    shape = tensor.shape
    if any(d != 1 for d in shape[:-1]) or (shape and shape[-1] not in (1, channels)):
        return None
    return np.broadcast_to(tensor.data.astype(np.float64).reshape(-1), (channels,))


# ---- constant folding ---------------------------------------------------------------------------


def fold_constants(graph):
    """Evaluate nodes whose inputs are all constants (numpy reference) and make their outputs
    constants. Skipped when an output is a graph output (outputs must be op results) or when the
    result is bigger than its inputs together (a broadcast or pad would only grow the file)."""
    changed = False
    for node in list(graph.nodes):
        inputs = [t for t in node.inputs if t is not None]
        if not inputs or not all(t.is_constant for t in inputs) or any(_is_output(graph, t) for t in node.outputs):
            continue
        if sum(t.data.size for t in inputs) < sum(int(np.prod(t.shape)) for t in node.outputs):
            continue
        values = node.opdef.evaluate([None if t is None else t.data.astype(np.float64) for t in node.inputs],
                                     node.attrs)
        for t, value in zip(node.outputs, values):
            # The output Tensor becomes the constant, so its readers and name are unchanged.
            t.data = np.ascontiguousarray(value, dtype=t.dtype)
            t.data.setflags(write=False)
            t.producer = None
        graph.nodes.remove(node)
        changed = True
    return changed


# ---- identity ops -------------------------------------------------------------------------------

_NEUTRAL = {"add": 0.0, "sub": 0.0, "mul": 1.0}


def _passed_through(node):
    """The input tensor `node` returns unchanged, or None if it computes something."""
    x, y = node.inputs[0], node.outputs[0]
    attrs = node.attrs
    if node.op == "reshape":
        return x if x.shape == y.shape else None
    if node.op == "transpose":
        return x if list(attrs["perm"]) == list(range(len(x.shape))) else None
    if node.op == "clip":
        return x if attrs["min"] == -np.inf and attrs["max"] == np.inf else None
    if node.op == "pad":
        return x if all(before == after == 0 for before, after in attrs["paddings"]) else None
    if node.op in _NEUTRAL and attrs.get("activation") is None:
        a, b = node.inputs
        # x - 0 is x, but 0 - x is not: only sub's second operand may be the neutral constant.
        pairs = [(a, b)] if node.op == "sub" else [(a, b), (b, a)]
        for kept, neutral in pairs:
            if neutral.is_constant and (neutral.data == _NEUTRAL[node.op]).all() and kept.shape == y.shape:
                return kept
    return None


def _merge_with_producer(node):
    """reshape(reshape(x)) -> reshape(x); transpose(transpose(x, p), q) -> transpose(x, p[q]).
    The inner node stays for its other readers; if it has none, dead-code elimination drops it."""
    inner = node.inputs[0].producer
    if inner is None or inner.op != node.op or node.op not in ("reshape", "transpose"):
        return False
    attrs = dict(node.attrs)
    if node.op == "transpose":
        attrs["perm"] = tuple(inner.attrs["perm"][p] for p in node.attrs["perm"])
    return _rewire(node, [inner.inputs[0]], attrs)


def remove_identity_ops(graph):
    """Drop reshapes to the same shape, identity transposes, clips with infinite bounds, zero
    pads, and mul by 1 / add or sub of 0; merge consecutive reshapes and transposes first, so
    pairs that cancel become identities."""
    changed = False
    for node in list(graph.nodes):
        changed |= _merge_with_producer(node)
        kept = _passed_through(node)
        if kept is not None and _replace_tensor(graph, node.outputs[0], kept):
            graph.nodes.remove(node)
            changed = True
    return changed


# ---- padding folded into the following window op -----------------------------------------------


def _explicit_pads(node):
    """A conv's or pool's padding as ((top, bottom), (left, right)) (the op resolves "same"/"valid")."""
    return node.opdef.explicit_pads(node.inputs, node.attrs)


def _pad_matches(node, value):
    """Whether padding cells of `value` read by `node` act exactly like the node's own padding."""
    if node.op in ("conv2d", "depthwise_conv2d"):
        return value == 0.0  # conv padding is zeros
    if node.op == "max_pool2d":
        return value == -np.inf  # max pool padding never wins a max
    if node.op == "avg_pool2d":
        # Zero cells counted in the average = count_include_pad=True; allowed when the pool's own
        # padding (if any) is counted the same way.
        has_own_padding = any(_explicit_pads(node)[i][j] for i in range(2) for j in range(2))
        # (Not with TFLite's int8 average, which sums raw int8 values: a padded zero is its zero point.)
        return value == 0.0 and not node.attrs.get("tflite_int8_average") and (
            node.attrs["count_include_pad"] or not has_own_padding)
    return False


def fold_padding(graph):
    """pad (on H and W only) followed by conv2d / depthwise_conv2d / max or avg pool: add the pad
    to the window op's explicit padding when the pad value matches what that padding means."""
    changed = False
    for node in graph.nodes:
        pad = node.inputs[0].producer if node.op in ("conv2d", "depthwise_conv2d", "max_pool2d",
                                                     "avg_pool2d") else None
        if pad is None or pad.op != "pad" or not _pad_matches(node, pad.attrs["constant_value"]):
            continue
        batch, (top, bottom), (left, right), channels = pad.attrs["paddings"]
        if batch != (0, 0) or channels != (0, 0):
            continue
        (own_top, own_bottom), (own_left, own_right) = _explicit_pads(node)
        attrs = dict(node.attrs, padding=((top + own_top, bottom + own_bottom), (left + own_left, right + own_right)))
        if node.op == "avg_pool2d":
            attrs["count_include_pad"] = True
        changed |= _rewire(node, [pad.inputs[0]] + node.inputs[1:], attrs)
    return changed


# ---- batch norm (and per-channel mul / add) folded into weights ---------------------------------

def _foldable_producer(graph, tensor, reader):
    """The conv / depthwise / FC node computing `tensor`, if `reader` may be folded into it: its
    weights (and bias) are constants, it has no fused activation, and `reader` is its only reader."""
    node = tensor.producer
    if node is None or node.opdef.weight_axis is None or node.attrs.get("activation") is not None:
        return None
    weights, bias = node.inputs[1], node.inputs[2]
    if not weights.is_constant or (bias is not None and not bias.is_constant):
        return None
    return node if _sole_reader(graph, tensor) is reader else None


def _as_affine(graph, node):
    """If `node` computes y * multiplier + shift per channel on the output y of a foldable conv/FC
    (batch_norm, or mul / add / sub by a per-channel constant), return (producer, multiplier, shift)."""
    if node.op == "batch_norm":
        producer = _foldable_producer(graph, node.inputs[0], node)
        if producer is None:
            return None
        mean, variance, scale, offset = (t.data.astype(np.float64) for t in node.inputs[1:])
        multiplier = scale / np.sqrt(variance + node.attrs["epsilon"])
        return producer, multiplier, offset - mean * multiplier
    if node.op not in ("mul", "add", "sub"):
        return None
    a, b = node.inputs
    for y, constant in [(a, b)] if node.op == "sub" else [(a, b), (b, a)]:
        producer = _foldable_producer(graph, y, node)
        values = _per_channel(constant, y.shape[-1]) if producer is not None else None
        if values is None or node.outputs[0].shape != y.shape:
            continue
        ones, zeros = np.ones_like(values), np.zeros_like(values)
        return producer, *{"mul": (values, zeros), "add": (ones, values), "sub": (ones, -values)}[node.op]
    return None


def fold_batch_norm(graph):
    """conv2d / depthwise_conv2d / fully_connected followed by batch_norm, or by a per-channel
    mul or add of a constant (how imported models spell batch norm): scale the weights and bias
    (creating a bias if absent) so the weighted op computes both; a fused activation of the
    folded mul/add moves onto the weighted op."""
    changed = False
    for node in list(graph.nodes):
        affine = _as_affine(graph, node)
        if affine is None:
            continue
        producer, multiplier, shift = affine
        weights, bias = producer.inputs[1], producer.inputs[2]
        integer = weights.dtype != "float32"  # int8 weights of a hybrid FC: only a float bias can change
        if integer and not np.all(multiplier == 1):
            continue
        axis = producer.opdef.weight_axis
        broadcast = [1] * weights.ndim
        broadcast[axis] = weights.shape[axis]
        old_bias = 0.0 if bias is None else bias.data.astype(np.float64)
        if not integer:
            new_weights = weights.data.astype(np.float64) * multiplier.reshape(broadcast)
            producer.inputs[1] = graph.constant(new_weights, name=f"{producer.name}/weights")
        producer.inputs[2] = graph.constant(old_bias * multiplier + shift, name=f"{producer.name}/bias")
        producer.attrs["activation"] = node.attrs.get("activation")
        _take_over_outputs(graph, producer, node)
        changed = True
    return changed


# ---- per-channel mul / add folded into the next weighted layer ----------------------------------


def _weights_reading_channels(node, channels):
    """The weights of weighted `node` as (view, restore): view (channels, -1) holds everything that
    reads input channel c; restore(view) gives the weights' own layout back (the op knows its layout)."""
    return node.opdef.weights_by_input_channel(node.inputs[1].data.astype(np.float64), channels)


def _unpadded(node):
    return not any(p for pair in _explicit_pads(node) for p in pair)


def fold_affine_into_next_layer(graph):
    """y = x * c or y = x + c (c a per-channel or scalar constant) read only by a conv / depthwise / FC
    with constant weights: scale the weights' input channels by c, or add W @ c to its bias. A mul
    folds into any such layer (its zero padding stays zero); an add only into one without padding
    (padding would read 0, not c). Paddle's learnable affine after each activation then costs nothing."""
    changed = False
    for node in reversed(list(graph.nodes)):  # last first: an add folds, then the mul before it can
        if node.op not in ("mul", "add") or node.attrs.get("activation") is not None:
            continue
        y = node.outputs[0]
        reader = _sole_reader(graph, y)
        if reader is None or reader.opdef.weight_axis is None or reader.inputs[0] is not y:
            continue
        if not reader.inputs[1].is_constant or (reader.inputs[2] is not None and not reader.inputs[2].is_constant):
            continue
        if reader.inputs[1].dtype != "float32":  # int8 weights (hybrid FC) keep the model's integers
            continue
        if node.op == "add" and not _unpadded(reader):
            changed |= _add_as_padding_value(graph, node, reader)
            continue
        channels = y.shape[-1]
        for x, constant in (node.inputs, node.inputs[::-1]):
            values = _per_channel(constant, channels)
            if values is None or x.is_constant or x.shape != y.shape:
                continue
            view, restore = _weights_reading_channels(reader, channels)
            if node.op == "mul":
                reader.inputs[1] = graph.constant(restore(view * values[:, None]), name=f"{reader.name}/weights")
            else:
                shift = _bias_shift(reader, values)
                old = 0.0 if reader.inputs[2] is None else reader.inputs[2].data.astype(np.float64)
                reader.inputs[2] = graph.constant(old + shift, name=f"{reader.name}/bias")
            reader.inputs[0] = x
            graph.nodes.remove(node)
            changed = True
            break
    return changed


def _add_as_padding_value(graph, node, reader):
    """x * c + b (scalars; the mul optional) before a padded conv / depthwise: conv(pad(x + b/c) * c)
    equals conv'(pad(x, value=-b/c)) with weights * c, bias + b * sum(weights) and no padding of its
    own (a padding cell becomes (-b/c) * c + b = 0, as before). A copy replaces two elementwise ops."""
    x, constant = node.inputs if _scalar(node.inputs[1]) is not None else node.inputs[::-1]
    b = _scalar(constant)
    if b is None or x.is_constant or x.shape != node.outputs[0].shape or reader.op not in ("conv2d",
                                                                                          "depthwise_conv2d"):
        return False
    c, scaled = 1.0, x.producer
    if scaled is not None and scaled.op == "mul" and scaled.attrs.get("activation") is None and \
            _sole_reader(graph, x) is node:
        h, factor = scaled.inputs if _scalar(scaled.inputs[1]) is not None else scaled.inputs[::-1]
        if _scalar(factor) not in (None, 0.0) and not h.is_constant and h.shape == x.shape:
            x, c = h, _scalar(factor)
    else:
        scaled = None
    if c == 1.0:
        scaled = None
    (top, bottom), (left, right) = _explicit_pads(reader)
    channels = node.outputs[0].shape[-1]
    view, restore = _weights_reading_channels(reader, channels)
    shift = _bias_shift(reader, np.full(channels, b))
    pad = graph.make_node("pad", [x], {"paddings": ((0, 0), (top, bottom), (left, right), (0, 0)),
                                       "constant_value": float(np.float32(-b / c))}, name=f"{node.name}/as_padding")
    old_bias = 0.0 if reader.inputs[2] is None else reader.inputs[2].data.astype(np.float64)
    inputs = [pad.outputs[0], graph.constant(restore(view * c), name=f"{reader.name}/weights"),
              graph.constant(old_bias + shift, name=f"{reader.name}/bias")]
    if not _rewire(reader, inputs, dict(reader.attrs, padding=((0, 0), (0, 0)))):
        return False
    graph.nodes[graph.nodes.index(node)] = pad
    if scaled is not None:
        graph.nodes.remove(scaled)
    return True


def _bias_shift(reader, values):
    """What adding `values` (per input channel) to every input of `reader` adds to each output channel."""
    return reader.opdef.input_offset_effect(reader.inputs[1].data.astype(np.float64), values)


# ---- activation fusion --------------------------------------------------------------------------

def _as_activation(node):
    """The fused-activation name equal to `node` ("relu" / "relu6"), or None."""
    if node.op in ("relu", "relu6"):
        return node.op
    if node.op == "clip" and node.attrs["min"] == 0.0:
        return {6.0: "relu6", np.inf: "relu"}.get(node.attrs["max"])
    return None


def fuse_activations(graph):
    """relu / relu6 / clip(0, 6) / clip(0, inf) after conv, depthwise, FC, add or sub becomes
    that op's fused activation, when the op has none yet and the activation is its only reader."""
    changed = False
    for node in list(graph.nodes):
        activation = _as_activation(node)
        producer = node.inputs[0].producer
        if activation is None or producer is None or not producer.opdef.fuses_activation:
            continue
        if producer.attrs.get("activation") is not None or _sole_reader(graph, node.inputs[0]) is not node:
            continue
        producer.attrs["activation"] = activation
        _take_over_outputs(graph, producer, node)
        changed = True
    return changed


# ---- gated activations: x * gate(x) as one op ---------------------------------------------------

# hard_sigmoid(x) with these parameters is relu6(x + 3) / 6, so x * hard_sigmoid(x) is hard_swish(x).
_HARD_SWISH_GATE = (1.0 / 6.0, 0.5)


def _gate_kind(gate):
    """The fused op name if `gate` (a node) is sigmoid or hard_swish's hard_sigmoid, else None."""
    if gate is None:
        return None
    if gate.op == "sigmoid":
        return "silu"
    if gate.op == "hard_sigmoid" and np.allclose((gate.attrs["alpha"], gate.attrs["beta"]), _HARD_SWISH_GATE,
                                                 rtol=1e-6, atol=0):
        return "hard_swish"
    return None


def fuse_gated_activations(graph):
    """mul(x, sigmoid(x)) -> silu(x); mul(x, hard_sigmoid(x, 1/6, 0.5)) -> hard_swish(x) (either operand
    order); x * relu6(x + 3) * (1/6) -> hard_swish(x). One op instead of two means one rounding instead of two in int8 (a lookup table), and one
    pass over memory in float. The gate must have the mul as its only reader."""
    changed = False
    for node in list(graph.nodes):
        if node.op != "mul" or node.attrs.get("activation") is not None:
            continue
        a, b = node.inputs
        for x, gate_out in ((a, b), (b, a)):
            gate = gate_out.producer
            fused = _gate_kind(gate)
            if fused is None or gate.inputs[0] is not x or _sole_reader(graph, gate_out) is not node:
                continue
            if node.outputs[0].shape != x.shape:
                continue
            node.op, node.inputs, node.attrs = fused, [x], {}
            graph.nodes.remove(gate)
            changed = True
            break
        else:
            changed |= _fuse_spelled_out_hard_swish(graph, node)
    return changed


def _scalar(tensor):
    """A constant holding one value (any shape of size 1) as a float, else None."""
    return float(tensor.data.reshape(-1)[0]) if tensor is not None and tensor.is_constant and tensor.data.size == 1 \
        else None


def _fuse_spelled_out_hard_swish(graph, node):
    """x * relu6(x + 3) * (1/6) -> hard_swish(x), as exporters write it: add(x, 3) with a fused relu6
    (after fuse_activations), mul by x, then mul by 1/6 (div by 6 is turned into that by
    divisions_by_constants). `node` is the last mul; every intermediate must have one reader."""
    product, sixth = node.inputs if _scalar(node.inputs[1]) is not None else node.inputs[::-1]
    if not np.isclose(_scalar(sixth) or 0.0, 1.0 / 6.0, rtol=1e-6, atol=0) or product.producer is None:
        return False
    inner = product.producer
    if inner.op != "mul" or inner.attrs.get("activation") is not None or _sole_reader(graph, product) is not node:
        return False
    for x, shifted in (inner.inputs, inner.inputs[::-1]):
        add = shifted.producer
        if add is None or add.op != "add" or add.attrs.get("activation") != "relu6":
            continue
        if _sole_reader(graph, shifted) is not inner or add.inputs[0] is not x or _scalar(add.inputs[1]) != 3.0:
            continue
        if node.outputs[0].shape != x.shape:
            return False
        node.op, node.inputs, node.attrs = "hard_swish", [x], {}
        graph.nodes.remove(inner)
        graph.nodes.remove(add)
        return True
    return False


def divisions_by_constants(graph):
    """div(x, c) with a constant c without zeros -> mul(x, 1 / c): mul has an int8 kernel, div does not
    (the result may differ from the division in the last bit)."""
    changed = False
    for node in graph.nodes:
        divisor = node.inputs[1] if node.op == "div" else None
        if divisor is None or not divisor.is_constant or not np.all(np.isfinite(divisor.data)) or \
                np.any(divisor.data == 0):
            continue
        reciprocal = graph.constant((1.0 / divisor.data.astype(np.float64)).astype(np.float32),
                                    name=f"{node.name}/reciprocal")
        if _rewire_as(node, "mul", [node.inputs[0], reciprocal], {"activation": None}):
            changed = True
    return changed


def _rewire_as(node, op, inputs, attrs):
    """Turn `node` into `op` with these inputs and attrs if that op yields exactly its current outputs."""
    old = node.op, node.inputs, node.attrs
    node.op = op
    if _rewire(node, inputs, attrs):
        return True
    node.op, node.inputs, node.attrs = old
    return False


# ---- dead code ----------------------------------------------------------------------------------


def eliminate_dead_nodes(graph):
    """Drop nodes whose outputs no graph output or assigned state value depends on."""
    needed = {id(t) for t in graph.kept_tensors}
    live = []
    for node in reversed(graph.nodes):
        if any(id(t) in needed for t in node.outputs):
            live.append(node)
            needed.update(id(t) for t in node.inputs if t is not None)
    changed = len(live) != len(graph.nodes)
    graph.nodes = live[::-1]
    return changed


# ---- loops --------------------------------------------------------------------------------------


def _moved_constant(graph, t):
    """Constant `t` as a tensor of `graph` (a copied body holds its own clones of constants)."""
    if t is None or t.graph is graph:
        return t
    return Tensor(graph, graph._unique_name(t.name, graph._names), t.shape, t.dtype, data=t.data, quant=t.quant)


def hoist_loop_invariants(graph):
    """Move the ops of a while_loop's condition or body that read only the loop's invariants and constants
    out of the loop, before it: computed once per run instead of once per iteration (e.g. an int8 body's
    quantize of the sequence it indexes). Each result enters the loop as a new invariant. (A body op
    hoisted this way also runs when the loop runs zero times; the ops have no side effects.)"""
    changed = False
    for body in graph.bodies():  # loops inside bodies first
        changed |= hoist_loop_invariants(body)
    for node in [n for n in graph.nodes if n.op == "while_loop"]:
        n_vars, bodies = len(node.outputs), (node.attrs["cond_graph"], node.attrs["body_graph"])
        for body in bodies:
            for inner in list(body.nodes):
                invariant = {id(t): i for i, t in enumerate(body.inputs) if i >= n_vars}
                if inner.opdef.body_attrs or not all(t is None or t.is_constant or id(t) in invariant
                                                     for t in inner.inputs):
                    continue
                outer = [_moved_constant(graph, t) if t is None or t.is_constant else node.inputs[invariant[id(t)]]
                         for t in inner.inputs]
                results = [Tensor(graph, graph._unique_name(t.name, graph._names), t.shape, t.dtype, quant=t.quant)
                           for t in inner.outputs]
                graph.nodes.insert(graph.nodes.index(node), graph.make_node(inner.op, outer, inner.attrs,
                                                                            inner.name, outputs=results))
                body.nodes.remove(inner)
                for old, result in zip(inner.outputs, results):
                    node.inputs.append(result)
                    for b in bodies:  # every body takes every input of the loop
                        b.inputs.append(Tensor(b, graph._unique_name(f"{b.name}/{result.name}", graph._names),
                                               result.shape, result.dtype, quant=result.quant))
                    placeholder = body.inputs[-1]
                    for reader in body.nodes:
                        reader.inputs = [placeholder if t is old else t for t in reader.inputs]
                    body.outputs = [placeholder if t is old else t for t in body.outputs]
                changed = True
        # invariants neither body reads any more (their readers moved out) leave the loop
        for i in reversed(range(n_vars, len(node.inputs))):
            if not any(b.consumers(b.inputs[i]) or any(b.inputs[i] is o for o in b.outputs) for b in bodies):
                del node.inputs[i]
                for b in bodies:
                    del b.inputs[i]
                changed = True
    return changed


# ---- pipelines ----------------------------------------------------------------------------------

OPTIMIZATION_PASSES = (fold_constants, remove_identity_ops, fold_padding, fold_batch_norm, fuse_activations,
                       divisions_by_constants, fuse_gated_activations, fold_affine_into_next_layer,
                       hoist_loop_invariants, eliminate_dead_nodes)
MAX_ROUNDS = 20  # each round shrinks the graph or rewires it towards fewer ops; real graphs settle in 2-3


def optimize(graph):
    """The optimization pipeline `convert(optimize=True)` runs."""
    for _ in range(MAX_ROUNDS):
        if not any([run_pass(graph) for run_pass in OPTIMIZATION_PASSES]):  # a list: run every pass
            return


def lower_to_file_ops(graph):
    """Replace ops that have no schema opcode (e.g. batch_norm) by their lowering."""
    lowered = []
    for node in graph.nodes:
        lowered += node.opdef.lower(graph, node) if node.opdef.opcode is None else [node]
    graph.nodes = lowered


def count_file_ops(graph):
    """How many operators `graph` becomes in a file (after lowering), without changing it."""
    lowered = graph.copy()
    lower_to_file_ops(lowered)
    return len(lowered.nodes)


def prepare(graph, optimized=True):
    """The float graph `convert` serializes or quantizes: a copy of `graph`, optimized (unless
    optimized=False) and lowered to file ops. quantization_report rebuilds it the same way, so its
    tensors match the quantized model's by name."""
    if not graph.outputs:
        raise ValueError(f"graph {graph.name!r} has no outputs; mark them with g.output(tensor, name)")
    graph = graph.copy()
    _prepare_in_place(graph, optimized)
    return graph


def _prepare_in_place(graph, optimized):
    if optimized:
        optimize(graph)
    lower_to_file_ops(graph)
    for body in graph.bodies():  # each body is a graph of its own (a subgraph in the file)
        _prepare_in_place(body, optimized)
