"""Hypothesis strategies and round-trip helpers shared by the protocol tests."""

from __future__ import annotations

from hypothesis import strategies as st

from spec.protocol.constants import Capability as C

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u24 = st.integers(0, 0xFFFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
u64 = st.integers(0, 2**64 - 1)
lenenc = st.one_of(st.integers(0, 250), st.integers(251, 2**16), st.integers(2**16, 2**24 + 5),
                   st.integers(2**24, 2**64 - 1))
raw = st.binary(max_size=40)
# str when valid UTF-8 (the Text adapter's view), bytes otherwise; no surrogates
chars = st.characters(blacklist_categories=("Cs",))
text = st.text(chars, max_size=20) | st.binary(max_size=20).filter(lambda b: not _utf8(b))
short_text = st.text(chars, max_size=60)  # at most 240 bytes: fits a 1-byte length
nul_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                   max_size=20) | (
    st.binary(max_size=20).filter(lambda b: b"\x00" not in b and not _utf8(b)))
nul_bytes = st.binary(max_size=30).filter(lambda b: b"\x00" not in b)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def flags(*choices: int):
    """An int made of any subset of ``choices``."""
    return st.lists(st.sampled_from(choices), unique=True).map(lambda xs: sum(xs, 0))


ALL_CAPS = [int(flag) for flag in C]

capabilities = st.lists(st.sampled_from(ALL_CAPS), unique=True).map(lambda xs: sum(xs, 0))


def assert_value_round_trips(schema, value, **ctx):
    """parse(build(x)) == x, and build of that is stable."""
    data = schema.build(value, **ctx)
    parsed = schema.parse(data, **ctx)
    assert parsed == value, (parsed, value)
    assert schema.build(parsed, **ctx) == data
    return data


def assert_bytes_round_trip(schema, data, **ctx):
    """build(parse(b)) == b."""
    parsed = schema.parse(data, **ctx)
    assert schema.build(parsed, **ctx) == data
    return parsed
