"""Stateful .tflite models (resource variables: VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE, initial
values from CALL_ONCE) imported as edgenet streaming state, checked against LiteRT running the same
file as a stream of runs (its variables carry over between invokes like edgenet's state).

The models are written here with tests/tflite_models.py's TFLiteBuilder: a float RNN cell whose
hidden state and an exponential moving average live in variables (with reads after assigns in the
same run, two handles of one variable, two assigns of one variable and a container-qualified
variable), and a fully int8 RNN cell (int8 state on TANH's output grid). Then the refusals.
"""
import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

import edgenet  # noqa: E402
from tflite_models import TFLiteBuilder, litert_stream  # noqa: E402

from edgenet.converters.tflite_import import TFLiteImportError  # noqa: E402

STEPS = 6


def var_handle(b, shared_name, container=""):
    h = b.resource(f"{container}/{shared_name}/handle")
    b.op("VAR_HANDLE", [], [h], "VarHandleOptions", container=container, shared_name=shared_name)
    return h


def float_rnn_model(seed=0):
    """x (1, 6) -> h' = tanh(x Wx + b + h Wh) and ema' = 0.9 ema + 0.1 h' (outputs h' + bias_var, ema').
    Variables: h (initial: a constant), ema (initial: computed from constants in the init subgraph),
    ("other", "h"), a different variable of the same shared name, never assigned in the main graph."""
    rng = np.random.default_rng(seed)
    f32 = lambda *shape, s=0.5: rng.normal(0, s, shape).astype(np.float32)  # noqa: E731
    b = TFLiteBuilder()
    x = b.tensor("x", (1, 6))
    b.op("CALL_ONCE", [], [], "CallOnceOptions", init_subgraph_index=1)
    h, h_again, ema, other = var_handle(b, "h"), var_handle(b, "h"), var_handle(b, "ema"), var_handle(b, "h", "other")
    h_read = b.tensor("h_read", (1, 8))
    b.op("READ_VARIABLE", [h], [h_read])
    fx, fh, a, h_new = (b.tensor(n, (1, 8)) for n in ("fx", "fh", "pre", "h_new"))
    b.op("FULLY_CONNECTED", [x, b.tensor("wx", (8, 6), data=f32(8, 6)), b.tensor("bx", (8,), data=f32(8, s=0.1))],
         [fx], "FullyConnectedOptions")
    b.op("FULLY_CONNECTED", [h_read, b.tensor("wh", (8, 8), data=f32(8, 8)), -1], [fh], "FullyConnectedOptions")
    b.op("ADD", [fx, fh], [a], "AddOptions")
    b.op("TANH", [a], [h_new])
    b.op("ASSIGN_VARIABLE", [h, h_new], [])
    ema_read, h_seen, ema_seen = b.tensor("ema_read", (1, 8)), b.tensor("h_seen", (1, 8)), b.tensor("ema_seen", (1, 8))
    b.op("READ_VARIABLE", [ema], [ema_read])  # the state: ema was not assigned yet in this run
    b.op("ASSIGN_VARIABLE", [ema, h_new], [])  # overwritten below: the last assign wins
    b.op("READ_VARIABLE", [h_again], [h_seen])  # after ASSIGN(h): h_new, through another handle
    b.op("READ_VARIABLE", [ema], [ema_seen])  # after ASSIGN(ema, h_new): h_new
    decayed, fresh, ema_new = b.tensor("decayed", (1, 8)), b.tensor("fresh", (1, 8)), b.tensor("ema_new", (1, 8))
    b.op("MUL", [ema_read, b.tensor("decay", (1,), data=np.array([0.9], np.float32))], [decayed], "MulOptions")
    b.op("MUL", [ema_seen, b.tensor("rate", (1,), data=np.array([0.1], np.float32))], [fresh], "MulOptions")
    b.op("ADD", [decayed, fresh], [ema_new], "AddOptions")
    b.op("ASSIGN_VARIABLE", [ema, ema_new], [])
    other_read, out = b.tensor("other_read", (1, 8)), b.tensor("h_out", (1, 8))
    b.op("READ_VARIABLE", [other], [other_read])
    b.op("ADD", [h_seen, other_read], [out], "AddOptions")
    main = b.sub

    b.subgraph("init")
    h0, e0, k0 = var_handle(b, "h"), var_handle(b, "ema"), var_handle(b, "h", "other")
    b.op("ASSIGN_VARIABLE", [h0, b.tensor("h_initial", (1, 8), data=f32(1, 8))], [])
    ema_initial = b.tensor("ema_initial", (1, 8))
    b.op("MUL", [b.tensor("ema_a", (1, 8), data=f32(1, 8)), b.tensor("ema_b", (1, 8), data=f32(1, 8))], [ema_initial],
         "MulOptions")
    b.op("ASSIGN_VARIABLE", [e0, ema_initial], [])
    b.op("ASSIGN_VARIABLE", [k0, b.tensor("other_initial", (1, 8), data=f32(1, 8, s=0.01))], [])
    b.sub = main
    return b.finish([x], [out, ema_new])


