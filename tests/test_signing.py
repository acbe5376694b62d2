"""Ed25519 signing of model files (edgenet keygen / sign / verify, edgenet/integrity.py).

The oracle is `cryptography`'s own Ed25519 verify; these tests check the round trip through the CLI,
and that a tampered file, a wrong key and a damaged signature are all refused."""
import numpy as np
import pytest

pytest.importorskip("cryptography", reason="signing is the optional extra edgenet[sign] (cryptography)")

import edgenet  # noqa: E402
from edgenet import cli, integrity  # noqa: E402


@pytest.fixture()
def signed(tmp_path):
    g = edgenet.Graph("signed")
    x = g.input("x", shape=(1, 4))
    g.output(g.fully_connected(x, np.eye(3, 4, dtype=np.float32), None), "y")
    model = tmp_path / "model.enet"
    edgenet.convert(g).save(str(model))
    assert cli.main(["keygen", str(tmp_path / "key")]) == 0
    assert cli.main(["sign", str(model), "--key", str(tmp_path / "key.pem")]) == 0
    return model, tmp_path / "key.pub.pem"


def test_sign_then_verify_round_trip(signed, capsys):
    model, public = signed
    signature = model.with_suffix(".enet.sig").read_bytes()
    assert len(signature) == 64
    assert cli.main(["verify", str(model), "--key", str(public)]) == 0
    assert "signature" in capsys.readouterr().out
    # the same check by the cryptography package directly
    from cryptography.hazmat.primitives import serialization

    serialization.load_pem_public_key(public.read_bytes()).verify(signature, model.read_bytes())


def test_tampered_file_wrong_key_and_bad_signature_are_refused(signed, tmp_path, capsys):
    model, public = signed
    data, signature = model.read_bytes(), model.with_suffix(".enet.sig").read_bytes()
    tampered = bytearray(data)
    tampered[len(data) // 2] ^= 1
    with pytest.raises(ValueError, match="signature verification failed"):
        integrity.verify_signature(bytes(tampered), signature, public.read_bytes())
    # even with a recomputed checksum, which anyone can write
    forged = integrity.append_checksum(bytes(tampered[:-8]))
    with pytest.raises(ValueError, match="signature verification failed"):
        integrity.verify_signature(forged, signature, public.read_bytes())
    other_private, other_public = integrity.generate_key()
    with pytest.raises(ValueError, match="signature verification failed"):
        integrity.verify_signature(data, signature, other_public)
    with pytest.raises(ValueError, match="signature verification failed"):
        integrity.verify_signature(data, integrity.sign(data, other_private), public.read_bytes())
    with pytest.raises(ValueError, match="64 bytes, got 63"):
        integrity.verify_signature(data, signature[:63], public.read_bytes())
    model.write_bytes(forged)
    assert cli.main(["verify", str(model), "--key", str(public)]) == 1
    assert "signature verification failed" in capsys.readouterr().err


def test_sign_refuses_a_corrupted_file_and_keygen_keeps_existing_keys(signed, tmp_path, capsys):
    model, _ = signed
    data = bytearray(model.read_bytes())
    data[10] ^= 1
    model.write_bytes(bytes(data))
    assert cli.main(["sign", str(model), "--key", str(tmp_path / "key.pem")]) == 1
    assert "checksum mismatch" in capsys.readouterr().err
    assert cli.main(["keygen", str(tmp_path / "key")]) == 1
    assert "exists" in capsys.readouterr().err
