"""Op tests by family, one file per family of edgenet/ops: tests/ops/test_<family>.py (the C core vs
the numpy reference of edgenet/ops/<family>.py). Helpers: tests/op_harness.py."""
