"""``mysqlproto`` command line: round-trip and dump binlog files.

    mysqlproto roundtrip [PATH...]          parse and re-serialize every event
    mysqlproto dump [PATH...] [--json]      one event per line (rows decoded with --json)
    mysqlproto stream --dsn DSN [--json]    replicate from a server, one event per line
    mysqlproto schema DSN [-o FILE.json]    save the server's table definitions

With no PATH, both work on the crafted sample binlogs bundled with the package
(``mysqlproto.samples``), so they run on a fresh machine with no server and no files.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence

from mysqlproto.binlog import BinlogWriter, encode_event, read_binlog
from mysqlproto.errors import DecodeError
from mysqlproto.events import Event
from mysqlproto.jsonout import event_summary, event_to_json
from mysqlproto.registry import MARIADB, MYSQL, Flavour


def _flavours() -> dict[str, Flavour | None]:
    from mysqlproto.vendors import FLAVOURS

    return {"auto": None, "mysql": MYSQL, "mariadb": MARIADB, **FLAVOURS}


def _paths(args) -> Iterator[str]:
    if args.paths:
        yield from args.paths
        return
    from mysqlproto.samples import sample_binlogs

    with tempfile.TemporaryDirectory(prefix="mysqlproto-samples-") as tmp:
        for name, data in sample_binlogs().items():
            path = os.path.join(tmp, name)
            with open(path, "wb") as fh:
                fh.write(data)
            yield path


def _event_identical(event: Event, writer: BinlogWriter) -> bool:
    same = writer.encode(event) == event.raw
    inner_ctx = writer.context.without_checksums()
    for inner in event.inner or ():
        same = same and encode_event(inner, inner_ctx, None) == inner.raw
    return same


def cmd_roundtrip(args) -> int:
    files = events = identical = 0
    failed = False
    for path in _paths(args):
        files += 1
        writer = BinlogWriter(flavour=args.flavour)
        writer.begin()
        try:
            for event in read_binlog(path, keep_raw=True, flavour=args.flavour,
                                     verify_checksums=not args.no_verify):
                events += 1
                if _event_identical(event, writer):
                    identical += 1
                else:
                    failed = True
                    print(f"{path}: {event.name} at offset {event.offset} differs after "
                          "re-serialization", file=sys.stderr)
        except DecodeError as exc:
            failed = True
            print(f"error: {exc}", file=sys.stderr)
    print(f"files={files} events={events} identical={identical}")
    return 1 if failed or identical != events else 0


class _LazyClient:
    """A client that connects on its first query, and again once after a lost
    connection: ``dump --schema-from`` asks only when a table map needs it."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.client = None

    def query(self, sql: str):
        from mysqlproto.client import Client
        from mysqlproto.errors import ConnectionLost

        for attempt in range(2):
            if self.client is None:
                self.client = Client.from_dsn(self.dsn).connect()
            try:
                return self.client.query(sql)
            except ConnectionLost:
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            client.close()


def _catalog(args, dsn: str | None):
    """The SchemaCatalog of ``--schema FILE`` and/or the server at ``dsn`` (fetched
    per table on first use), or None; its client, to close, or None."""
    from mysqlproto.schema import SchemaCatalog, fetch_table

    path = getattr(args, "schema", None)
    if path is None and dsn is None:
        return None, None
    if not args.json or args.no_rows:
        raise SystemExit("error: --schema, --schema-from and --server-schema complete the "
                         "rows --json prints: give --json (and not --no-rows)")
    client = fetch = None
    if dsn is not None:
        from mysqlproto.errors import MySQLProtoError

        client = _LazyClient(dsn)

        def fetch(schema: str, table: str):
            try:
                return fetch_table(client, schema, table)
            except (MySQLProtoError, OSError) as exc:
                print(f"warning: {schema}.{table}: no definition from the server ({exc}); "
                      "its rows decode with what the table map says", file=sys.stderr)
                return None

    try:
        catalog = (SchemaCatalog.load(path, fetch=fetch) if path is not None
                   else SchemaCatalog(fetch=fetch))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"error: --schema {path}: {exc}") from exc
    return catalog, client


