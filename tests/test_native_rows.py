"""The C row decoder (mysqlproto._rowsc, programs from mysqlproto._crows) against the
generated Python decoders: the same rows, value for value and type for type, for
every column type, event kind, NULLs and MINIMAL images; corrupt and truncated row
data fails alike (and decode_rows still reports the checked decoder's error); no
leaks."""

from __future__ import annotations

import datetime
import gc
import os
import subprocess
import sys
import tracemalloc
from contextlib import contextmanager
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mysqlproto import rows as rows_module
from mysqlproto.rows import (
    RowChange,
    RowsDecodeError,
    TableInfo,
    _Checked,
    _compile,
    _present_columns,
    decode_rows,
    rows_event_body,
)
from mysqlproto.strategies import rows as table_rows
from mysqlproto.strategies import tables
from spec.binlog.events import table_map as tm
from spec.binlog.values import (
    BitMeta,
    ColumnDef,
    DecimalMeta,
    StringMeta,
    ValueCodec,
    codec_for,
)
from tests.spec.roundtrip import h
from tests.test_rows import EVERYTHING, ROW, WIDE

try:
    from mysqlproto import _crows, _rowsc
except ImportError:  # pragma: no cover - the extension is optional
    _crows = _rowsc = None

ON_CI = os.environ.get("CI", "").lower() == "true"
needs_native = pytest.mark.skipif(
    _rowsc is None, reason="mysqlproto._rowsc is not built (no C compiler at install time: "
    "`pip install -e .` builds it); the Python decoders are tested by test_rows.py")

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KINDS = ("write", "update", "delete")


def test_the_extension_is_built_on_ci():
    if not ON_CI:
        pytest.skip("CI=true only: elsewhere the extension may be left unbuilt")
    assert _rowsc is not None, "CI installs with a compiler: mysqlproto._rowsc must build"


