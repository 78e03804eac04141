"""TABLE_MAP metadata blocks: decoded exactly, or kept raw exactly as before.

The column metadata and optional metadata decoders are declared ``canonical``: they
parse only the encoding they build, so :class:`DecodedOrRaw` skips the rebuild check
it used to make on every block.  These properties hold that claim to account: on any
block, the decoders give what the rebuild-checked decoders of before gave (decoded,
or the block's raw bytes), interpreted and compiled alike, and what they decode
builds back to the block.
"""

from __future__ import annotations

import io

from construct import Container, Error, PrefixedArray, Struct, Switch, this
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.binlog.common import Text
from spec.binlog.events.table_map import (
    _METADATA_BY_TYPE,
    COLUMN_NAME,
    DEFAULT_CHARSET,
    ENUM_STR_VALUE,
    SIMPLE_PRIMARY_KEY,
    BitList,
    ColumnMetadata,
    ColumnMetadataDecoder,
    DecodedOrRaw,
    OptionalMetadataValue,
    TableMapEvent,
    _all_columns,
    _numeric_columns,
)
from spec.wire import GreedyRange, LenencBytes, LenencInt
from tests.spec.roundtrip import h

PARAMS = {"post_header_len": 8, "header_len": 19, "binlog_version": 4, "server_version": "8.0.40"}

# The optional-metadata layouts as they were before (plain int<lenenc>), checked by
# rebuilding each decoded block: the reference the canonical decoders must match.
_Collations = GreedyRange(LenencInt)
_DefaultCharset = Struct(
    "default_charset" / LenencInt,
    "charset_pairs" / GreedyRange(Struct("column_index" / LenencInt, "charset" / LenencInt)),
)
_StrValues = GreedyRange(PrefixedArray(LenencInt, Text(LenencBytes)))
REFERENCE_OPTIONAL = DecodedOrRaw(Switch(this.type, {
    1: BitList(_numeric_columns),
    2: _DefaultCharset,
    3: _Collations,
    4: GreedyRange(Text(LenencBytes)),
    5: _StrValues,
    6: _StrValues,
    7: GreedyRange(LenencInt),
    8: GreedyRange(LenencInt),
    9: GreedyRange(Struct("column_index" / LenencInt, "prefix_length" / LenencInt)),
    10: _DefaultCharset,
    11: _Collations,
    12: BitList(_all_columns),
    13: GreedyRange(LenencInt),
}, default=Error))
REFERENCE_COLUMNS = DecodedOrRaw(ColumnMetadataDecoder)  # rebuild-checked

COMPILED_OPTIONAL = OptionalMetadataValue.compile()
COMPILED_COLUMNS = ColumnMetadata.compile()

column_types = st.lists(
    st.one_of(st.sampled_from(sorted(_METADATA_BY_TYPE)), st.integers(0, 255)), max_size=8)


@st.composite
def lenenc(draw, value=None):
    """An int<lenenc>, sometimes in a longer form than the shortest, or NULL/0xff."""
    if value is None:
        value = draw(st.one_of(st.integers(0, 300), st.integers(0, 2**24 + 5)))
    form = draw(st.sampled_from(["short", "short", "short", "fc", "fd", "fe", "fb", "ff"]))
    if form == "short":
        return LenencInt.build(value)
    if form in ("fb", "ff"):
        return bytes.fromhex(form)
    size = {"fc": 2, "fd": 3, "fe": 8}[form]
    return bytes.fromhex(form) + (value % (1 << (8 * size))).to_bytes(size, "little")


@st.composite
def blocks(draw):
    """Bytes that look like optional-metadata values: lenencs, strings, stray bytes."""
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["int", "string", "bytes"]))
        if kind == "int":
            parts.append(draw(lenenc()))
        elif kind == "string":
            text = draw(st.one_of(st.text(max_size=6).map(lambda t: t.encode("utf-8", "surrogatepass")),
                                  st.binary(max_size=6)))
            parts.append(draw(lenenc(len(text))) + text)
        else:
            parts.append(draw(st.binary(max_size=3)))
    data = b"".join(parts)
    if data and draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


