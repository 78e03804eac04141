"""The C binary JSON decoder (``mysqlproto._rowsc.decode_json``, mysqlproto/_jsonb.c)
against the Python ones: on good bytes it gives the checked decoder's values, type for
type; on any bytes it gives up exactly where the Python fast decoder does and
otherwise returns what the checked decoder returns; hostile documents stop it on the
budget; ``decode_json`` and the rows op (OP_JSON) fall back to the checked decoder's
errors; no leaks."""

from __future__ import annotations

import gc
import os
import struct
import subprocess
import sys
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mysqlproto import jsonbinary
from mysqlproto.errors import DecodeError
from mysqlproto.jsonbinary import (
    JSON_DOCUMENT_MAX_DEPTH,
    JSON_NULL,
    JsonUInt,
    _decode_json_checked,
    _decode_json_fast,
    decode_json,
    encode_json,
)
from mysqlproto.rows import RowChange, TableInfo, decode_rows, rows_event_body
from spec.binlog.events import table_map as tm
from spec.binlog.values import ColumnDef
from tests.test_jsonbinary import (
    AGREEMENT_SEEDS,
    ANNOTATED,
    HOSTILE,
    MALFORMED,
    MYSQL_97_DOCS,
    MYSQL_97_PARTIAL,
    _canon,
    _encode_large,
    _mysql_order,
    _nested_arrays,
    _outcome,
    _same,
    _time_limit,
    json_values,
    keys,
    scalars,
)

try:
    from mysqlproto import _rowsc
except ImportError:  # pragma: no cover - the extension is optional
    _rowsc = None

pytestmark = pytest.mark.skipif(
    _rowsc is None, reason="mysqlproto._rowsc is not built (no C compiler at install time: "
    "`pip install -e .` builds it); the Python decoders are tested by test_jsonbinary.py")

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def native(data: bytes):
    return _rowsc.decode_json(data, JsonUInt, jsonbinary._native_opaque)


def _gives_up(decode, data: bytes) -> bool:
    try:
        decode(data)
    except Exception:  # noqa: BLE001 -- any failure means "ask the checked decoder"
        return True
    return False


def _assert_native_decodes(data: bytes, value) -> None:
    got = native(data)  # no fallback: it must not give up on good bytes
    assert _canon(got) == _canon(_decode_json_checked(data))
    assert _same(_mysql_order(value), got)


def _assert_native_agrees(data: bytes) -> None:
    """Gives up where the Python fast decoder does; else the checked decoder's value."""
    if not data:
        return
    mine = _outcome(native, data)
    fast = _outcome(_decode_json_fast, data)
    assert (mine[0] == "value") == (fast[0] == "value"), (data.hex(), mine, fast)
    if mine[0] == "value":
        assert mine == fast == _outcome(_decode_json_checked, data)
    else:
        assert issubclass(mine[1], ValueError | jsonbinary._Bail), mine  # the hook: _Bail


def test_decode_json_uses_the_native_decoder_unless_told_not_to():
    expected = None if os.environ.get("MYSQLPROTO_PURE_PYTHON") else _rowsc.decode_json
    assert jsonbinary._NATIVE_DECODE is expected
    code = ("from mysqlproto import jsonbinary; print(jsonbinary._NATIVE_DECODE is None)")
    env = dict(os.environ, MYSQLPROTO_PURE_PYTHON="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.strip() == "True"


# == good bytes ============================================================================


@SETTINGS
@given(json_values)
def test_native_gives_the_checked_decoders_values(value):
    _assert_native_decodes(encode_json(value), value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.lists(json_values, max_size=8), st.dictionaries(keys, json_values,
                                                                     max_size=8)))
def test_native_reads_the_large_format(value):
    _assert_native_decodes(_encode_large(value), value)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.lists(scalars, min_size=60, max_size=150),
                 st.dictionaries(st.text(max_size=8), scalars, min_size=60, max_size=150)))
def test_native_reads_containers_of_many_elements(value):
    _assert_native_decodes(encode_json(value), value)
    _assert_native_decodes(_encode_large(value), value)


