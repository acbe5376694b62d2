"""ONNX op handlers, one module per op family (the stems of edgenet/ops); importing this package
fills registry.HANDLERS. Each module registers its handlers with `@registry.handles(...)`."""
from . import conv, data, elementwise, image, linalg, normalization, pooling, reduction, shape  # noqa: F401
from . import composites, recurrent  # noqa: F401  (ONNX ops built from several edgenet ops)
from . import control_flow  # noqa: F401  (If, Loop, Scan)
from .. import qdq  # noqa: F401  (QuantizeLinear / DequantizeLinear)
