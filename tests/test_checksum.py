"""Integrity by default (format version 2): the converter ends every file with a CRC32C trailer and the
C loader rejects any changed byte unless the caller opts out (edgenet/integrity.py, native/src/checksum.c).

Oracles: the published CRC32C check value, a bit-at-a-time CRC written here from the polynomial, and the
file bytes themselves (a flipped byte must be rejected, the same file with the opt-out must run)."""
import numpy as np
import pytest

import edgenet
from edgenet import integrity


def crc32c_bitwise(data):
    """CRC32C one bit at a time, straight from the definition (reflected polynomial 0x82F63B78)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def test_crc32c_check_value_and_bitwise_definition():
    assert integrity.crc32c(b"123456789") == 0xE3069283  # the standard check value (RFC 3720 / iSCSI)
    assert integrity.crc32c(b"") == 0
    rng = np.random.default_rng(0)
    # lengths around the numpy version's lane boundaries (256-byte lanes, power-of-two lane counts)
    for n in (1, 7, 8, 255, 256, 257, 511, 512, 513, 1000, 4095, 4096, 4097, 65537):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert integrity.crc32c(data) == crc32c_bitwise(data), n


def small_model():
    rng = np.random.default_rng(3)
    g = edgenet.Graph("checksum")
    x = g.input("x", shape=(1, 6, 6, 4))
    y = g.conv2d(x, rng.standard_normal((8, 3, 3, 4)).astype(np.float32),
                 rng.standard_normal(8).astype(np.float32), padding="same", activation="relu")
    y = g.fully_connected(g.reshape(y, (1, -1)), rng.standard_normal((5, 288)).astype(np.float32) * 0.05, None)
    g.output(y, "y")
    return g


@pytest.fixture(scope="module")
def model_bytes():
    return edgenet.convert(small_model()).to_bytes()


def test_converter_writes_the_trailer(model_bytes):
    assert model_bytes[-4:] == b"ECRC"
    assert int.from_bytes(model_bytes[-8:-4], "little") == crc32c_bitwise(model_bytes[:-8])
    integrity.check_checksum(model_bytes)


def _constant_range(data):
    model = edgenet.load(data)
    start = min(offset for offset, _ in model.buffers)
    end = max(offset + size for offset, size in model.buffers)
    return start, end


def test_a_flipped_weight_byte_is_rejected_by_default_and_runs_with_the_opt_out(model_bytes, tmp_path):
    start, end = _constant_range(model_bytes)
    rng = np.random.default_rng(5)
    feeds = {"x": rng.standard_normal((1, 6, 6, 4)).astype(np.float32)}
    path = tmp_path / "flipped.enet"
    for position in rng.integers(start, end, 200):
        corrupted = bytearray(model_bytes)
        corrupted[position] ^= int(rng.integers(1, 256))
        with pytest.raises(ValueError, match=r"^model file is corrupted \(checksum mismatch\)$"):
            edgenet.Interpreter(bytes(corrupted))
        with pytest.raises(ValueError, match="checksum mismatch"):
            integrity.check_checksum(corrupted)
        # the opt-out: the structure is intact, so the model runs (with the changed weight)
        edgenet.Interpreter(bytes(corrupted), verify_checksum=False).run(feeds)
    path.write_bytes(corrupted)  # the memory-mapped path checks too
    with pytest.raises(ValueError, match="checksum mismatch"):
        edgenet.Interpreter(str(path))
    edgenet.Interpreter(str(path), verify_checksum=False).run(feeds)


def test_any_flipped_byte_is_rejected(model_bytes):
    """Anywhere in the file: the FlatBuffer, the padding, the data, the stored CRC. A flip of the tag or
    in the structure is refused too, with the checksum or a structural message."""
    rng = np.random.default_rng(6)
    for position in list(range(len(model_bytes) - 8, len(model_bytes))) + list(rng.integers(0, len(model_bytes), 300)):
        corrupted = bytearray(model_bytes)
        corrupted[position] ^= 1 << int(rng.integers(0, 8))
        with pytest.raises((ValueError, RuntimeError), match="corrupted|INVALID_MODEL|UNSUPPORTED"):
            edgenet.Interpreter(bytes(corrupted))


def test_a_version_field_damaged_into_1_is_still_checked(model_bytes):
    """Version 1 has no checksum, so a v2 file whose version byte became 1 must not skip it."""
    from edgenet._schema import edgenet_generated as S

    root = S.Model.GetRootAs(model_bytes, 0)
    position = root._tab.Pos + root._tab.Offset(4)  # Model.version, the root table's first field
    assert model_bytes[position:position + 4] == (2).to_bytes(4, "little")
    damaged = bytearray(model_bytes)
    damaged[position] = 1
    with pytest.raises(ValueError, match=r"^model file is corrupted \(checksum mismatch\)$"):
        edgenet.Interpreter(bytes(damaged))


def test_a_missing_or_truncated_trailer_is_named(model_bytes):
    for data in (model_bytes[:-1], model_bytes[:-8], model_bytes[:-4] + b"XXXX"):
        with pytest.raises(ValueError, match="model file is corrupted .*checksum trailer"):
            edgenet.Interpreter(data)
        with pytest.raises(ValueError, match="model file is corrupted"):
            integrity.check_checksum(data)


def test_the_opt_out_still_runs_the_structural_checks(model_bytes):
    """verify_checksum=False skips only the CRC: a damaged structure is still refused by name."""
    data = bytearray(model_bytes)
    data[4:8] = b"XXXX"  # the file identifier
    with pytest.raises(ValueError, match="identifier"):
        edgenet.Interpreter(bytes(data), verify_checksum=False)
    start, _ = _constant_range(model_bytes)
    body = model_bytes[:-8]
    with pytest.raises(ValueError, match="exceeds file size"):  # constants cut off, a fresh trailer
        edgenet.Interpreter(integrity.append_checksum(body[:start + 16]), verify_checksum=False)


def test_outputs_are_unchanged_by_the_trailer(model_bytes):
    """The checked file runs as the numpy reference says."""
    rng = np.random.default_rng(8)
    feeds = {"x": rng.standard_normal((1, 6, 6, 4)).astype(np.float32)}
    np.testing.assert_allclose(edgenet.Interpreter(model_bytes).run(feeds)["y"],
                               edgenet.reference.run(small_model(), feeds)["y"], rtol=1e-4, atol=1e-5)