def test_native_inlines_32_bit_integers_in_large_containers():
    value = ["f" * 70000, -70000, JsonUInt(4294967295), -(1 << 31), {"u": JsonUInt(7)}]
    data = encode_json(value)
    assert data[0] == 0x03
    _assert_native_decodes(data, value)
    assert type(native(data)[2]) is JsonUInt and type(native(data)[4]["u"]) is JsonUInt


@pytest.mark.parametrize("length", [0, 1, 127, 128, 129, 16383, 16384, 16385, 70000])
def test_native_reads_every_size_of_string_length(length):
    value = {"a": "s" * length, "é" * min(length, 30000): ["é" * length, "t" * length]}
    _assert_native_decodes(encode_json(value), value)


@pytest.mark.parametrize("name, data, value", ANNOTATED, ids=[a[0] for a in ANNOTATED])
def test_native_decodes_the_annotated_vectors(name, data, value):
    _assert_native_decodes(data, value)


def test_native_decodes_mysql_97_bytes():
    seen = 0
    for _, _, _, data, _ in MYSQL_97_DOCS:
        if isinstance(data, str):
            raw = bytes.fromhex(data)
            assert _canon(native(raw)) == _canon(_decode_json_checked(raw))
            seen += 1
    assert seen > 20


def test_native_decodes_documents_mysql_updated_in_place():
    # partial updates leave free space and moved offsets: valid, not canonical
    befores = [bytes.fromhex(before) for _, before, _ in MYSQL_97_PARTIAL]
    assert any(encode_json(_decode_json_checked(b)) != b for b in befores)
    for data in befores:
        assert _canon(native(data)) == _canon(_decode_json_checked(data))


def test_native_depth_limit_is_the_fast_decoders():
    deepest = _nested_arrays(JSON_DOCUMENT_MAX_DEPTH)
    assert _canon(native(deepest)) == _canon(_decode_json_checked(deepest))
    with pytest.raises(ValueError, match="deeper than 100"):
        native(_nested_arrays(JSON_DOCUMENT_MAX_DEPTH + 1))


# == bad bytes =============================================================================


@pytest.mark.parametrize("data, field", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_documents_make_native_give_up_and_decode_json_raise_the_checked_error(
        data, field):
    if data:
        assert _gives_up(native, data)
    with pytest.raises(DecodeError) as checked:
        _decode_json_checked(data) if data else decode_json(b"\x0c\x05")
    with pytest.raises(DecodeError) as public:
        decode_json(data) if data else decode_json(b"\x0c\x05")
    assert (public.value.reason, public.value.field) == (checked.value.reason,
                                                         checked.value.field)


def test_every_truncation_and_byte_flip_agrees():
    for seed in AGREEMENT_SEEDS:
        for cut in range(len(seed)):
            _assert_native_agrees(seed[:cut])
        for pos in range(min(len(seed), 200)):
            for flip in (0x01, 0x02, 0x04, 0x08, 0x10, 0x40, 0x80, 0xFF):
                mutated = bytearray(seed)
                mutated[pos] ^= flip
                _assert_native_agrees(bytes(mutated))


@SETTINGS
@given(st.sampled_from(AGREEMENT_SEEDS),
       st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=6))
def test_random_byte_changes_agree(seed, changes):
    mutated = bytearray(seed)
    for pos, byte in changes:
        mutated[pos % len(mutated)] = byte
    _assert_native_agrees(bytes(mutated))


