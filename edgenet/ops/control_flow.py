"""Control flow: cond (IF) and while_loop (WHILE). Their bodies are Graphs of their own, held in the
node's attrs (`OpDef.body_attrs` names them) and written as further subgraphs of the file.

    y = g.cond(pred, lambda a: a * 2.0, lambda a: a - 1.0, x)
    i, acc = g.while_loop(lambda i, acc: g.less(i, n), lambda i, acc: (i + 1.0, acc + x), (i0, acc0))

Bodies are built with the same `g` and may read any tensor of the enclosing graph: such a capture
becomes an extra input of the node (after the operands / loop variables) and of every body, so a
body in the file is closed (it reads only its own inputs and constants). C: native/src/ops/control_flow.c.

int8: the node itself stays float at its boundary (operands, loop variables and results are float32, so
a loop variable has one representation on both sides of the loop); the ops inside each body are
quantized like any graph, with quantize / dequantize at the body's edges (converters/quantize/).
"""
import numpy as np

from .registry import register
from .base import OpDef, fmt_shape

# Iterations a while_loop without max_iterations may run before it fails (the C core's limit too).
ITERATION_LIMIT = 2**20


def _one_element_bool(t, what):
    if t.dtype != "bool" or any(d != 1 for d in t.shape):
        raise ValueError(f"{what} must be a scalar bool tensor (one element), got {t.dtype} {fmt_shape(t.shape)}")


def _check_same(results, expected, what, expected_what):
    """Results must match `expected` tensors one for one in shape and dtype."""
    if len(results) != len(expected):
        raise ValueError(f"{what} gives {len(results)} results, {expected_what} has {len(expected)}")
    for i, (r, e) in enumerate(zip(results, expected)):
        if r.shape != e.shape or r.dtype != e.dtype:
            raise ValueError(f"{what} result {i} is {r.dtype} {fmt_shape(r.shape)}, but {expected_what} has "
                             f"{e.dtype} {fmt_shape(e.shape)}")


def _run(body, arrays):
    from .. import reference  # the executor imports the ops: import at call time

    return reference.run_values(body, list(arrays))


def _as_tensors(g, values, what):
    """Operands / loop variables as tensors of `g` (numbers and arrays become constants)."""
    values = list(values) if isinstance(values, (tuple, list)) else [values]
    return [g._as_tensor(v, f"{what}{i}", what.split("/")[0]) for i, v in enumerate(values)]


class _ControlFlow(OpDef):
    quantizable = False  # float at the boundary; the bodies are quantized inside (module docstring)

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        return self.reference(inputs, attrs)  # integer loop counters: the bodies run their own semantics

    def options(self, node):
        # Graph-valued fields: the serializer writes each as its subgraph index.
        fields = {field: node.attrs[attr] for field, attr in zip(self.option_fields, self.body_attrs)}
        if "max_iterations" in node.attrs:
            fields["max_iterations"] = -1 if node.attrs["max_iterations"] is None else node.attrs["max_iterations"]
        return fields


@register
class Cond(_ControlFlow):
    """`g.cond(pred, true_fn, false_fn, *operands)`: true_fn(*operands) if pred else false_fn(*operands).
    Both functions return a tensor or a tuple of tensors of the same shapes and dtypes."""

    name = "cond"
    input_names = ("pred", "operand")
    opcode = "IF"
    options_table = "IfBranchOptions"
    body_attrs = ("then_branch", "else_branch")
    option_fields = ("then_subgraph", "else_subgraph")

    def build(self, g, pred, true_fn, false_fn, *operands):
        g._check_owned(pred, self.name)
        _one_element_bool(pred, "pred")
        operands = _as_tensors(g, operands, "cond/operand")
        name = g._unique_name(self.name, g._node_names)
        traced = [g._trace_body(fn, operands, g._unique_name(f"{name}/{branch}", g._names))
                  for fn, branch in ((true_fn, "then"), (false_fn, "else"))]
        (then_body, _, then_results, then_captures, single), (else_body, _, else_results, else_captures, _) = traced
        _check_same(else_results, then_results, "false_fn", "true_fn's")
        captures = then_captures + [t for t in else_captures if all(t is not c for c in then_captures)]
        g._close_body(then_body, captures)
        g._close_body(else_body, captures)
        g._node_names.discard(name)
        outputs = g.add_node(self.name, [pred, *operands, *captures],
                             {"then_branch": then_body, "else_branch": else_body}, name=name)
        return outputs[0] if single else tuple(outputs)

    def infer(self, inputs, attrs):
        _one_element_bool(inputs[0], "pred")
        then_body, else_body = attrs["then_branch"], attrs["else_branch"]
        for body in (then_body, else_body):
            _check_same(inputs[1:], body.inputs, f"the operands of {body.name!r}", "its inputs")
        _check_same(else_body.outputs, then_body.outputs, f"{else_body.name!r}", f"{then_body.name!r}")
        return [(t.shape, t.dtype) for t in then_body.outputs]

    def reference(self, inputs, attrs):
        branch = attrs["then_branch"] if bool(np.asarray(inputs[0]).reshape(-1)[0]) else attrs["else_branch"]
        return _run(branch, inputs[1:])


