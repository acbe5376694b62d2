"""No import cycles among the modules of edgenet/ and converters/ (imported as edgenet.converters).

Read from the source with `ast`, not by importing: every import statement counts, including the
ones inside functions, which hide a cycle from Python but not from a reader, and a package's tables
of names imported on first use (`_EXPORTS` / `_SUBMODULES` in edgenet/__init__.py and
converters/__init__.py, read by edgenet/_lazy.py). A module importing its own package
(`from . import register` in a family module of edgenet/ops) is an edge to the package's
__init__, so the classic "package imports its children, a child imports the package" loop
counts as a cycle too. (The oracle is the import statements themselves: the test reports
each cycle it finds by name, so a failure says which modules to untangle.)
"""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
# import path prefix -> source folder (pyproject.toml's [tool.scikit-build.wheel.packages])
PACKAGES = {"edgenet": ROOT / "edgenet", "edgenet.converters": ROOT / "converters"}


def _modules():
    """{dotted module name: path} of every Python (and Cython) module in the two packages."""
    modules = {}
    for prefix, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")) + sorted(folder.rglob("*.pyx")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join([prefix] + parts)] = path
    return modules


def _imported(module, path, node, modules):
    """The in-tree modules an Import / ImportFrom statement of `module` depends on."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".")
            if path.name != "__init__.py":
                base = base[:-1]  # a plain module's `.` is its package
            base = base[:len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module
        # `from pkg import name`: the submodule pkg.name if there is one, else pkg itself.
        names = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in modules else prefix for a in node.names]
    found = set()
    for name in names:
        while name and name not in modules:  # `import edgenet.ops.base` -> that module
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return found


def _lazily_imported(module, tree, modules):
    """The in-tree modules a package's lazy tables name: `_EXPORTS = {name: ".submodule"}` and
    `_SUBMODULES = ("submodule", ...)`, assigned at the top level of its __init__.py."""
    found = set()
    for node in tree.body:
        targets = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
        if "_EXPORTS" in targets or "_SUBMODULES" in targets:
            table = ast.literal_eval(node.value)
            for relative in table.values() if isinstance(table, dict) else ["." + name for name in table]:
                name = module + relative
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    found.add(name)
    return found


def import_graph():
    modules = _modules()
    graph = {}
    for module, path in modules.items():
        if path.suffix == ".pyx":
            graph[module] = set()  # the Cython binding imports no edgenet module
            continue
        tree = ast.parse(path.read_text(), str(path))
        graph[module] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[module] |= _imported(module, path, node, modules)
        if path.name == "__init__.py":
            graph[module] |= _lazily_imported(module, tree, modules)
    return graph


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_analysis_sees_the_modules_and_their_imports():
    graph = import_graph()
    assert "edgenet.converters.pipeline" in graph and "edgenet.ops.conv" in graph
    assert "edgenet.converters.serialize" in graph["edgenet.converters.pipeline"]  # relative import
    assert "edgenet.ops.registry" in graph["edgenet.ops.conv"]  # `from .registry import register`
    assert "edgenet.graph" in graph["edgenet.converters.quantize.rewrite"]  # absolute `from edgenet.graph`
    assert {"edgenet.converters", "edgenet.ops.custom"} <= graph["edgenet"]  # _EXPORTS (imported on first use)
    assert {"edgenet.converters.pipeline", "edgenet.converters.passes"} <= graph["edgenet.converters"]


def test_cycles_are_found():
    # The detector itself, on a hand-made graph: a -> b -> c -> a, and d alone.
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles (untangle them; function-level imports count too):\n" + "\n".join(
        " <-> ".join(component) for component in found)