def _tracker(args, catalog=None):
    if not args.json or args.no_rows:
        return None
    from mysqlproto.rows import TableMapTracker
    from spec.binlog.values import COLLATION_CHARSETS

    default = None
    if args.assume_charset:
        wanted = args.assume_charset.lower()
        ids = [cid for cid, name in sorted(COLLATION_CHARSETS.items()) if name == wanted]
        if not ids:
            raise SystemExit(f"error: unknown charset {args.assume_charset!r}")
        default = ids[0]
    # the catalog itself, not its enrich method: the tracker then shows it the QUERY
    # events, and a fetching catalog notices DDL
    return TableMapTracker(default_charset=default, enrich=catalog)


def cmd_dump(args) -> int:
    catalog, client = _catalog(args, args.schema_from)
    try:
        return _dump(args, catalog)
    finally:
        if client is not None:
            client.close()


def _dump(args, catalog) -> int:
    status = 0
    out = sys.stdout
    for path in _paths(args):
        tracker = _tracker(args, catalog)
        try:
            for event in read_binlog(path, flavour=args.flavour,
                                     on_error="skip" if args.skip_errors else "raise",
                                     verify_checksums=not args.no_verify):
                if args.json:
                    record = event_to_json(event, tracker)
                    if len(args.paths or ()) > 1:
                        record = {"file": path, **record}
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                else:
                    out.write(event_summary(event) + "\n")
        except DecodeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    return status


