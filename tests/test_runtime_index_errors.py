"""Indices computed at run time (not constants the loader can check) that fall out of
range make invoke fail with a clear error naming the op — never a silently clamped
read — and the interpreter keeps working for good data afterwards."""
import numpy as np
import pytest

import edgenet


def gather_by_computed_index():
    g = edgenet.Graph("computed_gather")
    table = g.input("table", shape=(5, 3))
    where = g.input("where", shape=(2,))
    indices = g.cast(where, "int64")  # indices known only when the input arrives
    g.output(g.gather(table, indices, axis=0), "rows")
    return g


def test_in_range_computed_indices_match_numpy():
    g = gather_by_computed_index()
    interpreter = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    table = np.arange(15, dtype=np.float32).reshape(5, 3)
    rows = interpreter.run({"table": table, "where": np.array([4, -5], np.float32)})["rows"]
    np.testing.assert_array_equal(rows, np.take(table, [4, -5], axis=0))


@pytest.mark.parametrize("bad", [5.0, -6.0, 1e6])
def test_out_of_range_computed_index_is_a_clear_error(bad):
    g = gather_by_computed_index()
    interpreter = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    table = np.arange(15, dtype=np.float32).reshape(5, 3)
    with pytest.raises(ValueError, match=r"GATHER.*out of range for dim 0 of size 5"):
        interpreter.run({"table": table, "where": np.array([1, bad], np.float32)})
    rows = interpreter.run({"table": table, "where": np.array([0, 2], np.float32)})["rows"]
    np.testing.assert_array_equal(rows, table[[0, 2]])