def int8_rnn_model(seed=0):
    """Fully int8 (int8 inputs / outputs): h' = tanh(x Wx + b + h Wh), h an int8 variable on TANH's
    output grid (1/128, 0), initialized by CALL_ONCE with an int8 constant."""
    rng = np.random.default_rng(seed)
    s_x, zp_x, s_wx, s_wh = 0.05, 3, rng.uniform(0.002, 0.006, 8), rng.uniform(0.004, 0.01, 8)
    tanh_grid = dict(scale=1 / 128, zero_point=0)
    b = TFLiteBuilder()
    x = b.tensor("x", (1, 6), np.int8, scale=s_x, zero_point=zp_x)
    b.op("CALL_ONCE", [], [], "CallOnceOptions", init_subgraph_index=1)
    h = var_handle(b, "h")
    h_read = b.tensor("h_read", (1, 8), np.int8, **tanh_grid)
    b.op("READ_VARIABLE", [h], [h_read])
    fx = b.tensor("fx", (1, 8), np.int8, scale=0.04, zero_point=-2)
    fh = b.tensor("fh", (1, 8), np.int8, scale=0.02, zero_point=1)
    a = b.tensor("pre", (1, 8), np.int8, scale=0.05, zero_point=0)
    h_new = b.tensor("h_new", (1, 8), np.int8, **tanh_grid)
    wx = b.tensor("wx", (8, 6), data=rng.integers(-127, 128, (8, 6)).astype(np.int8), scale=list(s_wx),
                  zero_point=[0] * 8)
    bias = b.tensor("bx", (8,), data=rng.integers(-300, 300, 8).astype(np.int32), scale=list(s_x * s_wx),
                    zero_point=[0] * 8)
    b.op("FULLY_CONNECTED", [x, wx, bias], [fx], "FullyConnectedOptions")
    wh = b.tensor("wh", (8, 8), data=rng.integers(-127, 128, (8, 8)).astype(np.int8), scale=list(s_wh),
                  zero_point=[0] * 8)
    b.op("FULLY_CONNECTED", [h_read, wh, -1], [fh], "FullyConnectedOptions")
    b.op("ADD", [fx, fh], [a], "AddOptions")
    b.op("TANH", [a], [h_new])
    b.op("ASSIGN_VARIABLE", [h, h_new], [])
    main = b.sub
    b.subgraph("init")
    h0 = var_handle(b, "h")
    initial = b.tensor("h_initial", (1, 8), data=rng.integers(-100, 100, (1, 8)).astype(np.int8), **tanh_grid)
    b.op("ASSIGN_VARIABLE", [h0, initial], [])
    b.sub = main
    return b.finish([x], [h_new])


def run_stream(interp, name, feeds):
    return [[np.asarray(v) for v in interp.run({name: x}).values()] for x in feeds]


def test_float_rnn_state_matches_litert():
    data = float_rnn_model()
    model = edgenet.convert(data)
    assert [s.name for s in model.graph.states] == ["h", "ema", "other/h"]
    rng = np.random.default_rng(1)
    feeds = [rng.normal(0, 1, (1, 6)).astype(np.float32) for _ in range(STEPS)]
    interp = edgenet.Interpreter(model.to_bytes())
    ours = run_stream(interp, "x", feeds)
    worst = 0.0
    for mode in ("default", "builtin"):
        expected = litert_stream(data, [[x] for x in feeds], mode)
        for step, (got, want) in enumerate(zip(ours, expected)):
            for a, e in zip(got, want):
                err = float(np.abs(a - e).max() / np.abs(e).max())
                worst = max(worst, err)
                assert err <= 1e-4, (mode, step, err)
    # the state matters: the runs give different answers for the same input
    again = run_stream(interp, "x", [feeds[0]])[0]
    assert np.abs(again[1] - ours[0][1]).max() > 1e-2
    # reset_state: as a fresh LiteRT interpreter
    interp.reset_state()
    after_reset = run_stream(interp, "x", feeds[:3])
    fresh = litert_stream(data, [[x] for x in feeds[:3]])
    for got, want in zip(after_reset, fresh):
        for a, e in zip(got, want):
            worst = max(worst, float(np.abs(a - e).max() / np.abs(e).max()))
    print(f"float RNN state: max relative difference from LiteRT {worst:.2e} over {STEPS} steps")
    assert worst <= 1e-4


