"""Progress of the long conversion phases (calibration, the accuracy search, the quantization report).

    for sample in track(samples, "calibrating", total=len(samples), callback=progress):
        ...

On a terminal (stderr is a TTY) a one-line bar is redrawn in place; otherwise (a pipe, a CI log,
a notebook) a plain line is printed every PLAIN_INTERVAL_S seconds, so a phase shorter than that
prints nothing and a long one shows it is alive without flooding the log. `enabled=False`
silences both. `callback(phase, done, total)` (the Python API's `progress=`) is called on every
step whether or not anything is drawn; total is None when the length is unknown.
"""
import sys
import time

PLAIN_INTERVAL_S = 5.0
BAR_REDRAW_S = 0.1  # the bar is redrawn at most this often (and on the last step)
BAR_WIDTH = 30


def _seconds(s):
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min"


class Progress:
    """One phase's progress: `step()` after each unit of work, `close()` at the end."""

    def __init__(self, phase, total=None, enabled=True, callback=None, stream=None, clock=time.monotonic):
        self.phase, self.total, self.done = phase, total, 0
        self.callback, self.clock = callback, clock
        self.stream = stream or sys.stderr
        self.enabled = bool(enabled)
        self.terminal = self.enabled and getattr(self.stream, "isatty", lambda: False)()
        self.started = self.last_line = clock()
        self.printed = False
        self.drawn = 0  # length of the bar line on the terminal, to blank what a shorter one leaves

    def step(self, note=""):
        self.done += 1
        if self.callback is not None:
            self.callback(self.phase, self.done, self.total)
        if not self.enabled:
            return
        now = self.clock()
        if self.terminal:
            if now - self.last_line < BAR_REDRAW_S and self.done != self.total and self.printed:
                return
            self.last_line = now
            line = self._line(now, note, bar=True)
            self._write("\r" + line.ljust(self.drawn))
            self.drawn = len(line)
        elif now - self.last_line >= PLAIN_INTERVAL_S:
            self._write(f"[edgenet] {self._line(now, note, bar=False)}\n")
            self.last_line = now

    def close(self):
        if not self.enabled or not self.printed:
            return
        elapsed = _seconds(self.clock() - self.started)
        if self.terminal:
            self._write("\n")
        else:
            self._write(f"[edgenet] {self.phase}: {self._count()} done in {elapsed}\n")

    def _count(self):
        return f"{self.done}/{self.total}" if self.total else str(self.done)

    def _line(self, now, note, bar):
        elapsed = now - self.started
        text = f"{self.phase}"
        if bar and self.total:
            filled = min(BAR_WIDTH, BAR_WIDTH * self.done // self.total)
            text += f" [{'#' * filled}{'.' * (BAR_WIDTH - filled)}]"
        text += f" {self._count()}" + (f" ({100 * self.done // self.total}%)" if self.total else "")
        text += f", {_seconds(elapsed)}"
        if self.total and 0 < self.done < self.total:
            text += f", ~{_seconds(elapsed / self.done * (self.total - self.done))} left"
        return text + (f": {note}" if note else "")

    def _write(self, text):
        self.stream.write(text)
        self.stream.flush()
        self.printed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def track(iterable, phase, total=None, enabled=True, callback=None, stream=None):
    """Yield from `iterable`, reporting one step per item (see the module docstring)."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    with Progress(phase, total, enabled, callback, stream) as progress:
        for item in iterable:
            yield item
            progress.step()
