"""Calibration: run sample inputs through the float graph and record every activation's range.

    ranges, count = collect_ranges(graph, samples, method="minmax")   # {tensor name: (lo, hi)}, #samples

`samples` is a list/iterable of feed dicts ({input name: float32 array}), or a callable
returning one. Each sample runs through the numpy reference executor (the same float
semantics the model was written against), and an observer per tensor folds the values in:

    minmax          lo/hi = the smallest/largest value seen in any sample (default).
    moving_average  lo/hi = the mean over samples of each sample's min/max, so one unusual
                    sample moves the range by only 1/N of its excess.
    percentile      lo/hi = the (100 - p)th / pth percentile of all values (p = 99.99), so a
                    few outliers are clipped instead of stretching the scale for everyone.
                    Values go into a fixed log-spaced histogram (64 bins per octave, one
                    histogram per sign), so memory stays constant and the answer is within
                    about 1% of the exact percentile (rounded outwards, never inwards).
    mse             the range [a*lo, a*hi] (lo/hi the observed extremes, 0 < a <= 1) whose int8 grid
                    gives the smallest expected squared error: clipping error of the values outside
                    plus scale^2/12 rounding error of the values inside.
    kl              (KL divergence; "entropy" is an alias) the range whose 255-level quantized histogram
                    is closest to the clipped original in KL divergence (the TensorRT entropy calibrator).

mse and kl build one histogram per tensor (`bins` bins for each sign, default 2048; the
histogram doubles its bin width whenever a sample exceeds its range, so one pass is enough).

    stats = calibrate(graph, samples, method, bins=2048, channel_means=True)
    stats.ranges, stats.count, stats.channel_means   # per-channel (last axis) means, for bias correction
"""
import dataclasses

import numpy as np

from edgenet import reference

from .progress import track

METHODS = ("minmax", "moving_average", "percentile", "mse", "kl")
METHOD_ALIASES = {"entropy": "kl"}  # TensorRT's name for its KL-divergence ("entropy") calibrator
DEFAULT_PERCENTILE = 99.99
DEFAULT_BINS = 2048


class CalibrationError(ValueError):
    """Bad calibration data: the message names the sample and the problem."""


# ---- observers: one per tensor, folding in one sample at a time ----------------------


class MinMaxObserver:
    def __init__(self):
        self.lo, self.hi = np.inf, -np.inf

    def observe(self, values):
        self.lo = min(self.lo, float(values.min()))
        self.hi = max(self.hi, float(values.max()))

    def range(self):
        return self.lo, self.hi


class MovingAverageObserver:
    def __init__(self):
        self.lo_sum = self.hi_sum = 0.0
        self.count = 0

    def observe(self, values):
        self.lo_sum += float(values.min())
        self.hi_sum += float(values.max())
        self.count += 1

    def range(self):
        return self.lo_sum / self.count, self.hi_sum / self.count


class PercentileObserver:
    """Counts of |x| in log2-spaced bins, separately for x > 0 and x < 0, plus exact zeros."""

    BINS_PER_OCTAVE = 64
    MIN_EXPONENT, MAX_EXPONENT = -64, 64  # |x| outside [2^-64, 2^64) lands in the end bins

    def __init__(self, percentile=DEFAULT_PERCENTILE):
        self.percentile = percentile
        nbins = (self.MAX_EXPONENT - self.MIN_EXPONENT) * self.BINS_PER_OCTAVE
        self.positive = np.zeros(nbins, np.int64)
        self.negative = np.zeros(nbins, np.int64)
        self.zeros = 0
        self.exact = MinMaxObserver()  # percentiles never exceed the observed extremes

    def _bin(self, magnitudes):
        bins = np.floor((np.log2(magnitudes) - self.MIN_EXPONENT) * self.BINS_PER_OCTAVE)
        return np.clip(bins, 0, len(self.positive) - 1).astype(np.int64)

    def _bin_upper_edge(self, index):
        return float(2.0 ** ((index + 1) / self.BINS_PER_OCTAVE + self.MIN_EXPONENT))

    def observe(self, values):
        self.exact.observe(values)
        flat = values.reshape(-1)
        self.positive += np.bincount(self._bin(flat[flat > 0]), minlength=len(self.positive))
        self.negative += np.bincount(self._bin(-flat[flat < 0]), minlength=len(self.negative))
        self.zeros += int(np.count_nonzero(flat == 0))

    def _quantile(self, q):
        """The value below which a fraction q of all values lie (bin edge rounded outwards)."""
        # Values in ascending order: negatives by descending magnitude, zeros, positives.
        counts = np.concatenate([self.negative[::-1], [self.zeros], self.positive])
        cumulative = np.cumsum(counts)
        rank = q * cumulative[-1]
        index = int(np.searchsorted(cumulative, rank, side="left"))
        index = min(index, len(counts) - 1)
        n = len(self.negative)
        if index < n:  # a negative bin: its most negative edge
            return -self._bin_upper_edge(n - 1 - index)
        if index == n:
            return 0.0
        return self._bin_upper_edge(index - n - 1)

    def range(self):
        lo_exact, hi_exact = self.exact.range()
        lo = max(self._quantile(1.0 - self.percentile / 100.0), lo_exact)
        hi = min(self._quantile(self.percentile / 100.0), hi_exact)
        return lo, hi