def test_int8_rnn_state_is_bit_exact():
    data = int8_rnn_model()
    model = edgenet.convert(data)
    (state,) = model.graph.states
    assert state.tensor.dtype == "int8" and state.initial.dtype == "int8" and state.assigned.dtype == "int8"
    assert float(state.tensor.quant.scale[0]) == np.float32(1 / 128) and int(state.tensor.quant.zero_point[0]) == 0
    assert not model.quantization.float_ops
    rng = np.random.default_rng(2)
    feeds = [rng.integers(-128, 128, (1, 6)).astype(np.int8) for _ in range(STEPS)]
    interp = edgenet.Interpreter(model.to_bytes())
    ours = [out for (out,) in run_stream(interp, "x", feeds)]
    expected = [out for (out,) in litert_stream(data, [[x] for x in feeds])]
    differ = sum(int((a != e).sum()) for a, e in zip(ours, expected))
    print(f"int8 RNN state: {differ} of {sum(a.size for a in ours)} int8 outputs differ from LiteRT")
    for step, (a, e) in enumerate(zip(ours, expected)):
        np.testing.assert_array_equal(a, e, err_msg=f"step {step}")
    assert len({a.tobytes() for a in ours}) > 1
    interp.reset_state()
    for a, e in zip(run_stream(interp, "x", feeds[:3]), litert_stream(data, [[x] for x in feeds[:3]])):
        np.testing.assert_array_equal(a[0], e[0])


def delay_model(assign, dtype=np.float32):
    """y = x + READ(prev); ASSIGN(prev, <assign>) with assign "input" (a delay line: prev is also an
    output), "const" or "self" (the value read); uint8: every tensor on one uint8 grid."""
    q = {} if dtype == np.float32 else {"scale": 0.1, "zero_point": 120}
    b = TFLiteBuilder()
    x = b.tensor("x", (1, 4), dtype, **q)
    b.op("CALL_ONCE", [], [], "CallOnceOptions", init_subgraph_index=1)
    h = var_handle(b, "prev")
    r, y = b.tensor("r", (1, 4), dtype, **q), b.tensor("y", (1, 4), dtype, **q)
    b.op("READ_VARIABLE", [h], [r])
    b.op("ADD", [x, r], [y], "AddOptions")
    value = {"input": x, "const": b.tensor("c", (1, 4), data=np.full((1, 4), 127, dtype), **q), "self": r}[assign]
    b.op("ASSIGN_VARIABLE", [h, value], [])
    main = b.sub
    b.subgraph("init")
    initial = np.array([[118, 120, 125, 130]], dtype)
    b.op("ASSIGN_VARIABLE", [var_handle(b, "prev"), b.tensor("initial", (1, 4), data=initial, **q)], [])
    b.sub = main
    return b.finish([x], [y, r])


@pytest.mark.parametrize("assign, dtype", [("input", np.float32), ("const", np.float32), ("self", np.float32),
                                           ("input", np.uint8)])
def test_assigned_input_constant_or_read_value(assign, dtype):
    data = delay_model(assign, dtype)
    interp = edgenet.Interpreter(edgenet.convert(data).to_bytes())
    rng = np.random.default_rng(3)
    feeds = [rng.integers(100, 140, (1, 4)).astype(dtype) for _ in range(STEPS)]
    expected = litert_stream(data, [[x] for x in feeds])
    # uint8 model inputs and outputs are float32 in edgenet: feed and compare the dequantized values
    meaning = (lambda v: v) if dtype == np.float32 else (lambda v: (v.astype(np.float32) - 120) * np.float32(0.1))
    for step, (x, want) in enumerate(zip(feeds, expected)):
        got = list(interp.run({"x": meaning(x)}).values())
        for a, e in zip(got, want):
            np.testing.assert_allclose(a, meaning(e), rtol=1e-6, atol=1e-6, err_msg=f"step {step}")


# ---- refusals ---------------------------------------------------------------------------------------


