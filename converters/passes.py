"""Graph passes: short functions that rewrite a Graph in place (run them on a copy).

Later optimization passes (constant folding, BN folding, activation fusion) belong here too.
"""


def eliminate_dead_nodes(graph):
    """Drop nodes whose outputs no graph output depends on."""
    needed = {id(t) for t in graph.outputs}
    live = []
    for node in reversed(graph.nodes):
        if any(id(t) in needed for t in node.outputs):
            live.append(node)
            needed.update(id(t) for t in node.inputs if t is not None)
    graph.nodes = live[::-1]


def lower_to_file_ops(graph):
    """Replace ops that have no schema opcode (e.g. batch_norm) by their lowering."""
    lowered = []
    for node in graph.nodes:
        lowered += node.opdef.lower(graph, node) if node.opdef.opcode is None else [node]
    graph.nodes = lowered


def optimize(graph):
    """The optimization pipeline `convert(optimize=True)` runs."""
    eliminate_dead_nodes(graph)
