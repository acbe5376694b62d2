"""edgenet.Interpreter under Python threads (invoke releases the GIL).

- One Interpreter shared by threads: calls are serialized, so every result is that input's
  result. The threads alternate two batch sizes, so nearly every run resizes and re-plans the
  arena while other threads wait to write their inputs into it.
- Many Interpreters over one model file, one per thread: they run in parallel, each correct.

Oracle: edgenet.reference.run (numpy) for every input, checked once single-threaded; the threads'
results must then equal that single-threaded run bit for bit (same kernels, same data).
"""
import threading

import numpy as np
import pytest

import edgenet

RUNS = 10_000  # in total over the threads of one test
THREADS = 4
BATCHES = (1, 5)  # alternated by every thread: each run re-plans


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(graph, model path): a dynamic-batch MLP small enough that Python overhead dominates, so
    threads really interleave between set-input, invoke and reading outputs."""
    rng = np.random.default_rng(12)
    g = edgenet.Graph("tiny")
    x = g.input("x", shape=(None, 16))
    h = g.fully_connected(x, rng.standard_normal((32, 16)).astype(np.float32),
                          rng.standard_normal(32).astype(np.float32), activation="relu")
    g.output(g.softmax(g.fully_connected(h, rng.standard_normal((8, 32)).astype(np.float32),
                                         rng.standard_normal(8).astype(np.float32))), "probs")
    path = tmp_path_factory.mktemp("threads") / "tiny.enet"
    edgenet.convert(g).save(str(path))
    return g, path


def _inputs(thread):
    """Distinct inputs per thread and batch size, so a result crossing threads is caught."""
    rng = np.random.default_rng(1000 + thread)
    return [rng.standard_normal((batch, 16)).astype(np.float32) for batch in BATCHES]


def _expected(graph, interpreter, inputs):
    """The single-threaded results, each checked against the numpy reference."""
    expected = []
    for x in inputs:
        got = interpreter.run({"x": x})["probs"]
        np.testing.assert_allclose(got, edgenet.reference.run(graph, {"x": x})["probs"], rtol=1e-5, atol=1e-6)
        expected.append(got)
    return expected


def _run_threads(work):
    """Runs work(t) on THREADS threads; returns the exceptions they raised."""
    errors = []

    def guarded(t):
        try:
            work(t)
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_one_interpreter_shared_by_threads_with_replanning(tiny):
    graph, path = tiny
    shared = edgenet.Interpreter(path)
    inputs = [_inputs(t) for t in range(THREADS)]
    expected = [_expected(graph, shared, inputs[t]) for t in range(THREADS)]
    wrong = []

    def work(t):
        for i in range(RUNS // THREADS):
            k = i % len(BATCHES)
            got = shared.run({"x": inputs[t][k]})["probs"]
            if not np.array_equal(got, expected[t][k]):
                wrong.append((t, i, got.shape))

    errors = _run_threads(work)
    assert not errors, errors[:3]
    assert not wrong, f"{len(wrong)} of {RUNS} runs returned another run's result, e.g. {wrong[:3]}"


def test_profile_and_arena_size_wait_for_running_calls(tiny):
    """profile() and arena_size take the same turn as run(): a profile sees only its own invokes,
    and the runs around it stay correct."""
    graph, path = tiny
    shared = edgenet.Interpreter(path)
    inputs = [_inputs(t) for t in range(THREADS)]
    expected = [_expected(graph, shared, inputs[t]) for t in range(THREADS)]
    num_ops = len(shared.profile({"x": inputs[0][0]}, runs=1).ops)
    profiles, wrong = [], []

    def work(t):
        for i in range(300):
            k = i % len(BATCHES)
            if t == 0 and i % 10 == 0:
                profiles.append(shared.profile({"x": inputs[t][k]}, runs=3, warmup=1))
                assert shared.arena_size > 0
            elif not np.array_equal(shared.run({"x": inputs[t][k]})["probs"], expected[t][k]):
                wrong.append((t, i))

    errors = _run_threads(work)
    assert not errors, errors[:3]
    assert not wrong, wrong[:3]
    assert len(profiles) == 30 and all(p.runs == 3 and len(p.ops) == num_ops for p in profiles)


def test_many_interpreters_one_model_file_in_parallel(tiny):
    graph, path = tiny
    inputs = [_inputs(t) for t in range(THREADS)]
    single = edgenet.Interpreter(path)
    expected = [_expected(graph, single, inputs[t]) for t in range(THREADS)]
    wrong = []
    start = threading.Barrier(THREADS)

    def work(t):
        own = edgenet.Interpreter(path, num_threads=1)
        start.wait()  # all load first, then all run at once
        for i in range(RUNS // THREADS):
            k = i % len(BATCHES)
            if not np.array_equal(own.run({"x": inputs[t][k]})["probs"], expected[t][k]):
                wrong.append((t, i))

    errors = _run_threads(work)
    assert not errors, errors[:3]
    assert not wrong, f"{len(wrong)} wrong results, e.g. {wrong[:3]}"
