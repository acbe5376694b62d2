"""If, Loop, Scan onto g.cond / g.while_loop (edgenet/ops/control_flow.py).

An ONNX body is a graph whose nodes may read any value of the enclosing graphs by name. Its nodes
are imported with the same importer inside the body function given to g.cond / g.while_loop, in a
nested scope: the body's inputs and results are visible only inside it, the enclosing values stay
readable (the builder turns each one a body reads into an input of the control-flow op). Body
values are held in ONNX order (no layout change crosses a body boundary).
"""
import numpy as np

from edgenet.graph import GraphBuildError

from ..registry import Unsupported, handles, input_name


def _import_body(imp, body, args):
    """Import the nodes of ONNX graph `body` with its inputs bound to the tensors `args`; returns the
    tensors of its outputs. Values defined inside do not leak out."""
    # (a value without a declared type is allowed: exporters leave body outputs untyped, their producers say)
    kinds = {info.type.WhichOneof("value") for info in list(body.input) + list(body.output)} - {"tensor_type", None}
    if kinds:
        raise Unsupported(f"body {body.name!r} has {sorted(kinds)[0]} values (only tensors cross a body boundary)")
    outer_values, outer_converted = dict(imp.values), dict(imp.converted)
    try:
        for init in body.initializer:
            imp.set_const(init.name, imp.onnx.numpy_helper.to_array(init))
        for info, t in zip(body.input, args):
            imp.set_value(info.name, t, None)
        for node in body.node:
            label = node.name or f"{node.op_type}({', '.join(node.output)})"
            if node.domain not in ("", "ai.onnx"):
                raise Unsupported(f"body node {label}: op domain {node.domain!r} is not supported")
            try:
                imp.import_node(node)
            except Unsupported as e:
                raise Unsupported(f"body {body.name!r} node {label} ({node.op_type}): {e}", e.runtime) from None
        return [imp.tensor(info.name) for info in body.output]
    finally:
        imp.values, imp.converted = outer_values, outer_converted


def _set_outputs(imp, node, tensors):
    for name, t in zip(node.output, tensors):
        imp.set(name, t)


@handles("If")
def if_(imp, node, attrs):
    then_body, else_body = attrs["then_branch"], attrs["else_branch"]
    pred = imp.const(node.input[0])
    if pred is not None:  # a constant condition: the chosen branch, inline
        _set_outputs(imp, node, _import_body(imp, then_body if bool(np.asarray(pred).reshape(-1)[0]) else else_body,
                                             []))
        return
    try:
        results = imp.graph.cond(imp.tensor(node.input[0]), lambda: tuple(_import_body(imp, then_body, [])),
                                 lambda: tuple(_import_body(imp, else_body, [])))
    except (Unsupported, GraphBuildError) as e:  # e.g. branches of different ranks: a constant condition keeps one
        raise Unsupported(str(e), (*getattr(e, "runtime", ()), node.input[0])) from None
    _set_outputs(imp, node, results if isinstance(results, tuple) else [results])


def _logical_and(g, a, b):
    return g.greater(g.mul(g.cast(a, "float32"), g.cast(b, "float32")), 0.5)


@handles("Loop")
def loop(imp, node, attrs):
    """Loop(M, cond, v...): while iteration < M and cond: (cond, v...) = body(iteration, cond, v...).
    The iteration counter is carried as float32 (exact to 2^24) and given to the body as int64."""
    g, body = imp.graph, attrs["body"]
    n = len(node.input) - 2
    if len(body.output) != n + 1:
        raise Unsupported(f"scan outputs ({len(body.output) - n - 1}) are not supported: their length is the "
                          "iteration count, known only at run time")
    trip_name, cond_name = input_name(node, 0), input_name(node, 1)
    trip = imp.const(trip_name) if trip_name else None
    max_iterations = None
    if trip is not None:
        max_iterations = int(np.asarray(trip).reshape(-1)[0])
        if not 0 <= max_iterations < 2**31:
            raise Unsupported(f"trip count {max_iterations} out of range")
    trip_count = g.cast(imp.tensor(trip_name), "float32") if trip_name and trip is None else None
    condition = imp.tensor(cond_name) if cond_name else imp.constant(np.array(True), name="loop/cond")
    values = [imp.tensor(name) for name in node.input[2:]]

    def keep_going(i, c, *v):
        return c if trip_count is None else _logical_and(g, c, g.less(i, g.reshape(trip_count, ())))

    def step(i, c, *v):
        results = _import_body(imp, body, [g.cast(i, "int64"), c, *v])
        return (i + 1.0, g.reshape(results[0], c.shape), *results[1:])

    finals = g.while_loop(keep_going, step, (imp.constant(np.zeros((), np.float32), "loop/iteration"), condition,
                                             *values), max_iterations=max_iterations)
    _set_outputs(imp, node, finals[2:])


@handles("Scan")
def scan(imp, node, attrs):
    """Scan (opset 9+) over axis 0 of its scan inputs, forward, with a length known at conversion: the
    states are loop variables, each scan output a (T, ...) loop variable that iteration t fills at row t
    (out + onehot(t) * y_t)."""
    g, body = imp.graph, attrs["body"]
    num_scan = attrs["num_scan_inputs"]
    if any(attrs.get(k) and any(attrs[k]) for k in ("scan_input_axes", "scan_output_axes", "scan_input_directions",
                                                      "scan_output_directions")):
        raise Unsupported("only forward scans over axis 0 are supported")
    names = list(node.input)
    states, scanned = [imp.tensor(n) for n in names[:len(names) - num_scan]], [imp.tensor(n) for n in names[-num_scan:]]
    lengths = {x.shape[0] for x in scanned}
    if len(lengths) != 1 or None in lengths:
        raise Unsupported(f"scan lengths {sorted(lengths, key=str)} must be one length known at conversion "
                          "(pin it with input_shapes)")
    length = lengths.pop()
    out_shapes = [tuple(d.dim_value for d in info.type.tensor_type.shape.dim) for info in body.output[len(states):]]
    if any(0 in shape for shape in out_shapes):
        raise Unsupported("scan outputs need static shapes in the body's output declarations")
    stacked = [imp.constant(np.zeros((length, *shape), np.float32), f"scan/output{k}") for k, shape in
               enumerate(out_shapes)]
    positions = np.arange(length, dtype=np.float32)

    def step(t, *carried):
        s, outs = carried[:len(states)], carried[len(states):]
        rows = [g.reshape(g.gather(x, g.cast(t, "int32"), axis=0), x.shape[1:]) for x in scanned]
        results = _import_body(imp, body, [*s, *rows])
        new_states, ys = results[:len(states)], results[len(states):]
        onehot = g.cast(g.equal(imp.constant(positions, "scan/positions"), t), "float32")
        filled = [o + g.reshape(onehot, (length,) + (1,) * len(y.shape)) * y for o, y in zip(outs, ys)]
        return (t + 1.0, *new_states, *filled)

    finals = g.while_loop(lambda t, *rest: g.less(t, float(length)), step,
                          (imp.constant(np.zeros(1, np.float32), "scan/t"), *states, *stacked), max_iterations=length)
    _set_outputs(imp, node, finals[1:])
