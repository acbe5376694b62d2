"""int8 quantization parameters: activation grids, per-channel weights, int32 biases, bias correction.
The formulas are docs/QUANTIZATION.md's; the fixed-point arithmetic is edgenet/quant_math.py."""
import logging

import numpy as np

from edgenet import quant_math
from edgenet.quant_math import QuantParams

log = logging.getLogger("edgenet.quantize")

# The smallest activation scale. A degenerate calibrated range (an all-zero tensor, e.g. a dead
# relu) gets it instead of 0, so nothing divides by zero; it is not smaller so that the
# requantization multipliers of the ops reading that tensor stay in the range the C core accepts.
MIN_SCALE = 1e-6
# The smallest per-channel weight scale, relative to the tensor's largest (see quantize_weights).
WEIGHT_SCALE_FLOOR = 2.0 ** -16


def per_tensor(scale, zero_point):
    return QuantParams(np.array([scale], np.float32), np.array([zero_point], np.int64))


def activation_quant(lo, hi):
    """Asymmetric int8 parameters covering [lo, hi] widened to include 0 (real 0 is exact)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = np.float32(max((hi - lo) / 255.0, MIN_SCALE))
    zero_point = quant_math.round_half_away(quant_math.INT8_MIN - lo / float(scale))
    return per_tensor(scale, int(np.clip(zero_point, quant_math.INT8_MIN, quant_math.INT8_MAX)))


def quantize_weights(w, axis):
    """Float weights -> (int8 values in [-127, 127], QuantParams with one scale per channel on `axis`)."""
    w = np.asarray(w, np.float64)
    other_axes = tuple(a for a in range(w.ndim) if a != axis)
    max_abs = np.max(np.abs(w), axis=other_axes)
    # An all-zero channel quantizes to zeros with any scale; 1/127 keeps its multiplier ordinary.
    # A channel whose weights are vanishingly small next to the others' (a dead channel after
    # batch-norm folding, weights ~1e-38) gets at least WEIGHT_SCALE_FLOOR of the largest scale:
    # its output is far below the shared output scale's resolution anyway, and its requantization
    # multiplier stays in the range the C core accepts.
    floor = np.max(max_abs) / 127.0 * WEIGHT_SCALE_FLOOR
    scale = np.where(max_abs > 0, np.maximum(max_abs / 127.0, floor), 1.0 / 127.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = quant_math.round_half_away(w / scale.astype(np.float64).reshape(shape))
    return np.clip(q, -127, 127).astype(np.int8), QuantParams(scale, np.zeros(scale.size, np.int64), axis)


def quantize_bias(b, input_scale, weight_scales, node_name):
    """Float bias -> int32 values at scale[c] = s_in * s_w[c] (zero point 0).

    The bias tensor carries no quantization parameters of its own: its scale is implied by
    the contract (docs/QUANTIZATION.md), the C core never reads one, and a stored copy could
    only disagree. (Per-channel parameters cost 12 bytes a channel, a visible share of a
    small model's file.)"""
    scale = np.float64(np.float32(input_scale)) * np.asarray(weight_scales, np.float32).astype(np.float64)
    q = quant_math.round_half_away(np.asarray(b, np.float64) / scale)
    limit = np.iinfo(np.int32)
    if (q < limit.min).any() or (q > limit.max).any():
        log.warning("%s: bias does not fit int32 at scale s_in * s_w (input scale %.3g); clamped", node_name,
                    input_scale)
    return np.clip(q, limit.min, limit.max).astype(np.int32)


def constant_quant(data):
    """Per-tensor asymmetric parameters for a constant operand (e.g. the `b` of an add)."""
    return activation_quant(np.min(data), np.max(data))


def bias_correction(opdef, weights, quantized_weights, weight_quant, input_mean):
    """The mean output error the int8 weights of weighted op `opdef` add, per output channel:
    sum (w_q - w) * E[x].

    Subtracting it from the bias (Nagel et al., "Data-Free Quantization", 2019) removes the
    systematic shift rounding the weights gives each channel; E[x] is the input's per-channel
    mean from calibration (zero padding is ignored)."""
    shape = [1] * weights.ndim
    shape[opdef.weight_axis] = -1
    dequantized = quantized_weights.astype(np.float64) * weight_quant.scale.astype(np.float64).reshape(shape)
    error = dequantized - np.asarray(weights, np.float64)
    return opdef.input_offset_effect(error, np.asarray(input_mean, np.float64))


def read_only(array):
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


def scalars(quant):
    """(scale, zero_point) of a per-tensor QuantParams as Python numbers."""
    return float(quant.scale[0]), int(quant.zero_point[0])


def grid_ends(quant):
    """The smallest and largest real values an int8 tensor with these (per-tensor) parameters holds."""
    scale, zero_point = scalars(quant)
    return scale * (quant_math.INT8_MIN - zero_point), scale * (quant_math.INT8_MAX - zero_point)

