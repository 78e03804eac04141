"""Benchmark: decoding (and encoding) row images.

    python benchmarks/rows.py [--rows N] [--repeat N] [--section NAME ...]

Crafts two binlogs with the package's own encoders (no server needed):

- ``small``: N rows (default 100 000) of a 6-column table -- INT, BIGINT,
  VARCHAR(32) utf8mb4, DATETIME(0), DECIMAL(10,2), TINYINT -- 100 rows per
  WRITE_ROWS event, as a bulk INSERT writes them;
- ``mixed``: N/10 rows of a table with TEXT, BLOB, JSON, ENUM, SET, TIMESTAMP(3),
  TIME(2), DOUBLE, BIT and nullable columns (some NULL).

Sections (each prints rows/s and MB/s of row-image bytes, best of ``--repeat``):

- ``ours``: ``mysqlproto.rows.decode_rows`` over every rows event (events already
  read), and the whole pipeline (``read_binlog`` + ``TableMapTracker``), with the
  default row decoder (the C one of ``mysqlproto._rowsc`` when it is built and
  ``MYSQLPROTO_PURE_PYTHON`` is not set) and again with the generated Python decoders;
- ``struct``: a hand-written decoder for the small table -- ``struct.unpack_from`` and
  the same value conversions (str, datetime, Decimal) -- the practical ceiling for
  producing the same values in Python; and the same loop without conversions;
- ``encode``: ``encode_rows`` for the same rows.

More sections plug in through ``SECTIONS``: a function ``(data, repeat) -> list[Result]``.

``--server NAME`` (repeatable; ``mysql-9.7``, ``mariadb-11.8``...) then starts that real
server and compares, on one binlog it writes, python-mysql-replication streaming it,
ours decoding its files and streaming it, and the struct loop over its row images:
``benchmarks/compare_pymysqlreplication.py`` (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import datetime
import random
import struct
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from construct import Container  # noqa: E402

from mysqlproto import jsonbinary  # noqa: E402
from mysqlproto import rows as rows_module  # noqa: E402
from mysqlproto.binlog import BinlogWriter, read_binlog  # noqa: E402
from mysqlproto.events import Event  # noqa: E402
from mysqlproto.rows import (  # noqa: E402
    TableInfo,
    TableMapTracker,
    decode_rows,
    encode_rows,
    rows_event_body,
)
from spec.binlog.events import table_map as tm  # noqa: E402
from spec.binlog.values import (  # noqa: E402
    BitMeta,
    ColumnDef,
    DecimalMeta,
    StringMeta,
    decimal_bin_size,
)

UTF8MB4 = 255
BINARY = 63
ROWS_PER_EVENT = 100

# MySQL 8.0.40's FDE post-header lengths (its binlogs in the corpus carry these)
MYSQL80_POST_HEADERS = [0, 13, 0, 8, 0, 0, 0, 0, 4, 0, 4, 0, 0, 0, 98, 0, 4, 26, 8, 0, 0,
                        0, 8, 8, 8, 2, 0, 0, 0, 10, 10, 10, 42, 42, 0, 18, 52, 0, 10, 40, 0]

SMALL = TableInfo(table_id=101, schema="bench", table="small", columns=[
    ColumnDef(tm.MYSQL_TYPE_LONG, None, "id", nullable=False),
    ColumnDef(tm.MYSQL_TYPE_LONGLONG, None, "big"),
    ColumnDef(tm.MYSQL_TYPE_VARCHAR, 128, "name", charset=UTF8MB4),
    ColumnDef(tm.MYSQL_TYPE_DATETIME2, 0, "created"),
    ColumnDef(tm.MYSQL_TYPE_NEWDECIMAL, DecimalMeta(10, 2), "amount"),
    ColumnDef(tm.MYSQL_TYPE_TINY, None, "flag"),
], primary_key=[0])

MIXED = TableInfo(table_id=102, schema="bench", table="mixed", columns=[
    ColumnDef(tm.MYSQL_TYPE_LONG, None, "id", nullable=False, unsigned=True),
    ColumnDef(tm.MYSQL_TYPE_BLOB, 2, "body", charset=UTF8MB4),
    ColumnDef(tm.MYSQL_TYPE_BLOB, 2, "data", charset=BINARY),
    ColumnDef(tm.MYSQL_TYPE_JSON, 4, "doc"),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_ENUM, 1), "state",
              enum_values=("new", "open", "closed"), charset=UTF8MB4),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_SET, 1), "tags",
              set_values=("a", "b", "c", "d"), charset=UTF8MB4),
    ColumnDef(tm.MYSQL_TYPE_TIMESTAMP2, 3, "ts"),
    ColumnDef(tm.MYSQL_TYPE_TIME2, 2, "dur"),
    ColumnDef(tm.MYSQL_TYPE_DOUBLE, 8, "score"),
    ColumnDef(tm.MYSQL_TYPE_BIT, BitMeta(3, 1), "bits"),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_STRING, 40), "code",
              charset=UTF8MB4),
], primary_key=[0])


def small_rows(n: int, seed: int = 1) -> list[dict]:
    rnd = random.Random(seed)
    base = datetime.datetime(2024, 1, 1)
    return [{
        "id": i,
        "big": rnd.randrange(-(1 << 62), 1 << 62),
        "name": f"user-{rnd.randrange(10 ** 8)}",
        "created": base + datetime.timedelta(seconds=rnd.randrange(10 ** 8)),
        "amount": Decimal(rnd.randrange(-10 ** 9, 10 ** 9)).scaleb(-2),
        "flag": rnd.randrange(-128, 128),
    } for i in range(n)]


def mixed_rows(n: int, seed: int = 2) -> list[dict]:
    rnd = random.Random(seed)
    epoch = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    rows = []
    for i in range(n):
        rows.append({
            "id": i,
            "body": "lorem ipsum " * rnd.randrange(1, 40),
            "data": rnd.randbytes(rnd.randrange(0, 300)),
            "doc": {"id": i, "name": f"n{i}", "tags": ["x", "y"][: rnd.randrange(3)],
                    "nested": {"ok": rnd.random() < 0.5, "score": rnd.random()}},
            "state": rnd.choice(["new", "open", "closed", ""]),
            "tags": frozenset(rnd.sample(["a", "b", "c", "d"], rnd.randrange(5))),
            "ts": epoch + datetime.timedelta(milliseconds=rnd.randrange(10 ** 10)),
            "dur": datetime.timedelta(milliseconds=10 * rnd.randrange(-10 ** 7, 10 ** 7)),
            "score": rnd.random() * 1000,
            "bits": rnd.randrange(1 << 11),
            "code": None if rnd.random() < 0.3 else f"C{rnd.randrange(10 ** 6)}",
        })
    return rows


def craft_binlog(tables_rows: list[tuple[TableInfo, list[dict]]]) -> bytes:
    """FDE, then per table a TABLE_MAP and WRITE_ROWS events of ROWS_PER_EVENT rows."""
    writer = BinlogWriter()
    out = bytearray(writer.begin())
    fde = Container(binlog_version=4, server_version="8.0.40", create_timestamp=0,
                    header_length=19, post_header_lengths=MYSQL80_POST_HEADERS,
                    checksum_alg=1)
    out += writer.encode(Event(15, fde))
    for table, rows in tables_rows:
        out += writer.encode(Event(19, table.table_map_body()))
        for start in range(0, len(rows), ROWS_PER_EVENT):
            chunk = rows[start:start + ROWS_PER_EVENT]
            out += writer.encode(Event(30, rows_event_body(table, chunk)))
    return bytes(out)


@dataclass
class Result:
    name: str
    rows: int
    nbytes: int
    seconds: float

    def line(self) -> str:
        return (f"{self.name:<52} {self.rows / self.seconds:>12,.0f} rows/s "
                f"{self.nbytes / self.seconds / 1e6:>8.1f} MB/s")


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def decoder_name() -> str:
    """Which row decoder decode_rows uses by default here."""
    if rows_module._native_decoders() is not None:
        return "native C (mysqlproto._rowsc)"
    return "generated Python (mysqlproto._rowsc not built, or MYSQLPROTO_PURE_PYTHON set)"


def _forget_decoders(*tables: TableInfo) -> None:
    for layout in [*rows_module._LAYOUTS.values(), *(t._layout for t in tables)]:
        layout.compiled.clear()


@contextmanager
def pure_python(*tables: TableInfo):
    """decode_rows with the generated Python decoders and the Python binary JSON decoder
    (the defaults restored after);
    the decoders cached with ``tables`` and the table maps seen are dropped."""
    native, native_json = rows_module._native_decoders(), jsonbinary._NATIVE_DECODE
    rows_module._NATIVE = jsonbinary._NATIVE_DECODE = None
    _forget_decoders(*tables)
    try:
        yield
    finally:
        rows_module._NATIVE, jsonbinary._NATIVE_DECODE = native, native_json
        _forget_decoders(*tables)


def rows_events(data: bytes) -> list[Event]:
    return [e for e in read_binlog(data) if e.name == "WRITE_ROWS_EVENT"]


# -- sections ---------------------------------------------------------------------------


def section_ours(data: dict, repeat: int) -> list[Result]:
    results = []
    native = rows_module._native_decoders() is not None
    for label, (blob, table, count) in data.items():
        events = rows_events(blob)
        nbytes = sum(len(e.body.rows) for e in events)

        def decode_all(events=events, table=table):
            for event in events:
                decode_rows(event, table)

        def pipeline(blob=blob):
            tracker = TableMapTracker()
            for event in read_binlog(blob):
                tracker.observe(event)
                if event.name == "WRITE_ROWS_EVENT":
                    tracker.decode(event)

        results.append(Result(f"ours {label}: decode_rows", count, nbytes,
                              best_of(repeat, decode_all)))
        results.append(Result(f"ours {label}: read_binlog + decode", count, len(blob),
                              best_of(repeat, pipeline)))
        if native:  # the same with the generated Python decoders
            with pure_python(table):
                results.append(Result(f"ours {label}: decode_rows, pure Python", count,
                                      nbytes, best_of(repeat, decode_all)))
                results.append(Result(f"ours {label}: read_binlog + decode, pure Python",
                                      count, len(blob), best_of(repeat, pipeline)))
    return results


def _hand_small(buf: bytes, out: list) -> None:
    """A decoder written by hand for SMALL with every column present and non-NULL
    handled, NULLs handled too, producing the same values as decode_rows."""
    fixed = struct.Struct("<iq").unpack_from
    tail = struct.Struct("<5s5sb").unpack_from
    decimal_size = decimal_bin_size(10, 2)
    assert decimal_size == 5
    utc_ofs = 0x8000000000
    pos = 0
    end = len(buf)
    while pos < end:
        nulls = buf[pos] & 0x3F
        pos += 1
        if nulls:
            raise NotImplementedError("the benchmark rows have no NULLs")
        ident, big = fixed(buf, pos)
        pos += 12
        n = buf[pos]
        pos += 1
        name = buf[pos:pos + n].decode("utf-8")
        pos += n
        dt_raw, dec_raw, flag = tail(buf, pos)
        pos += 11
        packed = int.from_bytes(dt_raw, "big") - utc_ofs
        ymd, hms = packed >> 17, packed & 0x1FFFF
        ym = ymd >> 5
        created = datetime.datetime(ym // 13, ym % 13, ymd & 31, hms >> 12, (hms >> 6) & 63,
                                    hms & 63)
        stored = int.from_bytes(dec_raw, "big")
        if stored & 0x8000000000:
            sign, mag = "", stored ^ 0x8000000000
        else:
            sign, mag = "-", stored ^ 0x7FFFFFFFFF
        amount = Decimal(f"{sign}{(mag >> 8) * 100 + (mag & 0xFF)}E-2")
        out.append((None, {"id": ident, "big": big, "name": name, "created": created,
                           "amount": amount, "flag": flag}))


def _hand_small_raw(buf: bytes, out: list) -> None:
    """The same walk, values left as struct gives them (no str/datetime/Decimal)."""
    fixed = struct.Struct("<iq").unpack_from
    tail = struct.Struct("<5s5sb").unpack_from
    pos = 0
    end = len(buf)
    while pos < end:
        pos += 1
        a, b = fixed(buf, pos)
        pos += 12
        n = buf[pos]
        pos += 1
        name = buf[pos:pos + n]
        pos += n
        c, d, e = tail(buf, pos)
        pos += 11
        out.append((a, b, name, c, d, e))


def section_struct(data: dict, repeat: int) -> list[Result]:
    blob, table, count = data["small"]
    events = rows_events(blob)
    nbytes = sum(len(e.body.rows) for e in events)
    check: list = []
    _hand_small(bytes(events[0].body.rows), check)
    assert [after for _, after in check] == [r.after for r in decode_rows(events[0], table)]
    results = []
    for label, fn in (("struct small: hand-written, same values", _hand_small),
                      ("struct small: hand-written, raw (no conversions)", _hand_small_raw)):
        def run(fn=fn):
            for event in events:
                fn(bytes(event.body.rows), [])

        results.append(Result(label, count, nbytes, best_of(repeat, run)))
    return results


def section_encode(data: dict, repeat: int) -> list[Result]:
    results = []
    for label, (blob, table, count) in data.items():
        rows = SOURCE_ROWS[label]
        chunks = [rows[i:i + ROWS_PER_EVENT] for i in range(0, len(rows), ROWS_PER_EVENT)]
        nbytes = sum(len(e.body.rows) for e in rows_events(blob))

        def run(chunks=chunks, table=table):
            for chunk in chunks:
                encode_rows(chunk, table)

        results.append(Result(f"encode {label}: encode_rows", count, nbytes,
                              best_of(repeat, run)))
    return results


SECTIONS = {"ours": section_ours, "struct": section_struct, "encode": section_encode}
SOURCE_ROWS: dict[str, list[dict]] = {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--section", action="append", choices=sorted(SECTIONS))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import compare_pymysqlreplication as server_compare

    server_compare.add_arguments(parser)
    args = parser.parse_args()

    SOURCE_ROWS["small"] = small_rows(args.rows)
    SOURCE_ROWS["mixed"] = mixed_rows(max(1, args.rows // 10))
    data = {
        "small": (craft_binlog([(SMALL, SOURCE_ROWS["small"])]), SMALL, args.rows),
        "mixed": (craft_binlog([(MIXED, SOURCE_ROWS["mixed"])]), MIXED,
                  len(SOURCE_ROWS["mixed"])),
    }
    for label, (blob, _, count) in data.items():
        print(f"{label}: {count:,} rows, binlog {len(blob) / 1e6:.1f} MB")
    print(f"row decoder (default): {decoder_name()}")
    results: list[Result] = []
    for name in args.section or list(SECTIONS):
        for result in SECTIONS[name](data, args.repeat):
            print(result.line(), flush=True)
            results.append(result)
    by_name = {r.name: r for r in results}
    ours = by_name.get("ours small: decode_rows")
    hand = by_name.get("struct small: hand-written, same values")
    if ours and hand:
        print(f"decode_rows / hand-written (same values): {ours.seconds / hand.seconds:.2f}x "
              "the time")
    for label in data:
        default = by_name.get(f"ours {label}: decode_rows")
        python = by_name.get(f"ours {label}: decode_rows, pure Python")
        if default and python:
            print(f"{label}: native decode_rows {python.seconds / default.seconds:.2f}x as fast "
                  "as pure Python")
    if args.server:
        return server_compare.run(args.server, args.rows, args.mixed_rows, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