class HistogramObserver:
    """Counts of x > 0 and of -x for x < 0 in `bins` equal bins over [0, limit] each, plus exact
    zeros; `limit` doubles (merging bin pairs) when a sample exceeds it. range() searches the
    clipping range that minimizes the quantization error: method "mse" or "kl"."""

    STEPS = 100  # candidate ranges a * (lo, hi), a in (0, 1]

    def __init__(self, method="mse", bins=DEFAULT_BINS):
        if int(bins) < 256 or int(bins) % 2:
            raise ValueError(f"calibration_bins must be an even number >= 256, got {bins!r}")
        self.method, self.bins = method, int(bins)
        self.positive = np.zeros(self.bins, np.int64)
        self.negative = np.zeros(self.bins, np.int64)
        self.zeros = 0
        self.limit = 0.0
        self.exact = MinMaxObserver()

    def _grow(self, magnitude):
        if self.limit == 0.0:
            self.limit = magnitude
            return
        while self.limit < magnitude:  # halve the resolution: bin pairs merge exactly
            self.positive = np.concatenate([self.positive.reshape(-1, 2).sum(1), np.zeros(self.bins // 2, np.int64)])
            self.negative = np.concatenate([self.negative.reshape(-1, 2).sum(1), np.zeros(self.bins // 2, np.int64)])
            self.limit *= 2.0

    def observe(self, values):
        self.exact.observe(values)
        flat = values.reshape(-1)
        magnitude = float(np.max(np.abs(flat))) if flat.size else 0.0
        if magnitude > 0:
            self._grow(magnitude)
        for histogram, part in ((self.positive, flat[flat > 0]), (self.negative, -flat[flat < 0])):
            if part.size == 0:
                continue
            index = np.minimum((part * (self.bins / self.limit)).astype(np.int64), self.bins - 1)
            histogram += np.bincount(index, minlength=self.bins)
        self.zeros += int(np.count_nonzero(flat == 0))

    def _centers_and_counts(self):
        width = self.limit / self.bins
        centers = (np.arange(self.bins) + 0.5) * width
        return (np.concatenate([-centers[::-1], [0.0], centers]),
                np.concatenate([self.negative[::-1], [self.zeros], self.positive]).astype(np.float64))

    @staticmethod
    def _mse(x, counts, lo, hi):
        scale = (hi - lo) / 255.0
        inside = (x >= lo) & (x <= hi)
        clipped = np.where(x < lo, lo - x, x - hi)
        return counts[inside].sum() * scale * scale / 12.0 + float(np.sum(counts[~inside] * clipped[~inside] ** 2))

    @staticmethod
    def _kl(x, counts, lo, hi):
        inside = (x >= lo) & (x <= hi)
        if np.count_nonzero(inside) < 255:  # fewer bins than levels: nothing left to compare
            return np.inf
        kept = counts[inside]
        # q: the values inside, each level's mass spread over its non-empty bins (what int8 keeps);
        # p: the original, with the clipped values piled onto the edge bins (where int8 puts them).
        level = np.minimum(((x[inside] - lo) / (hi - lo) * 255).astype(np.int64), 254)
        mass = np.bincount(level, weights=kept, minlength=255)
        used = np.bincount(level, weights=(kept > 0).astype(np.float64), minlength=255)
        q = np.where(kept > 0, mass[level] / np.maximum(used[level], 1), 0.0)
        p = kept.copy()
        p[0] += counts[x < lo].sum()
        p[-1] += counts[x > hi].sum()
        q[[0, -1]] = np.maximum(q[[0, -1]], 1e-12 * max(float(q.sum()), 1.0))  # keep KL finite at the edges
        p, q = p / p.sum(), q / q.sum()
        nonzero = p > 0
        return float(np.sum(p[nonzero] * np.log(p[nonzero] / q[nonzero])))

    def range(self):
        lo, hi = min(self.exact.lo, 0.0), max(self.exact.hi, 0.0)
        if hi - lo <= 0:
            return self.exact.range()
        x, counts = self._centers_and_counts()
        error = self._mse if self.method == "mse" else self._kl
        fractions = np.arange(1, self.STEPS + 1) / self.STEPS
        errors = [error(x, counts, a * lo, a * hi) for a in fractions]
        best = float(fractions[int(np.argmin(errors))])
        return max(best * lo, self.exact.lo), min(best * hi, self.exact.hi)


class ChannelMeanObserver:
    """Mean of each channel (last axis) over all samples and positions."""

    def __init__(self):
        self.sum, self.count = 0.0, 0

    def observe(self, values):
        flat = values.reshape(-1, values.shape[-1]) if values.ndim else values.reshape(1, 1)
        self.sum = self.sum + flat.sum(axis=0)
        self.count += flat.shape[0]

    def mean(self):
        return self.sum / max(self.count, 1)


OBSERVERS = {"minmax": MinMaxObserver, "moving_average": MovingAverageObserver, "percentile": PercentileObserver,
             "mse": lambda bins: HistogramObserver("mse", bins), "kl": lambda bins: HistogramObserver("kl", bins)}


# ---- running the samples ----------------------------------------------------------------


def check_sample(graph, sample, index):
    """The sample as a feed dict, after checking names, shapes, dtypes and finiteness."""
    try:
        arrays = reference.check_feeds(graph, sample)
    except ValueError as e:
        raise CalibrationError(f"calibration sample #{index}: {e}") from None
    for t, array in zip(graph.inputs, arrays):
        if not np.isfinite(array).all():
            bad = int(np.count_nonzero(~np.isfinite(array)))
            raise CalibrationError(f"calibration sample #{index}: input {t.name!r} has {bad} non-finite "
                                   "value(s) (NaN or inf); calibration data must be finite")
    return {t.name: a for t, a in zip(graph.inputs, arrays)}


@dataclasses.dataclass
class Calibration:
    ranges: dict  # {tensor name: (lo, hi)}
    count: int  # samples seen
    channel_means: dict = None  # {tensor name: per-channel (last axis) mean}, when asked for


def collect_ranges(graph, samples, method="minmax", verbose=True, bins=DEFAULT_BINS, progress=None):
    """({tensor name: (lo, hi)} for every input and node output of `graph`, number of samples)."""
    stats = calibrate(graph, samples, method, verbose, bins, progress=progress)
    return stats.ranges, stats.count


def _make_observer(method, bins):
    return OBSERVERS[method](bins) if method in ("mse", "kl") else OBSERVERS[method]()


def calibrate(graph, samples, method="minmax", verbose=True, bins=DEFAULT_BINS, channel_means=False, progress=None):
    """A Calibration: every input's and node output's range (and per-channel means if asked).
    verbose: show progress on stderr (converters/progress.py); progress: callable(phase, done, total)."""
    method = METHOD_ALIASES.get(method, method)
    if method not in OBSERVERS:
        raise ValueError(f"calibration_method must be one of {METHODS} (or 'entropy', an alias of 'kl'), "
                         f"got {method!r}")
    if samples is None:
        raise CalibrationError("quantize='int8' needs calibration data: pass calibration=[{input name: array}, "
                               "...] (a few hundred representative inputs)")
    if callable(samples):
        samples = samples()
    if isinstance(samples, dict) or isinstance(samples, np.ndarray):
        raise CalibrationError("calibration must be a list/iterable of feed dicts ({input name: array}), got a "
                               f"single {type(samples).__name__}; wrap one sample in a list")
    try:
        iterator = iter(samples)
    except TypeError:
        raise CalibrationError(f"calibration must be a list/iterable of feed dicts, got {type(samples).__name__}") \
            from None

    # Every non-constant tensor the run computes, control-flow bodies included (once per iteration).
    observers, means = {}, {}

    def observe(t, values):
        if t.name not in observers:
            observers[t.name] = _make_observer(method, bins)
            if channel_means:
                means[t.name] = ChannelMeanObserver()
        observers[t.name].observe(values)
        if channel_means:
            means[t.name].observe(values)

    total = len(samples) if hasattr(samples, "__len__") else None
    count = 0
    state = {}  # a model with state variables sees the samples as one stream, in order
    for count, sample in enumerate(track(iterator, "calibrating", total, verbose, progress), 1):
        reference.run(graph, check_sample(graph, sample, count - 1), state, observe=observe)
    if count == 0:
        raise CalibrationError("calibration data is empty: need at least one sample ({input name: array})")
    return Calibration({name: observer.range() for name, observer in observers.items()}, count,
                       {name: observer.mean() for name, observer in means.items()} if channel_means else None)
