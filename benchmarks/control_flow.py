"""Per-iteration cost of a while_loop in the C core: the textbook RNN y_t = (y_(t-1) + x_t) @ w as one
WHILE over a sequence whose length is known only at run time, against the same loop in numpy.

    python benchmarks/control_flow.py [--repeats 20] [--threads 1]

One .enet file, one interpreter, several lengths (each resize re-plans the bodies' arenas once). A
WHILE iteration runs two small interpreters (the condition and the body) and copies the loop variables
across their boundaries, so the per-iteration time is that overhead plus the body's ops. Prints the
median time per run and per iteration, for the C core and for numpy.
"""
import argparse
import statistics
import time

import numpy as np

import edgenet
from edgenet.converters import convert


def rnn_graph(w):
    d = w.shape[0]
    g = edgenet.Graph("rnn")
    x = g.input("x", (None, d))
    length = g.cast(g.slice(g.shape(x), (0,), (1,)), "float32")

    def step(t, y):
        x_t = g.gather(x, g.cast(t, "int32"), axis=0)
        return t + 1.0, g.reshape(g.matmul(g.reshape(y + x_t, (1, d)), w), (d,))

    _, y = g.while_loop(lambda t, y: g.less(t, length), step, (0.0, np.zeros(d, np.float32)))
    g.output(y, "y")
    return g


def median_s(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def numpy_rnn(x, w):
    y = np.zeros(w.shape[1], np.float32)
    for x_t in x:
        y = (y + x_t) @ w
    return y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'D':>4} {'T':>6} {'edgenet ms':>11} {'us/iter':>8} {'numpy ms':>9} {'us/iter':>8}")
    for d in (4, 64, 256):
        w = (rng.standard_normal((d, d)) / np.sqrt(d)).astype(np.float32)
        interpreter = edgenet.Interpreter(convert(rnn_graph(w)).to_bytes(), num_threads=args.threads)
        for length in (10, 100, 1000):
            x = rng.standard_normal((length, d)).astype(np.float32)
            ours = median_s(lambda: interpreter.run({"x": x}), args.repeats)
            theirs = median_s(lambda: numpy_rnn(x, w), args.repeats)
            print(f"{d:>4} {length:>6} {ours * 1e3:>11.3f} {ours / length * 1e6:>8.2f} {theirs * 1e3:>9.3f} "
                  f"{theirs / length * 1e6:>8.2f}")


if __name__ == "__main__":
    main()
