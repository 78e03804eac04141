"""Streaming throughput from a real server: mysqlproto's BinlogStream vs python-mysql-replication.

    python benchmarks/stream.py [--server mariadb-10.11] [--rows 100000] [--dsn DSN]

Starts a server with ``conformance.servers`` (or uses ``--dsn``; its binlogs are reset),
writes ``--rows`` rows in transactions of ``--rows-per-txn``, then streams the whole
binlog with ``--until-end`` semantics (BINLOG_DUMP_NON_BLOCK), plain TCP, several times,
keeping the best run of each variant:

* ``mysqlproto events`` -- every event decoded (headers, bodies, CRC32 checked), rows
  left as bytes;
* ``mysqlproto rows`` -- the same, plus every row image decoded to Python values
  (``mysqlproto.rows.TableMapTracker``);
* ``python-mysql-replication events`` / ``rows`` -- ``BinLogStreamReader`` (``pip install
  mysql-replication``) over the same binlog: events as it yields them, then with each
  rows event's ``.rows`` read (its rows decode lazily).

Reports events/s and MB/s (MB: the binlog's bytes, the same for every variant) and the
ratio to python-mysql-replication; if that library is missing or cannot connect, says
why.  Event counts differ: python-mysql-replication does not ask MariaDB for its
ANNOTATE_ROWS events and drops event types it does not know.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mysqlproto.client import BinlogStream, Client  # noqa: E402


def write_rows(host: str, port: int, user: str, password: str, rows: int, per_txn: int) -> None:
    with Client(host, port, user, password, tls="disabled") as c:
        c.query("CREATE DATABASE bench")
        c.query("CREATE TABLE bench.t (id INT PRIMARY KEY, a INT, b VARCHAR(64), c DOUBLE, "
                "d DATETIME(6), e BIGINT UNSIGNED)")
        rnd = random.Random(7)
        row = 0
        while row < rows:
            c.query("BEGIN")
            end = min(rows, row + per_txn)
            while row < end:
                chunk = min(end - row, 200)
                values = ",".join(
                    f"({i}, {rnd.randint(-10**6, 10**6)}, 'name-{i}-{rnd.random():.6f}', "
                    f"{rnd.random() * 1000:.4f}, '2024-05-0{1 + i % 9} 12:34:56.{i % 999999:06d}', "
                    f"{rnd.getrandbits(63)})" for i in range(row, row + chunk))
                c.query(f"INSERT INTO bench.t VALUES {values}")
                row += chunk
            c.query("COMMIT")


def run_ours(host, port, user, password, decode_rows: bool) -> tuple[int, int]:
    from mysqlproto.rows import TableMapTracker, is_rows_event

    stream = BinlogStream(host=host, port=port, user=user, password=password, until_end=True,
                          tls="disabled")
    tracker = TableMapTracker() if decode_rows else None
    events = size = 0
    for event in stream:
        events += 1
        size += event.event_size or 0
        if tracker is not None:
            tracker.observe(event)
            if is_rows_event(event):
                tracker.decode(event)
    return events, size


def run_pymysqlreplication(host, port, user, password, first_file: str,
                           decode_rows: bool) -> tuple[int, int]:
    from pymysqlreplication import BinLogStreamReader
    from pymysqlreplication.row_event import RowsEvent

    stream = BinLogStreamReader(
        connection_settings={"host": host, "port": port, "user": user, "passwd": password},
        server_id=random.randint(10_000, 2**31 - 1), blocking=False, resume_stream=True,
        log_file=first_file, log_pos=4)
    events = 0
    try:
        for event in stream:
            events += 1
            if decode_rows and isinstance(event, RowsEvent):
                _ = event.rows
    finally:
        stream.close()
    return events, 0  # its event_size is not the event's: MB/s uses the binlog's bytes


def best_of(repeat: int, fn, *args) -> tuple[int, int, float]:
    best = None
    for _ in range(repeat):
        started = time.perf_counter()
        events, size = fn(*args)
        elapsed = time.perf_counter() - started
        if best is None or elapsed < best[2]:
            best = (events, size, elapsed)
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="mariadb-10.11",
                        help="conformance.servers backend to start (default mariadb-10.11)")
    parser.add_argument("--dsn", help="use this server instead (its binlogs are reset!)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rows-per-txn", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    server = None
    if args.dsn:
        from mysqlproto.client import parse_dsn

        p = parse_dsn(args.dsn)
        host, port, user, password = p.host, p.port, p.user, p.password
        with Client(host, port, user, password) as c:
            flavour, version = c.flavour, c.server_version
            reset = ("RESET MASTER" if flavour == "mariadb" else "RESET BINARY LOGS AND GTIDS")
            c.query("DROP DATABASE IF EXISTS bench")
            c.query(reset)
    else:
        from conformance.servers import get_server

        server = get_server(args.server)
        server.start()
        server.reset()
        host, port, user, password = server.host, server.port, server.user, server.password
        version = server.version
    try:
        started = time.perf_counter()
        write_rows(host, port, user, password, args.rows, args.rows_per_txn)
        print(f"server {version} at {host}:{port}: wrote {args.rows} rows in "
              f"{time.perf_counter() - started:.1f} s")
        with Client(host, port, user, password) as c:
            first_file = c.query("SHOW BINARY LOGS").rows[0][0]

        results: dict[str, tuple[int, int, float] | str] = {}
        for decode in (False, True):
            label = "rows" if decode else "events"
            results[f"mysqlproto {label}"] = best_of(args.repeat, run_ours, host, port, user,
                                                    password, decode)
            try:
                import pymysqlreplication  # noqa: F401
            except ImportError as exc:
                results[f"python-mysql-replication {label}"] = (
                    f"not installed ({exc}); pip install mysql-replication")
                continue
            try:
                results[f"python-mysql-replication {label}"] = best_of(
                    args.repeat, run_pymysqlreplication, host, port, user, password, first_file,
                    decode)
            except Exception as exc:  # report why it could not run
                results[f"python-mysql-replication {label}"] = (
                    f"failed: {type(exc).__name__}: {exc}")

        print(f"{'variant':36} {'events':>9} {'MB':>8} {'s':>7} {'events/s':>10} {'MB/s':>7}")
        binlog_bytes = max(v[1] for v in results.values() if isinstance(v, tuple))
        for name, value in results.items():
            if isinstance(value, str):
                print(f"{name:36} {value}")
                continue
            events, _, elapsed = value
            size = binlog_bytes
            print(f"{name:36} {events:9d} {size / 1e6:8.2f} {elapsed:7.2f} "
                  f"{events / elapsed:10.0f} {size / 1e6 / elapsed:7.2f}")
        for label in ("events", "rows"):
            ours = results.get(f"mysqlproto {label}")
            theirs = results.get(f"python-mysql-replication {label}")
            if isinstance(ours, tuple) and isinstance(theirs, tuple):
                print(f"ratio ({label}): mysqlproto is {theirs[2] / ours[2]:.2f}x the speed of "
                      f"python-mysql-replication (same binlog, {ours[1] / 1e6:.1f} MB)")
    finally:
        if server is not None:
            server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