def accumulator(init=True, read_shape=(1, 4), assign_shape=(1, 4), init_index=1, dtype=np.float32,
                read_grid=(0.1, 0), assign_grid=(0.1, 0), read_from=None, call_once_last=False):
    """y = x + READ(acc); ASSIGN(acc, y), with variations for the refusal tests."""
    q = {} if dtype == np.float32 else {"scale": read_grid[0], "zero_point": read_grid[1]}
    qa = {} if dtype == np.float32 else {"scale": assign_grid[0], "zero_point": assign_grid[1]}
    b = TFLiteBuilder()
    x = b.tensor("x", assign_shape, dtype, **qa)
    if init and not call_once_last:
        b.op("CALL_ONCE", [], [], "CallOnceOptions", init_subgraph_index=init_index)
    h = var_handle(b, "acc")
    r = b.tensor("r", read_shape, dtype, **q)
    b.op("READ_VARIABLE", [x if read_from == "input" else h], [r])
    y = b.tensor("y", assign_shape, dtype, **qa)
    b.op("ADD", [x, r if read_from != "handle_as_value" else h], [y], "AddOptions")
    b.op("ASSIGN_VARIABLE", [h, y], [])
    if init and call_once_last:
        b.op("CALL_ONCE", [], [], "CallOnceOptions", init_subgraph_index=init_index)
    main = b.sub
    if init:
        b.subgraph("init")
        h0 = var_handle(b, "acc")
        b.op("ASSIGN_VARIABLE", [h0, b.tensor("zeros", read_shape, data=np.zeros(read_shape, dtype), **q)], [])
        b.sub = main
    return b.finish([x], [y])


@pytest.mark.parametrize("kwargs, message", [
    (dict(init=False), r"variable 'acc' is read before any value is assigned to it"),
    (dict(dtype=np.int8, assign_grid=(0.2, 3)), r"int8 variable 'acc'.*scale / zero point .*one grid per variable"),
    (dict(read_from="input"), r"READ_VARIABLE.*input 'x' is not a variable handle made by a VAR_HANDLE"),
    (dict(read_from="handle_as_value"), r"'/acc/handle' is a variable handle: only READ_VARIABLE and ASSIGN_VARIABLE"),
    (dict(read_shape=(1, 4), assign_shape=(2, 4)), r"ASSIGN_VARIABLE: variable 'acc' holds \(1, 4\) between runs"),
    (dict(init_index=7), r"CALL_ONCE: init subgraph 7 of 2 subgraphs"),
    (dict(init_index=0), r"CALL_ONCE: init subgraph 0 of 2 subgraphs"),
    (dict(call_once_last=True), r"read before any value is assigned"),
    (dict(dtype=np.int32), r"variable 'acc'.*is INT32; edgenet imports float32 and int8 / uint8 variables"),
])
def test_refusals_name_the_variable(kwargs, message):
    with pytest.raises(TFLiteImportError, match=message):
        edgenet.convert(accumulator(**kwargs))


def test_read_shape_must_match_initial_value():
    b = TFLiteBuilder()
    x = b.tensor("x", (1, 4))
    b.op("CALL_ONCE", [], [], "CallOnceOptions", init_subgraph_index=1)
    h = var_handle(b, "acc")
    r = b.tensor("r", (1, 4))
    b.op("READ_VARIABLE", [h], [r])
    y = b.tensor("y", (1, 4))
    b.op("ADD", [x, r], [y], "AddOptions")
    main = b.sub
    b.subgraph("init")
    b.op("ASSIGN_VARIABLE", [var_handle(b, "acc"), b.tensor("c", (1, 3), data=np.ones((1, 3), np.float32))], [])
    b.sub = main
    with pytest.raises(TFLiteImportError, match=r"variable 'acc': READ_VARIABLE output 'r' has shape \(1, 4\), its "
                                                r"CALL_ONCE initial value \(1, 3\)"):
        edgenet.convert(b.finish([x], [y]))


def test_init_subgraph_problems_are_reported_with_the_call_once():
    b = TFLiteBuilder()
    x = b.tensor("x", (1, 4))
    b.op("CALL_ONCE", [], [], "CallOnceOptions", init_subgraph_index=1)
    y = b.tensor("y", (1, 4))
    b.op("RELU", [x], [y])
    main = b.sub
    b.subgraph("init")
    c = b.tensor("c", (1, 4))
    b.op("RFFT2D", [b.tensor("k", (1, 4), data=np.ones((1, 4), np.float32))], [c])
    b.op("ASSIGN_VARIABLE", [var_handle(b, "acc"), c], [])
    b.sub = main
    with pytest.raises(TFLiteImportError, match=r"operator 0 CALL_ONCE.*init subgraph 1:.*RFFT2D"):
        edgenet.convert(b.finish([x], [y]))
