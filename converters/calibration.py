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
"""
import sys

import numpy as np

from edgenet import reference

METHODS = ("minmax", "moving_average", "percentile")
DEFAULT_PERCENTILE = 99.99


class CalibrationError(ValueError):
    """Bad calibration data: the message names the sample and the problem."""


# ---- progress bar ----------------------------------------------------------------


def progress(iterable, total=None, desc="", enabled=True, stream=None):
    """Yield from `iterable`, drawing a one-line progress bar on stderr.

    Silent when `enabled` is false or stderr is not a terminal (CI logs, pipes)."""
    stream = stream or sys.stderr
    if not enabled or not getattr(stream, "isatty", lambda: False)():
        yield from iterable
        return
    width, count = 30, 0
    for count, item in enumerate(iterable, 1):
        if total:
            filled = min(width, width * count // total)
            stream.write(f"\r{desc} [{'#' * filled}{'.' * (width - filled)}] {count}/{total}")
        else:
            stream.write(f"\r{desc} {count}")
        stream.flush()
        yield item
    stream.write("\n" if count else "")
    stream.flush()


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


OBSERVERS = {"minmax": MinMaxObserver, "moving_average": MovingAverageObserver, "percentile": PercentileObserver}


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


def _observed_tensors(graph):
    """Every non-constant tensor whose range quantization needs: inputs and node outputs."""
    return [t for t in graph.tensors if not t.is_constant]


def collect_ranges(graph, samples, method="minmax", verbose=True):
    """({tensor name: (lo, hi)} for every input and node output of `graph`, number of samples)."""
    if method not in OBSERVERS:
        raise ValueError(f"calibration_method must be one of {METHODS}, got {method!r}")
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

    # Run a copy of the graph whose outputs are all tensors, so the reference executor returns them.
    probe = graph.copy()
    probe.outputs = _observed_tensors(probe)
    observers = {t.name: OBSERVERS[method]() for t in probe.outputs}
    total = len(samples) if hasattr(samples, "__len__") else None
    count = 0
    for count, sample in enumerate(progress(iterator, total, "calibrating", verbose), 1):
        values = reference.run(probe, check_sample(graph, sample, count - 1))
        for name, observer in observers.items():
            observer.observe(values[name])
    if count == 0:
        raise CalibrationError("calibration data is empty: need at least one sample ({input name: array})")
    return {name: observer.range() for name, observer in observers.items()}, count
