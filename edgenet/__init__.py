"""edgenet: a static-graph converter to int8 `.enet` files and a small C core that runs them.

    g = edgenet.Graph("net"); ...; model = edgenet.convert(g, quantize="int8", calibration=feeds)
    edgenet.Interpreter(model.to_bytes()).run(feeds)

Where things live: docs/ARCHITECTURE.md. The desktop toolchain is `edgenet.converters`, whose
source is the top-level converters/ folder (installed as edgenet/converters by the wheel).
"""
import importlib.machinery
import importlib.util
import os
import sys

from ._version import __version__  # noqa: F401


def _complete_from_source_tree():
    """Make `edgenet.converters` and the compiled `edgenet._native` importable when this package is
    the source checkout's edgenet/ folder shadowing a regular (non-editable) install, as happens
    when Python runs in the repository root: the checkout has converters/ beside edgenet/, not in
    it, and no compiled core. converters/ is then loaded as edgenet.converters (so edits in the
    checkout are what runs), and the installed package's folder is searched for the core only
    after this one. An installed or editable edgenet finds both by itself and skips this."""
    package_dir = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(package_dir)
    converters_dir = os.path.join(root, "converters")
    if importlib.util.find_spec(__name__ + ".converters") is None and os.path.isdir(converters_dir):
        spec = importlib.util.spec_from_file_location(__name__ + ".converters",
                                                      os.path.join(converters_dir, "__init__.py"),
                                                      submodule_search_locations=[converters_dir])
        converters = sys.modules[spec.name] = importlib.util.module_from_spec(spec)  # as the import system does
        spec.loader.exec_module(converters)
        globals()["converters"] = converters  # the submodule attribute an import sets on its package
    if importlib.util.find_spec(__name__ + "._native") is None:
        others = [p for p in sys.path if os.path.realpath(p or os.getcwd()) != os.path.realpath(root)]
        installed = importlib.machinery.PathFinder.find_spec(__name__, others)
        if installed is not None and installed.submodule_search_locations:
            __path__.extend(installed.submodule_search_locations)  # after ours: only what we lack


_complete_from_source_tree()

from . import reference  # noqa: E402
from .converters import AccuracyTarget, EnetModel, compare, convert, load, quantization_report  # noqa: E402
from .graph import Graph  # noqa: E402
from .interpreter import Interpreter  # noqa: E402  (C core binding, edgenet/interpreter.py)
from .ops.custom import register_custom_op, unregister_custom_op  # noqa: E402  (edgenet/ops/custom.py)
from .tracing import DataDependentError, cond, trace, while_loop  # noqa: E402  (edgenet/tracing.py)
