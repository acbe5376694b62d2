__version__ = "0.1.0"

# Graph API, numpy reference executor and serializer (added by the frontend engineer).
from . import reference  # noqa: E402
from .converters import AccuracyTarget, EnetModel, compare, convert, load, quantization_report  # noqa: E402
from .graph import Graph  # noqa: E402
from .interpreter import Interpreter  # noqa: E402  (C core binding, edgenet/interpreter.py)
