"""The fixed-point helpers (edgenet/quant_math.py) against exact rational arithmetic
(fractions.Fraction), and the integer reference of conv / add / avg pool against float
math (within 1 LSB) — an independent check of the oracle the C kernels are held to."""
import math
from fractions import Fraction

import numpy as np
import pytest

import edgenet
from edgenet import quant_math
from edgenet.graph import QuantParams, Tensor


def exact_round_half_up(value):
    """floor(value + 1/2) of a Fraction: nearest integer, ties toward +infinity."""
    return math.floor(value + Fraction(1, 2))


def exact_round_half_away(value):
    value = Fraction(value)
    magnitude = math.floor(abs(value) + Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


# ---- round_half_away ------------------------------------------------------------


def test_round_half_away_on_ties_and_near_ties():
    values = [0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -0.49999997, 1e7 + 0.5, 3.0, -0.0]
    values = np.array(values, dtype=np.float32)
    expected = [exact_round_half_away(Fraction(float(v))) for v in values]
    np.testing.assert_array_equal(quant_math.round_half_away(values), expected)


def test_round_half_away_random():
    rng = np.random.default_rng(0)
    values = (rng.standard_normal(2000) * 300).astype(np.float32)
    values[:200] = np.round(values[:200]) + 0.5  # exact ties
    expected = [exact_round_half_away(Fraction(float(v))) for v in values]
    np.testing.assert_array_equal(quant_math.round_half_away(values), expected)


# ---- quantize_multiplier --------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_quantize_multiplier_is_the_correctly_rounded_31_bit_mantissa(seed):
    rng = np.random.default_rng(seed)
    reals = np.concatenate([10 ** rng.uniform(-9, 8, size=300), [1.0, 0.5, 2**-20, 1 - 2**-40, 0.75]])
    for m in reals:
        multiplier, shift = quant_math.quantize_multiplier(float(m))
        assert 2**30 <= multiplier < 2**31 and 1 <= shift <= 62
        # multiplier is M * 2^shift rounded to nearest (31-bit mantissa): error <= 1/2 unit.
        exact = Fraction(float(m)) * 2**shift
        assert abs(Fraction(multiplier) - exact) <= Fraction(1, 2)
        assert multiplier == exact_round_half_up(exact) or exact_round_half_up(exact) == 2**31


def test_quantize_multiplier_vectorized_matches_scalar():
    reals = np.array([0.001, 0.3, 1.7, 123.0])
    mults, shifts = quant_math.quantize_multiplier(reals)
    assert [(int(a), int(b)) for a, b in zip(mults, shifts)] == [quant_math.quantize_multiplier(float(m)) for m in reals]


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf"), float("nan"), 1e-30, 2.0**40])
def test_quantize_multiplier_rejects_unusable_values(bad):
    with pytest.raises(ValueError):
        quant_math.quantize_multiplier(bad)


# ---- requantize --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_requantize_is_acc_times_multiplier_rounded_ties_up(seed):
    rng = np.random.default_rng(10 + seed)
    acc = rng.integers(-(2**31), 2**31, size=500)
    acc[:50] = rng.integers(-300, 300, size=50)
    for m in 10 ** rng.uniform(-6, 1, size=20):
        multiplier, shift = quant_math.quantize_multiplier(float(m))
        got = quant_math.requantize(acc, multiplier, shift)
        expected = [exact_round_half_up(Fraction(int(a) * multiplier, 2**shift)) for a in acc]
        assert got.tolist() == expected


def test_requantize_ties_round_toward_plus_infinity():
    # multiplier * 2^-shift = 1/2 exactly: odd accumulators are exact ties.
    acc = np.array([-3, -1, 1, 3, 5])
    assert quant_math.requantize(acc, 2**30, 31).tolist() == [-1, 0, 1, 2, 3]


# ---- add multipliers, activation clamps, quantize/dequantize ------------------------------------


def test_add_multipliers_follow_the_spec():
    rng = np.random.default_rng(3)
    for _ in range(200):
        s_a, s_b, s_out = (float(np.float32(10 ** rng.uniform(-3, 0))) for _ in range(3))
        m_a, m_b, shift = quant_math.add_multipliers(s_a, s_b, s_out)
        ratios = [Fraction(s_a) / Fraction(s_out), Fraction(s_b) / Fraction(s_out)]
        assert max(m_a, m_b) < 2**21
        # the largest shift keeping both below 2^21: one more bit would not fit (or shift is 31)
        assert shift == 31 or max(exact_round_half_up(r * 2 ** (shift + 1)) for r in ratios) >= 2**21
        for m, r in zip((m_a, m_b), ratios):
            assert abs(Fraction(m) - r * 2**shift) <= Fraction(1, 2)


def test_activation_ranges():
    assert quant_math.activation_range(None, 0.1, 5) == (-128, 127)
    assert quant_math.activation_range("relu", 0.1, -20) == (-20, 127)
    assert quant_math.activation_range("relu", 0.1, -128) == (-128, 127)
    assert quant_math.activation_range("relu6", 0.1, -20) == (-20, 40)  # 6 / 0.1 = 60 steps above zero
    assert quant_math.activation_range("relu6", 0.01, 0) == (0, 127)  # 600 steps: saturates


def test_quantize_float_matches_exact_rounding():
    rng = np.random.default_rng(5)
    for _ in range(20):
        scale, zp = np.float32(10 ** rng.uniform(-3, 1)), int(rng.integers(-128, 128))
        x = (rng.standard_normal(100) * 100 * float(scale)).astype(np.float32)
        got = quant_math.quantize_float(x, scale, zp)
        quotient = (x / scale).astype(np.float32)  # the spec divides in float32
        expected = [min(127, max(-128, exact_round_half_away(Fraction(float(v))) + zp)) for v in quotient]
        assert got.tolist() == expected


def test_dequantize_int8():
    q = np.arange(-128, 128)
    np.testing.assert_array_equal(quant_math.dequantize_int8(q, 0.5, -3), ((q + 3) * 0.5).astype(np.float32))


# ---- the integer reference vs float math (1 LSB) ---------------------------------------------------


def _quant(scale, zero_point=0, axis=0):
    scale = np.atleast_1d(np.asarray(scale, np.float32))
    return QuantParams(scale, np.broadcast_to(np.asarray(zero_point, np.int64), scale.shape).copy(), axis)


def _float_to_nearest_int8(real, scale, zero_point, lo=-128, hi=127):
    return np.clip(np.floor(real / scale + 0.5) + zero_point, lo, hi)


def _int8_feed(rng, shape, scale, zero_point):
    levels = rng.integers(-128, 128, size=shape)
    return ((levels - zero_point) * scale).astype(np.float32), (levels - zero_point) * np.float64(np.float32(scale))


@pytest.mark.parametrize("seed", range(5))
def test_int8_conv_reference_is_within_one_lsb_of_float(seed):
    rng = np.random.default_rng(20 + seed)
    cin, cout = 5, 7
    s_in, zp_in, s_out, zp_out = 0.03, int(rng.integers(-50, 50)), 0.25, int(rng.integers(-20, 20))
    w = rng.integers(-127, 128, size=(cout, 3, 3, cin)).astype(np.int8)
    s_w = (10 ** rng.uniform(-3, -1.5, size=cout)).astype(np.float32)
    bias = rng.integers(-3000, 3000, size=cout).astype(np.int32)
    g = edgenet.Graph("conv")
    x = g.quantize(g.input("x", (1, 6, 6, cin)), s_in, zp_in)
    y = g.conv2d(x, Tensor(g, "w", w.shape, "int8", data=w, quant=_quant(s_w, 0, 0)),
                 Tensor(g, "b", bias.shape, "int32", data=bias, quant=_quant(np.float32(s_in) * s_w)),
                 padding="same", activation="relu")
    y.quant = _quant(s_out, zp_out)
    g.output(y, "y")
    feed, real_x = _int8_feed(rng, (1, 6, 6, cin), s_in, zp_in)
    got = edgenet.reference.run(g, {"x": feed})["y"].astype(np.int64)
    # Float: real conv of the real inputs, weights and bias, then relu and round to the output grid.
    real_w = w.astype(np.float64) * s_w.astype(np.float64)[:, None, None, None]
    real_b = bias * (np.float64(np.float32(s_in)) * s_w.astype(np.float64))
    conv = edgenet.ops.get("conv2d")
    real_y = np.maximum(conv.reference([real_x, real_w, real_b], {"strides": (1, 1), "dilation": (1, 1),
                                                                  "padding": "same"})[0], 0)
    expected = _float_to_nearest_int8(real_y, np.float64(np.float32(s_out)), zp_out, lo=max(-128, zp_out))
    assert np.abs(got - expected).max() <= 1


@pytest.mark.parametrize("op", ["add", "sub"])
def test_int8_add_reference_is_within_one_lsb_of_float(op):
    rng = np.random.default_rng(30)
    (s_a, zp_a), (s_b, zp_b), (s_out, zp_out) = (0.02, 10), (0.07, -30), (0.09, 3)
    g = edgenet.Graph(op)
    a = g.quantize(g.input("a", (4, 50)), s_a, zp_a)
    b = g.quantize(g.input("b", (50,)), s_b, zp_b)
    y = getattr(g, op)(a, b)
    y.quant = _quant(s_out, zp_out)
    g.output(y, "y")
    fa, ra = _int8_feed(rng, (4, 50), s_a, zp_a)
    fb, rb = _int8_feed(rng, (50,), s_b, zp_b)
    got = edgenet.reference.run(g, {"a": fa, "b": fb})["y"].astype(np.int64)
    expected = _float_to_nearest_int8(ra + rb if op == "add" else ra - rb, np.float64(np.float32(s_out)), zp_out)
    assert np.abs(got - expected).max() <= 1


def test_int8_avg_pool_reference_is_within_one_lsb_of_float():
    rng = np.random.default_rng(40)
    s_in, zp_in, s_out, zp_out = 0.05, -7, 0.04, 11
    g = edgenet.Graph("avg")
    x = g.quantize(g.input("x", (2, 7, 7, 3)), s_in, zp_in)
    y = g.avg_pool2d(x, 3, 2, padding="same")
    y.quant = _quant(s_out, zp_out)
    g.output(y, "y")
    feed, real_x = _int8_feed(rng, (2, 7, 7, 3), s_in, zp_in)
    got = edgenet.reference.run(g, {"x": feed})["y"].astype(np.int64)
    real_y = edgenet.ops.get("avg_pool2d").reference([real_x], y.producer.attrs)[0]
    expected = _float_to_nearest_int8(real_y, np.float64(np.float32(s_out)), zp_out)
    assert np.abs(got - expected).max() <= 1
