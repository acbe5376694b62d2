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

from ._lazy import lazy_attributes
from ._version import __version__  # noqa: F401


class _CheckoutConverters:
    """A meta path finder for the one name `edgenet.converters`: the checkout's converters/ folder."""

    def __init__(self, folder):
        self.folder = folder

    def find_spec(self, name, path=None, target=None):
        if name != __name__ + ".converters":
            return None
        return importlib.util.spec_from_file_location(name, os.path.join(self.folder, "__init__.py"),
                                                      submodule_search_locations=[self.folder])


def _complete_from_source_tree():
    """Make `edgenet.converters` and the compiled `edgenet._native` importable when this package is
    the source checkout's edgenet/ folder shadowing a regular (non-editable) install, as happens
    when Python runs in the repository root: the checkout has converters/ beside edgenet/, not in
    it, and no compiled core. converters/ is then found as edgenet.converters (so edits in the
    checkout are what runs; first in sys.meta_path, before the install's copy), and the installed
    package's folder is searched for the core only after this one. An installed or editable
    edgenet finds both by itself and skips this."""
    package_dir = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(package_dir)
    converters_dir = os.path.join(root, "converters")
    if importlib.util.find_spec(__name__ + ".converters") is None and os.path.isdir(converters_dir):
        sys.meta_path.insert(0, _CheckoutConverters(converters_dir))
    if importlib.util.find_spec(__name__ + "._native") is None:
        others = [p for p in sys.path if os.path.realpath(p or os.getcwd()) != os.path.realpath(root)]
        installed = importlib.machinery.PathFinder.find_spec(__name__, others)
        if installed is not None and installed.submodule_search_locations:
            __path__.extend(installed.submodule_search_locations)  # after ours: only what we lack


_complete_from_source_tree()

# `import edgenet` loads only numpy and the C core's binding (Interpreter): all a device running
# .enet files needs. The rest loads when first used: the Graph builder and op definitions, and above
# all the converter toolchain (edgenet.converters, whose import made `import edgenet` about 4x
# slower; docs/ARCHITECTURE.md, "`import edgenet` is lazy"). Public name -> the submodule defining it:
_EXPORTS = {
    "AccuracyTarget": ".converters", "EnetModel": ".converters", "compare": ".converters",
    "convert": ".converters", "load": ".converters", "quantization_report": ".converters",
    "Graph": ".graph",
    "register_custom_op": ".ops.custom", "unregister_custom_op": ".ops.custom",
    "DataDependentError": ".tracing", "cond": ".tracing", "trace": ".tracing", "while_loop": ".tracing",
}
# Submodules that `import edgenet` used to import, so still attributes of the package without an import.
_SUBMODULES = ("converters", "graph", "integrity", "interpreter", "ops", "quant_math", "reference", "tracing")
__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, _SUBMODULES)
__all__ = ["Interpreter", "converters", "reference", *_EXPORTS]

from .interpreter import Interpreter  # noqa: E402  (C core binding, edgenet/interpreter.py)