@register
class WhileLoop(_ControlFlow):
    """`g.while_loop(cond_fn, body_fn, loop_vars, max_iterations=None)`: while cond_fn(*vars) (a scalar
    bool) and fewer than max_iterations iterations ran, vars = body_fn(*vars). Returns the final vars
    (a tuple like loop_vars). The number of iterations may depend on the data. Without max_iterations
    the C core stops a loop after 2^20 iterations with an error (native/src/ops/control_flow.c)."""

    name = "while_loop"
    input_names = ("loop_var",)
    opcode = "WHILE"
    options_table = "WhileLoopOptions"
    body_attrs = ("cond_graph", "body_graph")
    option_fields = ("cond_subgraph", "body_subgraph")

    def build(self, g, cond_fn, body_fn, loop_vars, max_iterations=None):
        if max_iterations is not None and not (isinstance(max_iterations, (int, np.integer)) and
                                               0 <= max_iterations < 2**31):
            raise ValueError(f"max_iterations must be None or an int in [0, 2^31), got {max_iterations!r}")
        single = not isinstance(loop_vars, (tuple, list))
        loop_vars = _as_tensors(g, loop_vars, "while_loop/loop_var")
        if not loop_vars:
            raise ValueError("loop_vars is empty; a loop needs at least one loop variable")
        name = g._unique_name(self.name, g._node_names)
        cond_body, _, cond_results, cond_captures, _ = g._trace_body(cond_fn, loop_vars,
                                                                     g._unique_name(f"{name}/cond", g._names))
        if len(cond_results) != 1:
            raise ValueError(f"cond_fn must return one scalar bool tensor, got {len(cond_results)} results")
        _one_element_bool(cond_results[0], "cond_fn's result")
        body, _, body_results, body_captures, _ = g._trace_body(body_fn, loop_vars,
                                                                g._unique_name(f"{name}/body", g._names))
        _check_same(body_results, loop_vars, "body_fn", "loop_vars")
        captures = cond_captures + [t for t in body_captures if all(t is not c for c in cond_captures)]
        g._close_body(cond_body, captures)
        g._close_body(body, captures)
        g._node_names.discard(name)
        attrs = {"cond_graph": cond_body, "body_graph": body,
                 "max_iterations": None if max_iterations is None else int(max_iterations)}
        outputs = g.add_node(self.name, [*loop_vars, *captures], attrs, name=name)
        return outputs[0] if single else tuple(outputs)

    def infer(self, inputs, attrs):
        cond_body, body = attrs["cond_graph"], attrs["body_graph"]
        for b in (cond_body, body):
            _check_same(inputs, b.inputs, f"the inputs of {b.name!r}", "its inputs")
        _one_element_bool(cond_body.outputs[0], f"the result of {cond_body.name!r}")
        loop_vars = inputs[:len(body.outputs)]
        _check_same(body.outputs, loop_vars, f"{body.name!r}", "the loop variables")
        return [(t.shape, t.dtype) for t in loop_vars]

    def float_body_nodes(self, node, attr):
        """What decides how often the loop runs, or which elements it reads, stays float: the whole
        condition, and in the body the ops computing a loop variable the condition reads or the body turns
        into an integer (an index). A counter on an int8 grid calibrated on a few lengths would saturate
        and stop counting."""
        cond_body, body = node.attrs["cond_graph"], node.attrs["body_graph"]
        reason = "decides how often the while_loop runs or what it indexes (stays float, exact)"
        if attr == "cond_graph":
            return {n.name: reason for n in cond_body.nodes}

        def exact(k):
            read, counter = cond_body.inputs[k], body.inputs[k]
            return (cond_body.consumers(read) or any(read is o for o in cond_body.outputs) or
                    any(n.op == "cast" and n.attrs["to"] in ("int32", "int64") for n in body.consumers(counter)))

        needed = {id(body.outputs[k]) for k in range(len(body.outputs)) if exact(k)}
        keep = {}
        for n in reversed(body.nodes):  # the body's ops that feed those loop variables
            if any(id(t) in needed for t in n.outputs):
                keep[n.name] = reason
                needed.update(id(t) for t in n.inputs if t is not None)
        return keep

    def reference(self, inputs, attrs):
        cond_body, body, limit = attrs["cond_graph"], attrs["body_graph"], attrs["max_iterations"]
        n = len(body.outputs)
        values, invariants = list(inputs[:n]), list(inputs[n:])
        iteration = 0
        while limit is None or iteration < limit:
            if not bool(np.asarray(_run(cond_body, values + invariants)[0]).reshape(-1)[0]):
                break
            if limit is None and iteration >= ITERATION_LIMIT:
                raise ValueError(f"the loop is still running after {ITERATION_LIMIT} iterations, the limit for a "
                                 "while_loop without max_iterations (give it a max_iterations to allow more)")
            values = _run(body, values + invariants)
            iteration += 1
        return values
