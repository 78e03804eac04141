"""spec.wire's compiled forms parse as the interpreted constructs do, errors included.

construct's own compiled Bytes, FixedSized, Prefixed and BytesInteger take a short
read silently; the event parsers rely on these subclasses failing where parsing
fails, and on the compiled GreedyRange, Select and Struct returning the same values.
"""

from __future__ import annotations

import pytest
from construct import Computed, Const, Container, Int8ul, Int16ul, StopIf, this
from hypothesis import given
from hypothesis import strategies as st

from spec.binlog.common import Text, When
from spec.wire import (
    Bytes,
    BytesInteger,
    FixedSized,
    GreedyRange,
    Int3,
    Int6,
    LenencBytes,
    LenencInt,
    Prefixed,
    Select,
    StrictLenencBytes,
    StrictLenencInt,
    Struct,
    fails_at_end,
)

SCHEMAS = {
    "bytes": Struct("n" / Int8ul, "data" / Bytes(this.n)),
    "bytes_fixed": Bytes(3),
    "int3": Int3,
    "int6": Int6,
    "int_be": BytesInteger(2),
    "fixed_sized": Struct("n" / Int8ul, "body" / FixedSized(this.n - 1, GreedyRange(Int16ul))),
    "prefixed": Prefixed(Int8ul, Struct("a" / Int8ul, "rest" / GreedyRange(Int8ul))),
    "lenenc": GreedyRange(LenencInt),
    "strict_lenenc": GreedyRange(StrictLenencInt),
    "lenenc_text": GreedyRange(Text(LenencBytes)),
    "strict_lenenc_bytes": GreedyRange(StrictLenencBytes),
    "select": GreedyRange(Select(Struct("tag" / Const(b"\x01"), "v" / Int16ul),
                                 Struct("tag" / Int8ul, "rest" / Bytes(2)))),
    "context_free_struct": GreedyRange(Struct("a" / Int8ul, "b" / Int16ul)),
    "sibling_struct": Struct("n" / Int8ul, "s" / Text(Bytes(this.n)), Const(b"\0"),
                             "m" / When(this.n > 1, Int8ul)),
    "context_struct": Struct("n" / Int8ul,
                             "inner" / Struct("k" / Computed(this._.n), "v" / Int8ul)),
    "stop_struct": Struct("a" / Int8ul, StopIf(this.a == 0), "b" / Int8ul),
}
COMPILED = {name: schema.compile() for name, schema in SCHEMAS.items()}


def outcome(schema, data):
    try:
        return "ok", schema.parse(data)
    except Exception:  # noqa: BLE001 - either way is an outcome
        return "error", None


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@given(data=st.binary(max_size=12))
def test_compiled_parses_as_interpreted(name, data):
    assert outcome(COMPILED[name], data) == outcome(SCHEMAS[name], data)


@pytest.mark.parametrize("name, data", [
    ("bytes", b"\x05abc"),          # 5 bytes declared, 3 there
    ("bytes_fixed", b"ab"),
    ("int3", b"\x01\x02"),
    ("int6", b"\x01\x02\x03"),
    ("fixed_sized", b"\x00"),       # length -1
    ("prefixed", b"\x09\x01"),      # 9 bytes declared, 1 there
])
def test_compiled_refuses_a_short_read(name, data):
    assert outcome(SCHEMAS[name], data)[0] == "error"
    assert outcome(COMPILED[name], data)[0] == "error"


def test_strict_lenenc_refuses_long_forms_only():
    for compiled in (False, True):
        schema = COMPILED["strict_lenenc"] if compiled else SCHEMAS["strict_lenenc"]
        assert schema.parse(b"\x05\xfc\xfb\x00\xfb\xfd\x00\x00\x01") == [5, 251, None, 65536]
        assert schema.parse(b"\x05\xfc\x05\x00") == [5]  # the long form is left unread


def test_context_free_struct_compiles_to_a_container():
    source = SCHEMAS["context_free_struct"].compile().source
    assert "Container(a=" in source


def test_fails_at_end_only_for_items_that_read_first():
    assert fails_at_end(Struct("a" / Int8ul, "b" / Bytes(this.a)))
    assert fails_at_end(Text(StrictLenencBytes))
    assert not fails_at_end(Struct("a" / Computed(1), "b" / Int8ul))
    assert not fails_at_end(Bytes(this.n))
    assert not fails_at_end(Select(Int8ul, Int16ul))


def test_struct_values_are_containers_with_the_same_keys():
    data = b"\x02hi\x00\x07"
    assert COMPILED["sibling_struct"].parse(data) == Container(n=2, s="hi", m=7)
    assert list(COMPILED["sibling_struct"].parse(data)) == ["n", "s", "m"]
