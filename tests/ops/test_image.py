"""The image family (resize): the C core (edgenet.Interpreter on the converted file) vs the numpy
reference semantics in edgenet/ops/image.py (edgenet.reference), on randomized shapes and
attributes. Tolerances: tests/op_harness.py.
"""
import numpy as np
import pytest

from op_harness import EXACT, SUMS, assert_c_matches_reference, one_op, rand


COORDINATE_MODES = ["half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel", "tf_half_pixel_for_nn",
                    "half_pixel_symmetric"]


@pytest.mark.parametrize("coordinate_mode", COORDINATE_MODES)
@pytest.mark.parametrize("nearest_mode", ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"])
def test_resize_nearest(coordinate_mode, nearest_mode):
    rng = np.random.default_rng(2300)
    for in_hw, out_hw in [((4, 5), (8, 10)), ((6, 9), (3, 4)), ((3, 3), (7, 5)), ((5, 2), (5, 2))]:
        shape = (2,) + in_hw + (3,)
        g = one_op("resize", [shape], size=out_hw, mode="nearest", coordinate_mode=coordinate_mode,
                   nearest_mode=nearest_mode)
        assert_c_matches_reference(g, {"x0": rand(rng, *shape)}, EXACT)


@pytest.mark.parametrize("coordinate_mode", COORDINATE_MODES)
def test_resize_linear(coordinate_mode):
    rng = np.random.default_rng(2400)
    for in_hw, out_hw, scales in [((4, 5), (8, 10), None), ((6, 9), (3, 4), None), ((3, 3), (7, 5), None),
                                  ((4, 4), (9, 9), (2.25, 2.25)), ((1, 3), (2, 1), None),
                                  ((2, 4), (1, 2), (0.6, 0.6))]:  # scale * in not an integer (ONNX test case)
        shape = (1,) + in_hw + (4,)
        g = one_op("resize", [shape], size=out_hw, mode="linear", coordinate_mode=coordinate_mode, scales=scales)
        assert_c_matches_reference(g, {"x0": rand(rng, *shape)}, SUMS)
