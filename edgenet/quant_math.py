"""Fixed-point helpers shared by the integer reference (edgenet/ops), the quantizer
(converters/quantize/) and, by construction, the C kernels.

docs/QUANTIZATION.md is the contract; every function here implements one formula of it,
bit for bit, so the numpy integer reference can be the oracle of the C core:

    multiplier, shift = quantize_multiplier(s_in * s_w / s_out)   # M ~ multiplier * 2^-shift
    q = requantize(acc, multiplier, shift) + zp_out               # round to nearest, ties up
    q = np.clip(q, *activation_range("relu6", s_out, zp_out))     # fused activation = clamp

Integers are carried as int64 numpy arrays (no overflow for any int8 model), floats as
float64 unless a formula says float32.
"""
import dataclasses
import math

import numpy as np

INT8_MIN, INT8_MAX = -128, 127
# Shifts the C core accepts (a right shift of 0 or of 63+ is meaningless or undefined).
MIN_SHIFT, MAX_SHIFT = 1, 62
# add/sub: the per-input multipliers stay below 2^21 so (a - zp) * m fits an int32 sum.
ADD_MULTIPLIER_LIMIT = 1 << 21


@dataclasses.dataclass
class QuantParams:
    """real = scale[c] * (q - zero_point[c]); c indexes `axis` (per-tensor when length 1).
    A tensor's `quant` (edgenet.graph.Tensor); here, below the graph and the ops, so both can use it."""

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int = 0


def round_half_away(x):
    """Round to nearest, ties away from zero (C's round/roundf), elementwise -> float64.

    Not np.round, which rounds ties to even. Computed in float64, where |x| + 0.5 is exact
    for every float32 input (so 0.49999997f does not round up as it would in float32)."""
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantize_multiplier(real_multiplier):
    """Real multiplier M > 0 -> (multiplier, shift) with M ~ multiplier * 2^-shift and
    multiplier in [2^30, 2^31) (docs/QUANTIZATION.md, "Multipliers").

    Scalar in -> two ints; array in -> two int64 arrays. Raises ValueError when M is not
    positive and finite or needs a shift outside [1, 62] (the C loader rejects those too)."""
    values = np.asarray(real_multiplier, dtype=np.float64)
    multipliers, shifts = [], []
    for m in values.reshape(-1):
        if not (math.isfinite(m) and m > 0):
            raise ValueError(f"requantization multiplier {m!r} must be positive and finite")
        q, e = math.frexp(m)  # m = q * 2^e, q in [0.5, 1)
        multiplier = math.floor(q * 2**31 + 0.5)
        if multiplier == 2**31:  # q rounded up to 1.0
            multiplier, e = 2**30, e + 1
        shift = 31 - e
        if not MIN_SHIFT <= shift <= MAX_SHIFT:
            raise ValueError(f"requantization multiplier {m!r} is out of range (shift {shift} not in "
                             f"[{MIN_SHIFT}, {MAX_SHIFT}]); check the tensor scales")
        multipliers.append(multiplier)
        shifts.append(shift)
    if values.ndim == 0:
        return multipliers[0], shifts[0]
    return (np.array(multipliers, dtype=np.int64).reshape(values.shape),
            np.array(shifts, dtype=np.int64).reshape(values.shape))


