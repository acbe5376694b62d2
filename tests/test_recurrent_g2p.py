"""A real recurrent model from a PyPI wheel: g2p_en 2.1.0's English grapheme-to-phoneme GRU encoder /
decoder (checkpoint20.npz: 256-unit GRUs, torch's gate layout), written as ONNX models with GRU nodes
(an encoder over an open number of letters, one decoder step), converted once by edgenet and
compared with onnxruntime: the encoder's final state and the decoder's logits at several word
lengths, and the whole greedy decode (the loop in Python around the two models, as g2p_en runs it).

The package is read, not imported (importing g2p_en downloads NLTK data).
"""
import importlib.util
import pathlib

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import edgenet  # noqa: E402

GRAPHEMES = ["<pad>", "<unk>", "</s>"] + list("abcdefghijklmnopqrstuvwxyz")
START, END = 2, 3  # phoneme ids of <s>, </s>
WORDS = ["a", "cat", "phoneme", "tensorflow", "edgenet", "internationalization"]  # 1 to 20 letters


def checkpoint():
    spec = importlib.util.find_spec("g2p_en")
    if spec is None:
        pytest.skip("g2p_en (the [test] extra) is not installed: no real GRU model to test")
    return dict(np.load(pathlib.Path(spec.submodule_search_locations[0]) / "checkpoint20.npz"))


def onnx_gru_weights(w_ih, w_hh, b_ih, b_hh):
    """torch's r, z, n gate blocks -> ONNX's z, r, h; W (1, 3H, I), R (1, 3H, H), B (1, 6H)."""
    def zrh(m):
        r, z, n = np.split(m, 3, axis=0)
        return np.concatenate([z, r, n], axis=0)
    return zrh(w_ih)[None], zrh(w_hh)[None], np.concatenate([zrh(b_ih), zrh(b_hh)])[None]


def gru_node(prefix, x, weights, outputs, initial_h=""):
    from onnx import numpy_helper
    names = [f"{prefix}_{k}" for k in "WRB"]
    inits = [numpy_helper.from_array(a.astype(np.float32), n) for a, n in zip(weights, names)]
    node = onnx.helper.make_node("GRU", [x, *names, "", initial_h], outputs, hidden_size=weights[1].shape[-1],
                                 linear_before_reset=1)
    return node, inits


def models(ck):
    from onnx import TensorProto, helper, numpy_helper
    hidden = ck["enc_w_hh"].shape[1]
    # Encoder: letters (T,) -> embedding (T, 1, 256) -> GRU -> final state (1, 1, 256).
    gru, gru_inits = gru_node("enc", "emb3", onnx_gru_weights(ck["enc_w_ih"], ck["enc_w_hh"], ck["enc_b_ih"],
                                                               ck["enc_b_hh"]), ["", "h"])
    encoder = helper.make_graph(
        [helper.make_node("Gather", ["enc_emb", "letters"], ["emb"]),
         helper.make_node("Unsqueeze", ["emb", "axis1"], ["emb3"]), gru],
        "g2p_encoder", [helper.make_tensor_value_info("letters", TensorProto.INT64, ["letters"])],
        [helper.make_tensor_value_info("h", TensorProto.FLOAT, [1, 1, hidden])],
        [numpy_helper.from_array(ck["enc_emb"], "enc_emb"), numpy_helper.from_array(np.array([1]), "axis1")]
        + gru_inits)
    # Decoder step: (previous phoneme (1,), state (1, 1, 256)) -> (logits (1, 74), new state).
    gru, gru_inits = gru_node("dec", "emb3", onnx_gru_weights(ck["dec_w_ih"], ck["dec_w_hh"], ck["dec_b_ih"],
                                                               ck["dec_b_hh"]), ["", "h_out"], initial_h="h_in")
    decoder = helper.make_graph(
        [helper.make_node("Gather", ["dec_emb", "phoneme"], ["emb"]),
         helper.make_node("Unsqueeze", ["emb", "axis1"], ["emb3"]), gru,
         helper.make_node("Reshape", ["h_out", "flat"], ["h2"]),
         helper.make_node("Gemm", ["h2", "fc_w", "fc_b"], ["logits"], transB=1)],
        "g2p_decoder_step",
        [helper.make_tensor_value_info("phoneme", TensorProto.INT64, [1]),
         helper.make_tensor_value_info("h_in", TensorProto.FLOAT, [1, 1, hidden])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, ck["fc_w"].shape[0]]),
         helper.make_tensor_value_info("h_out", TensorProto.FLOAT, [1, 1, hidden])],
        [numpy_helper.from_array(ck[k], k) for k in ("dec_emb", "fc_w", "fc_b")]
        + [numpy_helper.from_array(np.array([1]), "axis1"), numpy_helper.from_array(np.array([1, hidden]), "flat")]
        + gru_inits)
    opset = [helper.make_opsetid("", 17)]
    return helper.make_model(encoder, opset_imports=opset), helper.make_model(decoder, opset_imports=opset)


def letters(word):
    return np.array([GRAPHEMES.index(c) for c in word] + [GRAPHEMES.index("</s>")], np.int64)


def greedy_decode(encode, step, word):
    """g2p_en's decode: up to 20 phonemes, each the argmax given the previous one."""
    h = encode(letters(word))
    previous, phonemes = START, []
    for _ in range(20):
        logits, h = step(np.array([previous], np.int64), h)
        previous = int(np.argmax(logits))
        if previous == END:
            break
        phonemes.append(previous)
    return phonemes


def test_g2p_gru_encoder_decoder_matches_onnxruntime_at_every_word_length():
    encoder, decoder = models(checkpoint())
    enc_c = edgenet.Interpreter(edgenet.convert(encoder).to_bytes())  # one file for every word length
    dec_c = edgenet.Interpreter(edgenet.convert(decoder).to_bytes())
    assert [op.opcode for op in edgenet.convert(encoder).operators].count("GRU") == 1
    enc_rt, dec_rt = (ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
                      for m in (encoder, decoder))
    for word in WORDS:
        x = letters(word)
        h_c, h_rt = enc_c.run({"letters": x})["h"], enc_rt.run(None, {"letters": x})[0]
        np.testing.assert_allclose(h_c, h_rt, rtol=0, atol=1e-4, err_msg=word)
        feeds = {"phoneme": np.array([START], np.int64), "h_in": h_rt}
        got, expected = dec_c.run(feeds), dict(zip(["logits", "h_out"], dec_rt.run(None, feeds)))
        for name in expected:
            np.testing.assert_allclose(got[name], expected[name], rtol=0, atol=2e-4, err_msg=f"{word}: {name}")
    for word in WORDS:
        ours = greedy_decode(lambda x: enc_c.run({"letters": x})["h"],
                             lambda p, h: (lambda o: (o["logits"], o["h_out"]))(dec_c.run({"phoneme": p, "h_in": h})),
                             word)
        theirs = greedy_decode(lambda x: enc_rt.run(None, {"letters": x})[0],
                               lambda p, h: tuple(dec_rt.run(None, {"phoneme": p, "h_in": h})), word)
        assert ours == theirs and len(ours) >= 1, word
