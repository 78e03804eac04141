"""Benchmark against python-mysql-replication on a real server: same server, same binlog.

    python benchmarks/compare_pymysqlreplication.py --server mysql-9.7 [--server mariadb-11.8]
        [--rows 100000] [--mixed-rows 20000] [--repeat 3]

(also reached as ``python benchmarks/rows.py --server NAME``, after the crafted sections).

For each server (started with ``conformance.servers``, ``binlog_row_metadata=FULL`` and
``binlog_row_image=FULL`` -- python-mysql-replication 1.0 needs the former for column
names) and each workload:

- ``small``: ``--rows`` rows of the 6-column table of ``benchmarks/rows.py`` (INT,
  BIGINT, VARCHAR(32), DATETIME(0), DECIMAL(10,2), TINYINT), the same generated values,
  inserted by multi-row INSERTs of 1000 rows (the server cuts them into rows events of
  ~8 KiB);
- ``mixed``: ``--mixed-rows`` rows with TEXT, BLOB, JSON, ENUM, SET, TIMESTAMP(3),
  TIME(2), DOUBLE, BIT and a nullable CHAR,

the binlogs are reset, the rows written, the binlog flushed, and then, best of
``--repeat``:

- (a) ``python-mysql-replication``: ``BinLogStreamReader`` (``blocking=False``, from the
  first binlog file, plain TCP) streaming the whole binlog, reading ``.rows`` of every
  rows event (its rows decode lazily);
- (b) ``ours, files``: the same binlog files (bytes read beforehand) through
  ``read_binlog`` + ``TableMapTracker`` + ``decode_rows``; and ``decode_rows`` alone
  over the rows events already read;
- (c) ``ours, stream``: ``mysqlproto.client.BinlogStream`` (``until_end``, plain TCP)
  with ``TableMapTracker`` decoding every rows event -- the like-for-like counterpart
  of (a);
- (d) ``struct``: for ``small``, the hand-written ``struct.unpack`` decoder of
  ``benchmarks/rows.py`` producing the same values, over the same row images;
- (e) when the default row decoder is the C one (``mysqlproto._rowsc``): (b) again
  with the generated Python decoders.

The report's header names the default row decoder.

Every variant counts the rows it decoded; a count that differs from the rows inserted
is an error.  MB/s is over the binlog's bytes for the variants that read the binlog
(a, b pipeline, c) and over the row-image bytes for those given the rows events (b
decode_rows, d).  Ratios printed: ours/python-mysql-replication (speed, target >= 10)
and ours/struct (target >= 0.5, i.e. within 2x).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rows import _hand_small, decoder_name, mixed_rows, pure_python, small_rows  # noqa: E402

from mysqlproto import rows as rows_module  # noqa: E402
from mysqlproto.binlog import read_binlog  # noqa: E402
from mysqlproto.rows import TableMapTracker, decode_rows, is_rows_event  # noqa: E402

INSERT_BATCH = 1000

SMALL_DDL = ("CREATE TABLE bench.small (id INT NOT NULL PRIMARY KEY, big BIGINT, "
             "name VARCHAR(32) CHARACTER SET utf8mb4, created DATETIME(0), "
             "amount DECIMAL(10,2), flag TINYINT)")

MIXED_DDL = ("CREATE TABLE bench.mixed (id INT UNSIGNED NOT NULL PRIMARY KEY, "
             "body TEXT CHARACTER SET utf8mb4, data BLOB, doc JSON, "
             "state ENUM('new','open','closed'), tags SET('a','b','c','d'), ts TIMESTAMP(3) NULL, "
             "dur TIME(2), score DOUBLE, bits BIT(11), code CHAR(40) CHARACTER SET utf8mb4)")


def _sql(value) -> str:
    """A SQL literal for one generated value (the generators' types only)."""
    import datetime
    import json
    from decimal import Decimal

    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    if isinstance(value, bytes):
        return f"x'{value.hex()}'" if value else "''"
    if isinstance(value, datetime.datetime):
        return f"'{value.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    if isinstance(value, datetime.timedelta):
        total = value // datetime.timedelta(microseconds=1)
        sign = "-" if total < 0 else ""
        secs, usec = divmod(abs(total), 1_000_000)
        return f"'{sign}{secs // 3600}:{secs // 60 % 60:02d}:{secs % 60:02d}.{usec:06d}'"
    if isinstance(value, frozenset):
        return "'" + ",".join(sorted(value)) + "'"
    if isinstance(value, dict):
        return _sql(json.dumps(value))
    raise TypeError(type(value))


def _mixed_sql_rows(n: int) -> list[dict]:
    rows = mixed_rows(n)
    for row in rows:
        # TIMESTAMP(3): the generator's aware UTC values, written with time_zone +00:00
        row["ts"] = row["ts"].replace(tzinfo=None)
    return rows


@dataclass
class Workload:
    table: str
    rows: int
    files: list[Path]
    first_file: str
    blobs: list[bytes] = field(default_factory=list)

    @property
    def binlog_bytes(self) -> int:
        return sum(len(b) for b in self.blobs)


@dataclass
class Measure:
    name: str
    rows: int
    nbytes: int
    seconds: float
    basis: str  # what nbytes counts

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


def prepare(server, table: str, count: int) -> Workload:
    """Reset the server's binlogs, write ``count`` rows of ``table``, flush."""
    server.reset()
    generated = small_rows(count) if table == "small" else _mixed_sql_rows(count)
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute("SET SESSION binlog_row_image = FULL")
        cur.execute("SET SESSION time_zone = '+00:00'")
        cur.execute("SET SESSION sql_mode = ''")  # the mixed rows' '' ENUM value
        cur.execute("CREATE DATABASE bench")
        cur.execute(SMALL_DDL if table == "small" else MIXED_DDL)
        columns = list(generated[0])
        for start in range(0, count, INSERT_BATCH):
            chunk = generated[start:start + INSERT_BATCH]
            values = ",".join("(" + ",".join(_sql(row[c]) for c in columns) + ")"
                              for row in chunk)
            cur.execute(f"INSERT INTO bench.{table} ({','.join(columns)}) VALUES {values}")
        cur.execute("FLUSH BINARY LOGS")
    files = [Path(p) for p in server.binlog_files()]
    return Workload(table, count, files, files[0].name,
                    [p.read_bytes() for p in files])


def _best(repeat: int, fn) -> tuple[int, float]:
    best = float("inf")
    rows = 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = fn()
        best = min(best, time.perf_counter() - start)
    return rows, best


def _connection_settings(server) -> dict:
    # Plain TCP, as for our stream: the server's start made a TLS login, so
    # caching_sha2_password takes its fast (cached) path.
    return {"host": server.host, "port": server.port, "user": server.user,
            "password": server.password}


def run_pymysqlreplication(server, work: Workload) -> int:
    from pymysqlreplication import BinLogStreamReader
    from pymysqlreplication.row_event import (
        DeleteRowsEvent,
        RowsEvent,
        UpdateRowsEvent,
        WriteRowsEvent,
    )

    # only_events: rows events are what is measured, and it spares it MariaDB 11's
    # QUERY_EVENT status variables, which it does not know (StatusVariableMismatch)
    stream = BinLogStreamReader(connection_settings=_connection_settings(server),
                                server_id=random.randint(10_000, 2**31 - 1), blocking=False,
                                resume_stream=True, log_file=work.first_file, log_pos=4,
                                only_events=[WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent])
    count = 0
    try:
        for event in stream:
            if isinstance(event, RowsEvent) and event.table == work.table:
                count += len(event.rows)
    finally:
        stream.close()
    return count


def run_ours_files(work: Workload) -> int:
    count = 0
    for blob in work.blobs:
        tracker = TableMapTracker()
        for event in read_binlog(blob):
            tracker.observe(event)
            if is_rows_event(event):
                table = tracker.table_for(event)
                rows = tracker.decode(event)
                if table is not None and table.table == work.table:
                    count += len(rows)
    return count


def run_ours_stream(server, work: Workload) -> int:
    from mysqlproto.client import BinlogStream

    tracker = TableMapTracker()
    count = 0
    with BinlogStream(host=server.host, port=server.port, user=server.user,
                      password=server.password, file=work.first_file, pos=4,
                      until_end=True, tls="disabled") as stream:
        for event in stream:
            tracker.observe(event)
            if is_rows_event(event):
                table = tracker.table_for(event)
                rows = tracker.decode(event)
                if table is not None and table.table == work.table:
                    count += len(rows)
    return count


def _table_rows_events(work: Workload):
    """(event, table) of every rows event of the workload's table."""
    out = []
    for blob in work.blobs:
        tracker = TableMapTracker()
        for event in read_binlog(blob):
            tracker.observe(event)
            if is_rows_event(event):
                table = tracker.table_for(event)
                if table is not None and table.table == work.table:
                    out.append((event, table))
    return out


def measure(server, work: Workload, repeat: int) -> list[Measure | tuple[str, str]]:
    """Every variant on one workload; a variant that cannot run gives (name, why)."""
    out: list[Measure | tuple[str, str]] = []
    binlog = work.binlog_bytes
    events = _table_rows_events(work)
    image_bytes = sum(len(e.body["rows"]) for e, _ in events)

    def check(name, rows):
        if rows != work.rows:
            raise AssertionError(f"{name} decoded {rows} rows of {work.table}, "
                                 f"{work.rows} were written")

    variants = [
        ("(a) python-mysql-replication, stream", binlog, "binlog",
         lambda: run_pymysqlreplication(server, work)),
        ("(b) ours, files: read_binlog+decode", binlog, "binlog",
         lambda: run_ours_files(work)),
        ("(b) ours, decode_rows only", image_bytes, "row images",
         lambda: sum(len(decode_rows(e, t)) for e, t in events)),
        ("(c) ours, stream: BinlogStream+decode", binlog, "binlog",
         lambda: run_ours_stream(server, work)),
    ]
    if work.table == "small":
        first_event, first_table = events[0]
        mine: list = []
        _hand_small(bytes(first_event.body["rows"]), mine)
        if [a for _, a in mine] != [r.after for r in decode_rows(first_event, first_table)]:
            raise AssertionError("the struct loop and decode_rows disagree")

        def hand():
            count = 0
            for event, _ in events:
                out: list = []
                _hand_small(bytes(event.body["rows"]), out)
                count += len(out)
            return count

        variants.append(("(d) struct.unpack loop, same values", image_bytes, "row images",
                         hand))
    if rows_module._native_decoders() is not None:
        def files_python():
            with pure_python(*{t for _, t in events}):
                return run_ours_files(work)

        def decode_python():
            with pure_python(*{t for _, t in events}):
                return sum(len(decode_rows(e, t)) for e, t in events)

        variants.append(("(e) ours, files, pure-Python decoder", binlog, "binlog",
                         files_python))
        variants.append(("(e) ours, decode_rows, pure-Python decoder", image_bytes,
                         "row images", decode_python))
    for name, nbytes, basis, fn in variants:
        try:
            rows, seconds = _best(repeat, fn)
            check(name, rows)
        except ImportError as exc:
            out.append((name, f"not available: {exc}"))
            continue
        except Exception as exc:  # noqa: BLE001 - report why a variant could not run
            out.append((name, f"failed: {type(exc).__name__}: {exc}"))
            continue
        out.append(Measure(name, rows, nbytes, seconds, basis))
    return out


def report(server_label: str, work: Workload, results) -> list[str]:
    lines = [f"== {server_label}: {work.table}, {work.rows:,} rows, binlog "
             f"{work.binlog_bytes / 1e6:.1f} MB in {len(work.blobs)} file(s); "
             f"row decoder: {decoder_name()}",
             f"{'variant':<40} {'rows/s':>12} {'MB/s':>8}  MB of   {'s':>7}"]
    measured = [r for r in results if isinstance(r, Measure)]

    def pick(prefix):
        return next((r for r in measured if r.name.startswith(prefix)), None)

    for r in results:
        if isinstance(r, tuple):
            lines.append(f"{r[0]:<40} {r[1]}")
            continue
        lines.append(f"{r.name:<40} {r.rows_per_s:>12,.0f} {r.nbytes / r.seconds / 1e6:>8.1f}"
                     f"  {r.basis:<7} {r.seconds:>7.3f}")
    theirs, files, only = pick("(a)"), pick("(b) ours, files"), pick("(b) ours, decode_rows")
    stream, hand = pick("(c)"), pick("(d)")
    files_python, only_python = pick("(e) ours, files"), pick("(e) ours, decode_rows")
    if theirs:
        for label, ours in (("files", files), ("stream", stream)):
            if ours:
                ratio = ours.rows_per_s / theirs.rows_per_s
                lines.append(f"ratio ours ({label}) / python-mysql-replication: {ratio:6.1f}x"
                             f"  (target >= 10x: {'met' if ratio >= 10 else 'NOT met'})")
        if files_python:
            ratio = files_python.rows_per_s / theirs.rows_per_s
            lines.append(f"ratio ours (files, pure Python) / python-mysql-replication: "
                         f"{ratio:.1f}x  (the fallback without the C extension)")
    if hand and only:
        ratio = only.rows_per_s / hand.rows_per_s
        lines.append(f"ratio ours (decode_rows) / struct loop:        {ratio:6.2f}"
                     f"   (target >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})")
    if only and only_python:
        lines.append(f"ratio decode_rows default / pure Python:       "
                     f"{only.rows_per_s / only_python.rows_per_s:6.2f}")
    return lines


def run(names: list[str], rows: int, mixed: int, repeat: int) -> int:
    from conformance.servers import get_server

    for name in names:
        server = get_server(name)
        server.configure({"binlog_row_metadata": "FULL", "binlog_row_image": "FULL"})
        try:
            started = time.perf_counter()
            server.start()
            print(f"{name}: {server.version} started in {time.perf_counter() - started:.1f} s",
                  flush=True)
            for table, count in (("small", rows), ("mixed", mixed)):
                started = time.perf_counter()
                work = prepare(server, table, count)
                print(f"{name}: wrote {count:,} rows of {table} in "
                      f"{time.perf_counter() - started:.1f} s", flush=True)
                for line in report(f"{name} {server.version}", work,
                                   measure(server, work, repeat)):
                    print(line, flush=True)
        finally:
            server.close()
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", action="append", metavar="NAME",
                        help="conformance.servers backend (mysql-9.7, mariadb-11.8, ...); "
                             "repeatable")
    parser.add_argument("--mixed-rows", type=int, default=20000)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run(args.server or ["mysql-9.7"], args.rows, args.mixed_rows, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
