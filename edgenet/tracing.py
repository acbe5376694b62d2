"""Tracing plain Python into a Graph, and the free-function forms of cond / while_loop.

    def f(x, w):
        h = (x @ w - x.mean(axis=-1, keepdims=True)) * 0.5
        return {"y": h[:, 1:], "top": x.graph.softmax(h)}

    g = edgenet.trace(f, {"x": np.zeros((4, 8), np.float32), "w": np.ones((8, 8), np.float32)})

`trace` calls the function once with symbolic tensors (edgenet.graph.Tensor: its operators and
indexing build ops in the graph), so Python `if` / `for` over static values (shapes, arguments,
constants) unroll into the graph. A tensor's *value* does not exist while the graph is built:
`if t:`, `while t:`, `int(t)` raise edgenet.graph.DataDependentError naming edgenet.cond /
edgenet.while_loop, which keep the branch or loop in the graph (subgraphs run by the C core).
"""
import numpy as np

from .graph import INPUT_DTYPES, DataDependentError, Graph, GraphBuildError, Tensor

__all__ = ["trace", "cond", "while_loop", "DataDependentError"]

def trace(fn, example_inputs, input_shapes=None, name=None):
    """Build the Graph that `fn(**inputs)` computes.

    example_inputs: {input name: array}; each becomes a graph input of that name, shape and dtype
        (floating arrays become float32; integer and bool arrays keep int64 / int32 / bool).
    input_shapes: optional {input name: shape} overriding an example's shape, with None for a dim
        open at build time (e.g. {"x": (1, None, 80)}: any sequence length; set it at run time with
        Interpreter.resize_input or just feed it).
    fn returns a Tensor (output "output"), a tuple/list of them ("output_0", "output_1", ...) or a
    dict {output name: Tensor}.
    """
    if not isinstance(example_inputs, dict) or not example_inputs:
        raise TypeError("trace: example_inputs must be a non-empty dict {input name: array}")
    input_shapes = dict(input_shapes or {})
    unknown = set(input_shapes) - set(example_inputs)
    if unknown:
        raise ValueError(f"trace: input_shapes names {sorted(unknown)} are not in example_inputs "
                         f"{sorted(example_inputs)}")
    graph_name = name or getattr(fn, "__name__", "traced")
    g = Graph("traced" if graph_name == "<lambda>" else graph_name)
    tensors = {}
    for input_name, example in example_inputs.items():
        array = np.asarray(example)
        shape = tuple(input_shapes.get(input_name, array.shape))
        if len(shape) != array.ndim or any(d is not None and d != n for d, n in zip(shape, array.shape)):
            raise ValueError(f"trace: input_shapes[{input_name!r}] = {shape} does not fit the example's shape "
                             f"{array.shape} (use None for open dims)")
        tensors[input_name] = g.input(input_name, shape, _input_dtype(input_name, array))
    result = fn(**tensors)
    for output_name, t in _named_outputs(result):
        _mark_output(g, t, output_name)
    return g


def _input_dtype(name, array):
    if array.dtype.kind == "f":
        return "float32"  # edgenet computes in float32 (float64 / float16 examples too)
    if array.dtype.kind == "b":
        return "bool"
    if array.dtype.kind in "iu":
        return "int64" if array.dtype.itemsize == 8 else "int32"
    raise TypeError(f"trace: example input {name!r} has dtype {array.dtype}; use one of {INPUT_DTYPES}")


def _named_outputs(result):
    if isinstance(result, Tensor):
        return [("output", result)]
    if isinstance(result, dict):
        items = list(result.items())
    elif isinstance(result, (tuple, list)):
        items = [(f"output_{i}", t) for i, t in enumerate(result)]
    else:
        raise TypeError(f"trace: the function returned {type(result).__name__}; return a Tensor, a tuple of "
                        "Tensors or a dict {output name: Tensor}")
    if not items:
        raise TypeError("trace: the function returned no outputs")
    for output_name, t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"trace: output {output_name!r} is a {type(t).__name__}, not a Tensor computed from "
                            "the inputs")
    return items


def _mark_output(g, t, output_name):
    if t.graph is not g:
        raise ValueError(f"trace: output {output_name!r} {t!r} belongs to graph {t.graph.name!r}, not the traced "
                         "graph")
    if t.is_constant:
        raise ValueError(f"trace: output {output_name!r} does not depend on any input (it is a constant); "
                         "edgenet outputs must be computed")
    if t.producer is None or any(o is t for o in g.outputs):
        # An input returned as is, or one tensor returned twice: the graph output is a copy.
        t = g.reshape(t, tuple(-1 if d is None else d for d in t.shape)) if t.shape.count(None) <= 1 else \
            g.mul(t, 1.0)
    if output_name != t.name and output_name in g._names:
        # The name belongs to some intermediate tensor: rename that one, the output name is the user's.
        other = next(x for x in g.tensors if x.name == output_name)
        other.name = Graph._unique_name(output_name, g._names)
        g._names.discard(output_name)
    g.output(t, output_name)


# ---- control flow: free functions over Graph.cond / Graph.while_loop ---------------------------


def _graph_method(tensors, method, what):
    graph = next((t.graph for t in tensors if isinstance(t, Tensor)), None)
    if graph is None:
        raise GraphBuildError(f"{what}: needs at least one edgenet Tensor to know the graph")
    if not hasattr(graph, method):
        raise NotImplementedError(f"{what} needs Graph.{method} (control-flow subgraphs), which this build of "
                                  "edgenet does not have")
    return getattr(graph, method)


def cond(pred, true_fn, false_fn, *operands):
    """`true_fn(*operands)` if the scalar bool tensor `pred` is true at run time, else
    `false_fn(*operands)`; both branches stay in the graph. The free form of `pred.graph.cond`."""
    return _graph_method([pred], "cond", "edgenet.cond")(pred, true_fn, false_fn, *operands)


def while_loop(cond_fn, body_fn, loop_vars, max_iterations=None):
    """`while cond_fn(*vars): vars = body_fn(*vars)` run by the C core on the tuple `loop_vars`.
    The free form of `loop_vars[0].graph.while_loop`."""
    vars_list = list(loop_vars) if isinstance(loop_vars, (tuple, list)) else [loop_vars]
    method = _graph_method(vars_list, "while_loop", "edgenet.while_loop")
    return method(cond_fn, body_fn, loop_vars, max_iterations=max_iterations)