def test_crows_import_fails_without_the_extension():
    # rows.py keeps to its Python decoders when `import mysqlproto._crows` fails
    code = ("import sys; sys.modules['mysqlproto._rowsc'] = None\n"
            "try:\n    import mysqlproto._crows\nexcept ImportError:\n    print('ImportError')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.strip() == "ImportError"


# == helpers ================================================================================


@contextmanager
def python_decoders():
    """decode_rows and _compile with the generated Python decoders only."""
    saved = rows_module._NATIVE
    rows_module._NATIVE = None
    try:
        yield
    finally:
        rows_module._NATIVE = saved


def both(table: TableInfo, kind: str, present: bytes, present_after: bytes | None):
    """(native decoder, generated Python decoder) of one (kind, bitmaps)."""
    layout = table._layout
    n = len(layout.columns)
    before = _present_columns(present, n)
    after = _present_columns(present_after if present_after is not None else present, n)
    native = _crows.compile_decoder(layout, kind, before, after)
    with python_decoders():
        python = _compile(layout, kind, present, present_after)
    return native, python


def shape(value):
    """The value with every type spelled out: equal shapes are the same rows, the same
    dict order, Decimal exponents, tzinfo, str or bytes, int or bool, NaN included."""
    if isinstance(value, dict):
        return ("dict", [(shape(k), shape(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple, RowChange):
        return (type(value).__name__, [shape(v) for v in value])
    return (type(value).__module__, type(value).__qualname__, repr(value))


def outcome(decoder, data: bytes):
    """("ok", rows) when the decoder reads all of data, else "fails" -- what decode_rows
    acts on (anything else makes it ask the checked decoder)."""
    try:
        rows, end = decoder(data)
    except Exception:  # noqa: BLE001 - any failure sends decode_rows to _Checked
        return "fails"
    return ("ok", shape(rows)) if end == len(data) else "fails"


def checked_outcome(table: TableInfo, kind: str, body) -> tuple:
    try:
        return ("ok", shape(decode_rows(body, table, kind=kind)))
    except RowsDecodeError as exc:
        return ("error", str(exc), exc.field)


@st.composite
def bitmaps(draw, n: int):
    """A columns-present list of at least one column (an image of none takes no bytes)."""
    return sorted(draw(st.sets(st.integers(0, n - 1), min_size=1)))


@st.composite
def crafted_events(draw, flavour=None):
    """(table, kind, body, changes): a strategies-made table, rows of it, and a rows
    event of a drawn kind whose images hold a drawn subset of the columns."""
    flavour = flavour or draw(st.sampled_from(["mysql", "mariadb"]))
    table = draw(tables(flavour, max_columns=8))
    info = table.info(mariadb=flavour == "mariadb")
    n = len(info.columns)
    kind = draw(st.sampled_from(KINDS))
    present = draw(bitmaps(n))
    present_after = draw(bitmaps(n)) if kind == "update" else None
    full = draw(st.lists(st.tuples(table_rows(table, flavour), table_rows(table, flavour)),
                         min_size=1, max_size=4))
    keys = info.keys

    def image(row, cols):
        return {keys[i]: row[keys[i]] for i in cols}

    changes = []
    for first, second in full:
        if kind == "write":
            changes.append(RowChange(None, image(first, present)))
        elif kind == "delete":
            changes.append(RowChange(image(first, present), None))
        else:
            changes.append(RowChange(image(first, present), image(second, present_after)))
    body = rows_event_body(info, changes, kind=kind, columns_present=present,
                           columns_present_after=present_after)
    return info, kind, body, changes


# == equivalence ============================================================================


@needs_native
def test_decode_rows_uses_the_native_decoder_unless_told_not_to():
    body = rows_event_body(EVERYTHING, [ROW])
    fn = EVERYTHING.decoder("write", body.columns_present, None)
    if os.environ.get("MYSQLPROTO_PURE_PYTHON"):
        assert not isinstance(fn, _rowsc.Decoder)
    else:
        assert isinstance(fn, _rowsc.Decoder)
        assert "OP_DECIMAL" in fn.source and "'dec'" in fn.source


@needs_native
@SETTINGS
@given(crafted_events())
def test_native_rows_are_the_generated_decoders_rows(case):
    table, kind, body, changes = case
    native, python = both(table, kind, body.columns_present, body.columns_present_after)
    assert native is not None and python is not None
    rows, end = native(body.rows)
    assert end == len(body.rows)
    assert shape(rows) == shape(python(body.rows)[0])
    slow = _Checked(body.rows, table._layout, None).rows(kind, body.columns_present,
                                                         body.columns_present_after)
    assert rows == slow == changes


@needs_native
@pytest.mark.parametrize("kind", KINDS)
def test_every_type_with_and_without_nulls(kind):
    nulls = {key: None for key in ROW if key != "id"} | {"id": 2}
    after = dict(ROW, name="changed", tags=frozenset(), doc=[], blob=b"")
    changes = [RowChange(ROW if kind != "write" else None, after if kind != "delete" else None),
               RowChange(nulls if kind != "write" else None, nulls if kind != "delete" else None)]
    body = rows_event_body(EVERYTHING, changes, kind=kind)
    native, python = both(EVERYTHING, kind, body.columns_present, body.columns_present_after)
    assert shape(native(body.rows)) == shape(python(body.rows))
    assert native(body.rows)[0] == changes


@needs_native
@SETTINGS
@given(st.lists(st.fixed_dictionaries({
    "id": st.integers(0, 2 ** 31 - 1),
    **{f"b{i}": st.none() | st.integers(-(2 ** 63), 2 ** 63 - 1) for i in range(5)},
    "v1": st.none() | st.text(max_size=40), "v2": st.none() | st.text(max_size=300),
    "dt0": st.none() | st.datetimes().map(lambda d: d.replace(microsecond=0)),
    "dt5": st.none() | st.datetimes().map(lambda d: d.replace(
        microsecond=d.microsecond // 10 * 10)),
    "d65": st.none() | st.decimals(places=30, min_value=-10 ** 34, max_value=10 ** 34,
                                   allow_nan=False, allow_infinity=False),
    "d12": st.none() | st.decimals(places=0, min_value=-10 ** 12 + 1, max_value=10 ** 12 - 1,
                                   allow_nan=False, allow_infinity=False),
    "blob3": st.none() | st.binary(max_size=50),
}), min_size=1, max_size=5))
def test_wide_rows_with_nulls_anywhere(rows):
    body = rows_event_body(WIDE, rows)
    native, python = both(WIDE, "write", body.columns_present, None)
    assert shape(native(body.rows)) == shape(python(body.rows))


# Values the Python decoder sends to a fallback: dates datetime cannot hold, negative
# packed DATETIME2 (the codec's slow path), negative zero, bad DECIMAL groups, text
# that does not decode.
ODD = TableInfo(table_id=3, schema="d", table="odd", columns=[
    ColumnDef(tm.MYSQL_TYPE_DATETIME2, 0, "dt0"),
    ColumnDef(tm.MYSQL_TYPE_DATETIME2, 1, "dt1"),
    ColumnDef(tm.MYSQL_TYPE_DATETIME2, 4, "dt4"),
    ColumnDef(tm.MYSQL_TYPE_DATETIME2, 6, "dt6"),
    ColumnDef(tm.MYSQL_TYPE_NEWDECIMAL, DecimalMeta(10, 2), "d10"),
    ColumnDef(tm.MYSQL_TYPE_NEWDECIMAL, DecimalMeta(5, 0), "d5"),
    ColumnDef(tm.MYSQL_TYPE_NEWDECIMAL, DecimalMeta(40, 20), "d40"),
    ColumnDef(tm.MYSQL_TYPE_VARCHAR, 40, "utf8", charset=255),
    ColumnDef(tm.MYSQL_TYPE_VARCHAR, 40, "ucs2", charset=35),
    ColumnDef(tm.MYSQL_TYPE_VARCHAR, 40, "sjis", charset=13),
    ColumnDef(tm.MYSQL_TYPE_VARCHAR, 40, "latin1", charset=8),
    ColumnDef(tm.MYSQL_TYPE_INT24, None, "m"),
    ColumnDef(tm.MYSQL_TYPE_INT24, None, "mu", unsigned=True),
    ColumnDef(tm.MYSQL_TYPE_FLOAT, 4, "f"),
])

# Every type with a native op of its own, the codecs' edge cases included: ENUM and SET
# without their members, SET of 64 members, every fraction size.
NATIVE_TYPES = TableInfo(table_id=8, schema="d", table="native", columns=[
    *[ColumnDef(tm.MYSQL_TYPE_TIME2, fsp, f"t{fsp}") for fsp in (0, 2, 4, 6)],
    *[ColumnDef(tm.MYSQL_TYPE_TIMESTAMP2, fsp, f"ts{fsp}") for fsp in (0, 1, 3, 6)],
    ColumnDef(tm.MYSQL_TYPE_DATE, None, "date"),
    ColumnDef(tm.MYSQL_TYPE_YEAR, None, "year"),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_ENUM, 1), "enum1",
              enum_values=("a", "b", "c")),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_ENUM, 2), "enum2",
              enum_values=tuple(f"e{i}" for i in range(300))),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_ENUM, 1), "enum_bare"),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_SET, 1), "set1",
              set_values=("x", "y", "z")),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_SET, 8), "set64",
              set_values=tuple(f"s{i}" for i in range(64))),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_SET, 2), "set_bare"),
    ColumnDef(tm.MYSQL_TYPE_BIT, BitMeta(3, 1), "bit11"),
    ColumnDef(tm.MYSQL_TYPE_BIT, BitMeta(0, 8), "bit64"),
    ColumnDef(tm.MYSQL_TYPE_INT24, None, "m"),
    ColumnDef(tm.MYSQL_TYPE_INT24, None, "mu", unsigned=True),
])