def requantize(acc, multiplier, shift):
    """(acc * multiplier + 2^(shift-1)) >> shift in int64: acc * M rounded to nearest, ties
    toward +infinity. acc is an int32-range accumulator; multiplier/shift broadcast (per channel)."""
    acc = np.asarray(acc, dtype=np.int64)
    multiplier = np.asarray(multiplier, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    return (acc * multiplier + (np.int64(1) << (shift - 1))) >> shift


def requantize_float32(acc, input_scale, weight_scales, output_scale):
    """The FLOAT32 requantization of an op (schema Operator.requantization; LiteRT's XNNPACK arithmetic,
    used for models imported from .tflite): scale = s_in * s_w / s_out with each step in float32,
    (float32)acc * scale in float32, limited to +-2^20, rounded to nearest even. weight_scales broadcast
    along the last axis of acc (output channels); mul passes s_b as the "weight" scale."""
    scale = (np.float32(input_scale) * np.asarray(weight_scales, np.float32)) / np.float32(output_scale)
    product = np.asarray(acc, np.int64).astype(np.float32) * scale.astype(np.float32)
    return np.rint(np.clip(product, np.float32(-2**20), np.float32(2**20))).astype(np.int64)


def activation_range(activation, scale, zero_point):
    """The int8 clamp [lo, hi] that implements a fused activation for an output with this
    scale and zero point (None, "relu" or "relu6")."""
    zero_point = int(zero_point)
    if activation is None:
        return INT8_MIN, INT8_MAX
    lo = max(INT8_MIN, zero_point)
    if activation == "relu":
        return lo, INT8_MAX
    if activation == "relu6":
        six = int(round_half_away(6.0 / float(np.float32(scale))))
        return lo, max(lo, min(INT8_MAX, zero_point + six))
    raise ValueError(f"no int8 clamp for activation {activation!r}")


def saturate_int8(q, lo=INT8_MIN, hi=INT8_MAX):
    """Clamp integers to [lo, hi] and return them as int8."""
    return np.clip(np.asarray(q, dtype=np.int64), lo, hi).astype(np.int8)


def conv_multipliers(input_scale, weight_scales, output_scale):
    """Per-output-channel (multiplier, shift) arrays of conv / depthwise / FC:
    M[c] = s_in * s_w[c] / s_out in double, from the float32 scales, in that order."""
    s_in, s_out = float(np.float32(input_scale)), float(np.float32(output_scale))
    s_w = np.asarray(weight_scales, dtype=np.float32).astype(np.float64).reshape(-1)
    return quantize_multiplier(np.array([s_in * w / s_out for w in s_w]))


def rescale_multiplier(input_scale, output_scale, count=1):
    """(multiplier, shift) of M = s_in / (s_out * count) (concat, int8 quantize, avg pool, mean)."""
    s_in, s_out = float(np.float32(input_scale)), float(np.float32(output_scale))
    if count == 1:
        return quantize_multiplier(s_in / s_out)
    return quantize_multiplier(s_in / (s_out * count))


def add_multipliers(scale_a, scale_b, scale_out):
    """add / sub: (m_a, m_b, S) with m_i = floor(s_i / s_out * 2^S + 0.5), S the largest
    shift in [1, 31] keeping both below 2^21 (docs/QUANTIZATION.md). Raises ValueError
    when even S = 1 is too large (an input scale over ~2^20 times the output scale)."""
    s_out = float(np.float32(scale_out))
    ratios = [float(np.float32(s)) / s_out for s in (scale_a, scale_b)]
    for shift in range(31, 0, -1):
        m = [math.floor(r * 2.0**shift + 0.5) for r in ratios]
        if max(m) < ADD_MULTIPLIER_LIMIT:
            return m[0], m[1], shift
    raise ValueError(f"add/sub input scales {scale_a}, {scale_b} are too large for output scale {scale_out}")


def quantize_float(x, scale, zero_point):
    """float -> int8: clamp(round_half_away(x / s) + zp), the division in float32.

    Like the C kernel, the rounded value is first limited to [-512, 512] (any value out there
    saturates anyway) so infinities convert safely, and NaN maps to the zero point."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        divided = np.asarray(x, dtype=np.float32) / np.float32(scale)
    rounded = np.clip(round_half_away(divided), -512.0, 512.0)
    rounded = np.where(np.isnan(rounded), 0.0, rounded)
    return saturate_int8(rounded.astype(np.int64) + int(zero_point))


def dequantize_int8(q, scale, zero_point):
    """int8 -> float32: (float)(q - zp) * s, in float32."""
    return (np.asarray(q, dtype=np.int64) - int(zero_point)).astype(np.float32) * np.float32(scale)


def requantize_mean(acc, count, s_in, s_out, zp_out):
    """Averages: requantize each sum with M = s_in / (s_out * count) for its own count."""
    q = np.empty(acc.shape, dtype=np.int64)
    for n in np.unique(count):
        multiplier, shift = rescale_multiplier(s_in, s_out, int(n))
        where = count == n
        q[where] = requantize(acc[where], multiplier, shift)
    return np.clip(q + zp_out, INT8_MIN, INT8_MAX)