@SETTINGS
@given(st.binary(min_size=1, max_size=64))
def test_random_bytes_agree(data):
    _assert_native_agrees(data)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_shared_bytes_stop_native_on_the_budget(name):
    data = HOSTILE[name]
    tracemalloc.start()
    try:
        with _time_limit(10), pytest.raises(ValueError, match="can hold|past its"):
            native(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * len(data) + (1 << 20), peak
    with pytest.raises(DecodeError, match="expand beyond"):
        decode_json(data)


def test_duplicate_keys_make_native_give_up():
    dup = encode_json({"a": 1, "b": 2}).replace(b"ab", b"aa")
    with pytest.raises(ValueError, match="duplicate key"):
        native(dup)
    with pytest.raises(DecodeError, match="duplicate key"):
        decode_json(dup)


def test_a_failing_opaque_hook_is_giving_up():
    data = encode_json({"d": jsonbinary.JsonDecimal("1.5")})

    def refuse(field_type, payload):
        raise jsonbinary._Bail

    with pytest.raises(jsonbinary._Bail):
        _rowsc.decode_json(data, JsonUInt, refuse)
    with pytest.raises(TypeError):
        _rowsc.decode_json(data, JsonUInt)


def test_no_leaks():
    docs = [encode_json(v) for v in (
        {"id": 1, "name": "n1", "tags": ["x", "y"], "nested": {"ok": True, "score": 0.5}},
        [JsonUInt(5), -(1 << 40), 1.5, None, "é" * 300, jsonbinary.JsonDecimal("3.25")],
    )] + [seed for seed in AGREEMENT_SEEDS if seed]

    def run():
        for _ in range(300):
            for doc in docs:
                try:
                    native(doc)
                except ValueError:
                    pass
                for cut in (1, len(doc) // 2):
                    try:
                        native(doc[:cut])
                    except (ValueError, UnicodeDecodeError):
                        pass

    run()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    run()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after - before < 64 * 1024, after - before


# == the rows op ===========================================================================

TABLE = TableInfo(table_id=9, schema="db", table="t", columns=[
    ColumnDef(tm.MYSQL_TYPE_LONG, None, "id"),
    ColumnDef(tm.MYSQL_TYPE_JSON, 4, "doc"),
])


def _rows_bytes(*docs: bytes) -> bytes:
    out = bytearray()
    for doc in docs:
        out += b"\x00" + struct.pack("<i", 1) + struct.pack("<I", len(doc)) + doc
    return bytes(out)


def test_rows_op_is_the_native_json_decoder():
    fn = TABLE.decoder("write", b"\x03", None)
    if os.environ.get("MYSQLPROTO_PURE_PYTHON"):
        pytest.skip("MYSQLPROTO_PURE_PYTHON is set: the rows decoders are Python")
    assert isinstance(fn, _rowsc.Decoder)
    assert fn.program[2][1][0] == _rowsc.OP_JSON


@pytest.mark.parametrize("doc, value", [
    (b"", JSON_NULL),
    (b"\x04\x00", JSON_NULL),  # a document that is null: not SQL NULL
    (b"\x04\x01", True),
    (encode_json({"a": [1, "x"]}), {"a": [1, "x"]}),
    (encode_json(JsonUInt(7)), JsonUInt(7)),
])
def test_rows_op_values(doc, value):
    body = rows_event_body(TABLE, [RowChange(None, {"id": 1, "doc": None})])
    body.rows = _rows_bytes(doc)
    (row,) = decode_rows(body, TABLE, kind="write")
    assert row.after["doc"] == value and type(row.after["doc"]) is type(value)


def test_rows_op_falls_back_to_the_checked_decoders_error():
    bad = encode_json({"a": 1, "b": 2}).replace(b"ab", b"aa")
    body = rows_event_body(TABLE, [RowChange(None, {"id": 1, "doc": None})])
    body.rows = _rows_bytes(encode_json([1]), bad)
    with pytest.raises(DecodeError, match="duplicate key"):
        decode_rows(body, TABLE, kind="write")


def test_rows_op_lets_a_keyboard_interrupt_through():
    def decoder(hook):
        return _rowsc.Decoder(_rowsc.KIND_WRITE, RowChange, (
            (_rowsc.OP_JSON, "doc", 4, jsonbinary.decode_json_document, JsonUInt, hook,
             JSON_NULL),), None)

    def interrupted(field_type, payload):
        raise KeyboardInterrupt

    def failing(field_type, payload):
        raise ValueError("no")

    opaque = encode_json([jsonbinary.JsonOpaque(253, b"x")])
    rows = b"\x00" + struct.pack("<I", len(opaque)) + opaque
    with pytest.raises(KeyboardInterrupt):
        decoder(interrupted)(rows)
    # any other failure of the native decoder leaves the value to the codec
    (change,), _ = decoder(failing)(rows)
    assert change.after["doc"] == [jsonbinary.JsonOpaque(253, b"x")]