def cmd_stream(args) -> int:
    """Stream from a live server as a replica; print each event as ``dump`` does."""
    from mysqlproto.client import BinlogStream, RetryPolicy
    from mysqlproto.errors import MySQLProtoError

    if args.gtid is not None and (args.file is not None or args.pos is not None):
        raise SystemExit("error: --gtid and --file/--pos are exclusive")
    stream = BinlogStream(
        args.dsn, server_id=args.server_id, file=args.file, pos=args.pos, gtid=args.gtid,
        until_end=args.until_end, heartbeat=args.heartbeat, semi_sync=args.semi_sync,
        flavour=args.flavour, verify_checksums=not args.no_verify,
        retry=RetryPolicy(max_retries=args.retries))
    if args.server_schema and args.schema_from:
        raise SystemExit("error: --server-schema and --schema-from are exclusive")
    # the definitions come over a second connection: the first one is a replica's
    catalog, client = _catalog(args, args.dsn if args.server_schema else args.schema_from)
    tracker = _tracker(args, catalog)
    out = sys.stdout
    try:
        for event in stream:
            if args.json:
                record = {"file": stream.file, **event_to_json(event, tracker)}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                out.write(f"file={stream.file} {event_summary(event)}\n")
            out.flush()
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise
    except (MySQLProtoError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        stream.close()
        if client is not None:
            client.close()
    return 0


def cmd_schema(args) -> int:
    """Save the definitions of a server's tables (information_schema.COLUMNS)."""
    from mysqlproto.client import Client
    from mysqlproto.errors import MySQLProtoError
    from mysqlproto.schema import SchemaCatalog, query_tables

    try:
        with Client.from_dsn(args.dsn) as client:
            tables = query_tables(client, schemas=args.database or None)
    except (MySQLProtoError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    document = json.dumps(SchemaCatalog(tables).to_json(), ensure_ascii=False, indent=1)
    if args.output in (None, "-"):
        sys.stdout.write(document + "\n")
    else:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(document + "\n")
    print(f"tables={len(tables)} columns={sum(len(t.columns) for t in tables)}",
          file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mysqlproto", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def schema_options(p, *, streaming: bool = False):
        group = p.add_argument_group(
            "table definitions from information_schema (with --json)",
            "what table maps may lack: names, signedness, charsets, ENUM/SET strings, "
            "MariaDB's UUID/INET types and hires temporal precisions")
        group.add_argument("--schema", metavar="FILE.json",
                           help="a catalog saved by 'mysqlproto schema'")
        group.add_argument("--schema-from", metavar="DSN",
                           help="ask this server for each table met (mysql://USER:PASS@HOST:PORT)")
        if streaming:
            group.add_argument("--server-schema", action="store_true",
                               help="ask the streaming server, over a second connection")

    def common(p):
        p.add_argument("paths", nargs="*", metavar="PATH",
                       help="binlog files (plain or .gz); default: the bundled samples")
        p.add_argument("--flavour", default="auto", choices=sorted(_flavours()),
                       help="event registry to decode with (default: from each FDE)")
        p.add_argument("--no-verify", action="store_true", help="do not check CRC32s")

    rt = sub.add_parser("roundtrip", help="parse and re-serialize; exit 0 if byte-identical")
    common(rt)
    rt.set_defaults(func=cmd_roundtrip)

    dump = sub.add_parser("dump", help="print one event per line")
    common(dump)
    dump.add_argument("--json", action="store_true", help="one JSON object per line")
    dump.add_argument("--skip-errors", action="store_true",
                      help="report a corrupt event and go on instead of stopping")
    dump.add_argument("--no-rows", action="store_true",
                      help="with --json: leave row images undecoded (raw hex)")
    dump.add_argument("--assume-charset", metavar="CHARSET",
                      help="with --json: charset of text columns whose table map gives "
                           "none (binlogs before MySQL 8.0.1 / MariaDB 10.5), e.g. utf8mb4")
    schema_options(dump)
    dump.set_defaults(func=cmd_dump)

    stream = sub.add_parser("stream", help="replicate from a live server; print events as dump")
    stream.add_argument("--dsn", required=True, metavar="mysql://USER:PASS@HOST:PORT",
                        help="the source (?ssl=disabled|preferred|required, default preferred)")
    start = stream.add_argument_group("where to start (default: the first binlog)")
    start.add_argument("--gtid", metavar="SET", help="GTIDs already seen: MySQL GTID set, "
                       "MariaDB GTID position ('' for everything)")
    start.add_argument("--file", metavar="F", help="binlog file name")
    start.add_argument("--pos", metavar="N", type=int, help="position in --file (default 4)")
    stream.add_argument("--json", action="store_true", help="one JSON object per line")
    stream.add_argument("--until-end", action="store_true",
                        help="stop at the end of the binlog instead of waiting for more")
    stream.add_argument("--server-id", type=int, metavar="N",
                        help="replica server id to announce (default: random)")
    stream.add_argument("--heartbeat", type=float, metavar="S",
                        help="ask for a heartbeat every S seconds when idle")
    stream.add_argument("--semi-sync", action="store_true",
                        help="act as a semi-sync replica (acknowledge transactions)")
    stream.add_argument("--retries", type=int, default=10, metavar="N",
                        help="reconnection attempts without progress before giving up")
    stream.add_argument("--flavour", default="auto", choices=sorted(_flavours()),
                        help="event registry to decode with (default: from each FDE)")
    stream.add_argument("--no-verify", action="store_true", help="do not check CRC32s")
    stream.add_argument("--no-rows", action="store_true",
                        help="with --json: leave row images undecoded (raw hex)")
    stream.add_argument("--assume-charset", metavar="CHARSET",
                        help="with --json: charset of text columns whose table map gives none")
    schema_options(stream, streaming=True)
    stream.set_defaults(func=cmd_stream)

    schema = sub.add_parser("schema", help="save a server's table definitions for --schema")
    schema.add_argument("dsn", metavar="DSN", help="mysql://USER:PASS@HOST:PORT")
    schema.add_argument("--database", action="append", metavar="D",
                        help="only this database (repeatable; default: all but the system ones)")
    schema.add_argument("-o", "--output", metavar="FILE.json", help="default: standard output")
    schema.set_defaults(func=cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "flavour"):
        args.flavour = _flavours()[args.flavour]
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