def table_context(types):
    return Container(column_types=types, _params=PARAMS, _parsing=True, _building=False,
                     _sizing=False)


def field_context(types, field_type):
    return Container(type=field_type, _=table_context(types), _params=PARAMS,
                     _parsing=True, _building=False, _sizing=False)


def decode(adapter, data, ctx):
    return adapter._decode(data, ctx, "(test)")


def compiled(parser, data, ctx):
    return parser.parsefunc(io.BytesIO(data), ctx)


@settings(max_examples=400)
@given(column_types, st.integers(1, 14), blocks())
def test_optional_metadata_decodes_as_the_rebuild_checked_layouts(types, field_type, data):
    ctx = field_context(types, field_type)
    expected = decode(REFERENCE_OPTIONAL, data, ctx)
    assert decode(OptionalMetadataValue, data, ctx) == expected
    assert compiled(COMPILED_OPTIONAL, data, ctx) == expected
    assert type(decode(OptionalMetadataValue, data, ctx)) is type(expected)
    assert OptionalMetadataValue._encode(expected, ctx, "(test)") == data


@settings(max_examples=400)
@given(column_types, st.binary(max_size=12))
def test_column_metadata_decodes_as_the_rebuild_checked_layouts(types, data):
    ctx = table_context(types)
    expected = decode(REFERENCE_COLUMNS, data, ctx)
    assert decode(ColumnMetadata, data, ctx) == expected
    assert compiled(COMPILED_COLUMNS, data, ctx) == expected
    assert ColumnMetadata._encode(expected, ctx, "(test)") == data


@settings(max_examples=200)
@given(st.lists(st.sampled_from(sorted(_METADATA_BY_TYPE)), max_size=8), st.data())
def test_column_metadata_of_known_types_always_decodes(types, data):
    ctx = table_context(types)
    size = sum(layout.sizeof() for layout in (_METADATA_BY_TYPE[t] for t in types))
    block = data.draw(st.binary(min_size=size, max_size=size))
    value = decode(ColumnMetadata, block, ctx)
    assert isinstance(value, list) and len(value) == len(types)
    assert ColumnMetadata._encode(value, ctx, "(test)") == block


def test_optional_metadata_with_a_long_form_length_stays_raw():
    ctx = field_context([3], COLUMN_NAME)
    assert decode(OptionalMetadataValue, h("02 6964"), ctx) == ["id"]
    assert decode(OptionalMetadataValue, h("fc 0200 6964"), ctx) == h("fc 0200 6964")
    ctx = field_context([3], SIMPLE_PRIMARY_KEY)
    assert decode(OptionalMetadataValue, h("00 fc 0500"), ctx) == h("00 fc 0500")
    assert decode(OptionalMetadataValue, h("00 fc 0001"), ctx) == [0, 256]
    ctx = field_context([3], DEFAULT_CHARSET)
    assert decode(OptionalMetadataValue, h("fd 2100 00"), ctx) == h("fd 2100 00")
    ctx = field_context([3], ENUM_STR_VALUE)
    assert decode(OptionalMetadataValue, h("fc 0100 01 61"), ctx) == h("fc 0100 01 61")
    assert decode(OptionalMetadataValue, h("01 01 61"), ctx) == [["a"]]


def test_table_map_with_a_long_form_optional_metadata_length_round_trips():
    body = Container(
        table_id=1, flags=0, database_name_length=None, database_name="d",
        table_name_length=None, table_name="t", column_count=None, column_types=[3],
        metadata_length=None, metadata=[None], null_bits=b"\x00",
        optional_metadata=[], extra=b"")
    data = TableMapEvent.build(body, **PARAMS) + h("04 04 fc 0100 61")  # COLUMN_NAME, 4 bytes
    for schema in (TableMapEvent, TableMapEvent.compile()):
        parsed = schema.parse(data, **PARAMS)
        assert parsed.optional_metadata[0].value == h("fc 0100 61")
        assert TableMapEvent.build(parsed, **PARAMS) == data
