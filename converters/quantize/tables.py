"""Lookup-table chains: runs of elementwise ops on one tensor that int8 computes as one `table` op."""
import numpy as np

from .policy import has_int8_kernel, is_integer


def elementwise_input(node, stay_float):
    """The one activation `node` is an elementwise function of, if `node` can join a lookup-table chain:
    an int8-capable unary op, or add / sub / mul with a scalar constant; else None."""
    if node.name in stay_float or not has_int8_kernel(node.opdef) or len(node.outputs) != 1:
        return None
    if hasattr(node.opdef, "table") and len(node.inputs) == 1 and not node.inputs[0].is_constant:
        return node.inputs[0]
    if node.opdef.scalar_operand_table and len(node.inputs) == 2:
        constants = [t for t in node.inputs if t.is_constant]
        variables = [t for t in node.inputs if not t.is_constant]
        if len(constants) == 1 and constants[0].data.size == 1 and len(variables) == 1 and \
                variables[0].shape == node.outputs[0].shape and not is_integer(variables[0]):
            return variables[0]
    return None


def table_chains(graph, stay_float):
    """Chains of elementwise ops on one tensor that int8 computes as one lookup table: [node, ...] where
    each node is the only reader of the previous one's output (not a graph output) and a function of it
    alone (elementwise_input). In int8 every such chain is one function of an int8 input: a 256-entry
    table does it with one rounding and one pass over memory (Paddle's hard_swish, * scale, + bias
    becomes one table instead of three int8 ops, each rounding). Lone scalar add / sub / mul count too
    (the table is exact where the int8 op first rounds the scalar itself)."""
    outputs = {id(t) for t in graph.kept_tensors}
    chains, taken = [], set()
    for node in graph.nodes:
        x = None if node.name in taken else elementwise_input(node, stay_float)
        if x is None or (x.producer is not None and x.producer.name in taken):
            continue  # not a chain op, or inside a chain found from an earlier head
        chain = [node]
        while id(chain[-1].outputs[0]) not in outputs:
            readers = graph.consumers(chain[-1].outputs[0])
            if len(readers) != 1 or elementwise_input(readers[0], stay_float) is not chain[-1].outputs[0]:
                break
            chain.append(readers[0])
        if len(chain) > 1 or node.opdef.scalar_operand_table:
            chains.append(chain)
            taken.update(n.name for n in chain)
    return chains


def chain_function(chain):
    """The float function a table chain computes, of its input's values (each node's full semantics,
    fused activation included; the scalar constants broadcast)."""
    x = elementwise_input(chain[0], ())

    def apply(values):
        current, tensor = np.asarray(values, np.float64), x
        for node in chain:
            inputs = [current if t is tensor else t.data.astype(np.float64).reshape(()) for t in node.inputs]
            current, tensor = np.asarray(node.opdef.evaluate(inputs, node.attrs)[0], np.float64), node.outputs[0]
        return current

    return apply