@st.composite
def any_value_bytes(draw, table: TableInfo):
    """(present columns, rows data of arbitrary value bytes): all the columns or one,
    each fixed-size value of its size, each prefixed one with a length prefix that
    fits."""
    n = len(table.columns)
    present = draw(st.just(list(range(n))) | st.integers(0, n - 1).map(lambda i: [i]))
    data = b""
    for _ in range(draw(st.integers(1, 4))):
        nulls = draw(st.integers(0, (1 << len(present)) - 1))
        data += nulls.to_bytes((len(present) + 7) // 8, "little")
        for bit, i in enumerate(present):
            codec = table.codecs[i]
            if nulls >> bit & 1:
                continue
            if codec.size is not None:
                data += draw(st.binary(min_size=codec.size, max_size=codec.size))
            else:
                raw = draw(st.binary(max_size=12))
                data += len(raw).to_bytes(codec.prefix, "little") + raw
    return present, data


@needs_native
@SETTINGS
@given(st.sampled_from([ODD, NATIVE_TYPES]).flatmap(
    lambda table: st.tuples(st.just(table), any_value_bytes(table))))
def test_any_bytes_of_the_natively_decoded_types(case):
    # each value decodes, goes to its codec, or fails -- alike in both decoders
    table, (present, data) = case
    bitmap = sum(1 << i for i in present).to_bytes((len(table.columns) + 7) // 8, "little")
    native, python = both(table, "write", bitmap, None)
    assert outcome(native, data) == outcome(python, data)


@needs_native
def test_every_native_type_has_its_own_op():
    n = len(NATIVE_TYPES.columns)
    native, _ = both(NATIVE_TYPES, "write", ((1 << n) - 1).to_bytes(4, "little"), None)
    assert "OP_CALL" not in native.source


@needs_native
def test_a_codec_the_op_does_not_imitate_is_called():
    # a YEAR codec of another meaning (a hook, a changed spec): the op checks it first
    column = ColumnDef(tm.MYSQL_TYPE_YEAR, None, "y")
    other = ValueCodec("YEAR", size=1, decode=lambda b: b[0] * 2, encode=bytes)
    assert _crows._fixed_op(column, other, "y")[0] == _rowsc.OP_CALL_FIXED
    assert _crows._fixed_op(column, codec_for(column), "y")[0] == _rowsc.OP_YEAR


@needs_native
def test_fallback_values():
    cases = {
        "dt0": [h("80 00 00 00 00"),  # zero date: MySQLDateTime
                h("7f ff ff ff ff"),  # negative: the codec's reading
                h("99 b2 bc 00 00"),  # 2024-02-30: MySQLDateTime
                h("99 b2 ba e0 00")],  # 2024-02-29 14:00
        "d10": [h("7f ff ff ff ff"),  # -0.00
                h("80 00 00 00 00"),  # 0.00
                h("80 3b 9a ca 00"),  # a group above 99999999: the codec raises
                h("7f ff ff ff 9c")],  # -0.99
        "d5": [h("7f ff ff")],  # -0
    }
    for key, values in cases.items():
        i = ODD.keys.index(key)
        present = (1 << i).to_bytes(2, "little")
        for value in values:
            data = b"\x00" + value
            native, python = both(ODD, "write", present, None)
            assert outcome(native, data) == outcome(python, data), (key, value.hex())


@needs_native
def test_text_that_does_not_decode_stays_bytes():
    table = TableInfo(table_id=4, schema="d", table="t", columns=[
        ColumnDef(tm.MYSQL_TYPE_VARCHAR, 40, "s", charset=255)])
    native, _ = both(table, "write", b"\x01", None)
    rows, _ = native(h("00 02 c3 28  00 02 c3 a9"))
    assert [r.after["s"] for r in rows] == [b"\xc3(", "\u00e9"]


# == corrupt and truncated rows data =========================================================


@needs_native
@SETTINGS
@given(crafted_events(), st.data())
def test_corrupt_rows_data_fails_alike(case, data):
    table, kind, body, _ = case
    rows = bytes(body.rows)
    action = data.draw(st.sampled_from(["truncate", "flip", "append", "random"]))
    if action == "truncate":
        rows = rows[:data.draw(st.integers(0, len(rows) - 1))]
    elif action == "flip":
        for _ in range(data.draw(st.integers(1, 4))):
            pos = data.draw(st.integers(0, len(rows) - 1))
            rows = rows[:pos] + bytes([data.draw(st.integers(0, 255))]) + rows[pos + 1:]
    elif action == "append":
        rows += data.draw(st.binary(min_size=1, max_size=20))
    else:
        rows = data.draw(st.binary(min_size=1, max_size=200))
    native, python = both(table, kind, body.columns_present, body.columns_present_after)
    assert outcome(native, rows) == outcome(python, rows)
    body.rows = rows
    table._layout.compiled.clear()
    with_native = checked_outcome(table, kind, body)
    table._layout.compiled.clear()
    with python_decoders():
        assert checked_outcome(table, kind, body) == with_native
    table._layout.compiled.clear()


@needs_native
def test_truncated_everywhere_raises_and_decode_rows_names_the_column():
    body = rows_event_body(EVERYTHING, [ROW, ROW])
    native, _ = both(EVERYTHING, "write", body.columns_present, None)
    full = bytes(body.rows)
    for cut in range(1, len(full)):
        if cut == len(full) // 2:  # one whole row
            assert native(full[:cut]) == ([RowChange(None, ROW)], cut)
            continue
        with pytest.raises(ValueError):
            native(full[:cut])
    body.rows = full[:-10]
    with pytest.raises(RowsDecodeError) as caught:
        decode_rows(body, EVERYTHING, kind="write")
    assert caught.value.field == "rows[1].after.vec"


@needs_native
def test_huge_length_prefixes_are_checked_before_allocating():
    table = TableInfo(table_id=5, schema="d", table="t", columns=[
        ColumnDef(tm.MYSQL_TYPE_BLOB, 4, "b", charset=63),
        ColumnDef(tm.MYSQL_TYPE_BLOB, 4, "t", charset=255)])
    native, _ = both(table, "write", b"\x01", None)
    with pytest.raises(ValueError, match="remain"):
        native(h("00 ff ff ff ff 61 62"))
    native, _ = both(table, "write", b"\x02", None)
    with pytest.raises(ValueError, match="remain"):
        native(h("00 fe ff ff ff"))


@needs_native
def test_an_image_of_no_columns_raises_rather_than_looping():
    native, _ = both(EVERYTHING, "write", b"\x00\x00\x00", None)
    assert native(b"") == ([], 0)
    with pytest.raises(ValueError, match="no bytes"):
        native(b"\x00")


@needs_native
def test_any_bytes_like_is_accepted_and_a_bad_argument_is_a_type_error():
    body = rows_event_body(EVERYTHING, [ROW])
    native, _ = both(EVERYTHING, "write", body.columns_present, None)
    expected = native(bytes(body.rows))
    assert native(bytearray(body.rows)) == native(memoryview(bytes(body.rows))) == expected
    for bad in ((), (b"", b""), ("text",)):
        with pytest.raises(TypeError):
            native(*bad)


@needs_native
def test_bad_programs_are_refused():
    ok = ((_rowsc.OP_I32, "a", 4),)
    for kind, rc, first, second in [
        (_rowsc.KIND_WRITE, tuple, ((_rowsc.OP_I32, "a", 3),), None),  # size
        (_rowsc.KIND_WRITE, tuple, ((99, "a", 4),), None),  # op code
        (_rowsc.KIND_WRITE, tuple, ((_rowsc.OP_TEXT, "a", 5, 1, None),), None),  # prefix
        (_rowsc.KIND_WRITE, tuple, ((_rowsc.OP_CALL_FIXED, "a", 4, None),), None),
        (_rowsc.KIND_WRITE, tuple, ((_rowsc.OP_DATETIME2, "a", 6, len, 6, tuple),), None),
        (_rowsc.KIND_WRITE, tuple, ((_rowsc.OP_DECIMAL, "a", 5, len, ((4, 10),), Decimal,
                                     None, None, None),), None),
        (_rowsc.KIND_WRITE, tuple, ("op",), None),
        (_rowsc.KIND_WRITE, dict, ok, None),  # not a tuple class
        (_rowsc.KIND_UPDATE, tuple, ok, None),  # update without its after image
        (_rowsc.KIND_WRITE, tuple, ok, ok),
        (7, tuple, ok, None),
    ]:
        with pytest.raises((TypeError, ValueError)):
            _rowsc.Decoder(kind, rc, first, second)


# == leaks ==================================================================================


@needs_native
@pytest.mark.slow
def test_no_leaks_on_success_fallbacks_and_errors():
    nulls = {key: None for key in ROW if key != "id"} | {"id": 2}
    body = rows_event_body(EVERYTHING, [(ROW, nulls), (nulls, ROW)], kind="update")
    native, _ = both(EVERYTHING, "update", body.columns_present, body.columns_present_after)
    good = bytes(body.rows)
    odd, _ = both(ODD, "write", b"\xff\x3f", None)
    # zero date, negative DATETIME2 (codec), fractional negative (codec), 0000-00-00
    # 00:00:00.000000, DECIMAL -0.00, 3b9a, 0E-20, undecodable utf8, ucs2 and sjis,
    # latin1 (codec), zeros
    odd_row = (b"\x00\x00" + h("80 00 00 00 00") + h("7f ff ff ff ff 00") + bytes(7)
               + h("80 00 00 00 00 00 00 00") + h("7f ff ff ff ff") + h("80 3b 9a")
               + b"\x80" + bytes(17) + b"\x02\xc3(" + b"\x01a" + b"\x02\x81\x7f"
               + b"\x01\x80" + bytes(10))
    bad_decimal = odd_row[:35] + bytes(18) + odd_row[53:]  # groups past their digits
    inputs = [(native, good), (native, good[:-7]), (native, good[:40]), (odd, odd_row),
              (odd, odd_row[:-3]), (odd, bad_decimal)]
    assert isinstance(odd(odd_row)[0][0].after["sjis"], bytes)
    with pytest.raises(ValueError):
        odd(bad_decimal)

    def run(times):
        for _ in range(times):
            for decoder, data in inputs:
                try:
                    decoder(data)
                except ValueError:
                    pass

    run(200)
    gc.collect()
    tracemalloc.start()
    try:
        run(1000)
        gc.collect()
        first = tracemalloc.get_traced_memory()[0]
        run(10000)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - first
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, f"{grown} bytes more after 60,000 decodes"


@needs_native
def test_decoders_are_freed_with_their_layout():
    import weakref

    table = TableInfo(table_id=6, schema="d", table="t", columns=[
        ColumnDef(tm.MYSQL_TYPE_DATETIME2, 0, "d")])
    fn = table.decoder("write", b"\x01", None)
    probe = weakref.ref(table._layout)
    assert fn(b"\x00" + h("99 b2 ba e0 00"))[0][0].after["d"] == datetime.datetime(
        2024, 2, 29, 14, 0)
    del table, fn
    gc.collect()
    assert probe() is None
