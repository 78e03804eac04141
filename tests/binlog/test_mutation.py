"""Mutated corpus files (bytes flipped, cut, extended, lengths overwritten): nothing
escapes but the package's own error types, and skip mode always finishes."""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mysqlproto.binlog import read_binlog
from mysqlproto.errors import MySQLProtoError
from tests.corpus import good_files, rel, require_corpus

SMALL_FILES = [p for p in good_files() if p.stat().st_size <= 64 * 1024 and p.suffix != ".gz"]


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    kind = rng.choice(["flip", "flip", "cut", "extend", "length", "zero_run"])
    if kind == "flip":
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
    elif kind == "cut":
        del buf[rng.randrange(len(buf)) :]
    elif kind == "extend":
        i = rng.randrange(len(buf) + 1)
        buf[i:i] = rng.randbytes(rng.randint(1, 64))
    elif kind == "length" and len(buf) > 40:
        # overwrite an event_size or a 1-2 byte length field somewhere past the magic
        i = rng.randrange(4, len(buf) - 4)
        width = rng.choice([1, 2, 4])
        value = rng.choice([0, 1, 0xFF, 0xFFFF, 0xFFFFFFFF, rng.randrange(1 << (8 * width))])
        buf[i : i + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
    elif kind == "zero_run":
        i = rng.randrange(len(buf))
        n = rng.randint(1, 32)
        buf[i : i + n] = bytes(len(buf[i : i + n]))
    return bytes(buf)


def consume(data: bytes, **options) -> int:
    count = 0
    try:
        for _ in read_binlog(data, **options):
            count += 1
    except MySQLProtoError:
        pass
    return count


@pytest.mark.parametrize("path", SMALL_FILES, ids=[rel(p) for p in SMALL_FILES])
def test_mutations_raise_only_package_errors(path):
    require_corpus()
    data = path.read_bytes()
    rng = random.Random(rel(path))
    for _ in range(40):
        mutated = mutate(data, rng)
        for options in ({}, {"verify_checksums": False}, {"on_error": "skip",
                                                          "verify_checksums": False}):
            consume(mutated, **options)  # anything but MySQLProtoError fails the test


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hypothesis_mutations_raise_only_package_errors(data):
    require_corpus()
    path = data.draw(st.sampled_from(SMALL_FILES[:40]))
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(4, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    consume(bytes(raw), verify_checksums=False)
    consume(bytes(raw), verify_checksums=False, on_error="skip")


def test_a_huge_declared_size_does_not_allocate():
    require_corpus()
    data = bytearray(SMALL_FILES[0].read_bytes())
    struct.pack_into("<I", data, 4 + 9, 0xFFFFFFFF)
    with pytest.raises(MySQLProtoError):
        list(read_binlog(bytes(data), max_event_size=1 << 20))
