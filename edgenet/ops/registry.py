"""The op registry: op name -> its `OpDef` instance. Family modules fill it with `@register`;
`edgenet.ops` imports every family, so `edgenet.ops.REGISTRY` is complete once imported."""

REGISTRY = {}


def register(cls):
    """Class decorator: instantiate the OpDef and record it under its name."""
    if cls.name in REGISTRY:
        raise ValueError(f"op {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls()
    return cls


def get(name):
    """The OpDef for an op name, with a clear error for unknown ops."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown op {name!r}; known ops: {', '.join(sorted(REGISTRY))}") from None
