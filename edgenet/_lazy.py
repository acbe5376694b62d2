"""Package attributes imported on first use (PEP 562 module `__getattr__` / `__dir__`), for
edgenet/__init__.py and converters/__init__.py: a name is imported the first time it is asked for
(`edgenet.convert`, `from edgenet import Graph`), then kept in the package like a normal import.
"""
import importlib
import sys


def lazy_attributes(package, exports, submodules=()):
    """(__getattr__, __dir__) for the package named `package`. `exports`: {public name: the
    submodule defining it, relative (".pipeline")}; `submodules`: names of submodules reachable as
    attributes without importing them first (`edgenet.converters.passes`)."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name):
        if name in exports:
            value = getattr(importlib.import_module(exports[name], package), name)
        elif name in submodules:
            value = importlib.import_module("." + name, package)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value  # later lookups find it without calling this again
        return value

    def __dir__():
        return sorted(set(namespace) | set(exports) | set(submodules))

    return __getattr__, __dir__
