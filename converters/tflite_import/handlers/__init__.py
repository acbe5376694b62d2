"""TFLite op handlers, one module per family (the families of edgenet/ops); importing this package
registers them all in registry.HANDLERS."""
from . import conv, custom, elementwise, image, pooling, quantization, reduction, shape, state  # noqa: F401
