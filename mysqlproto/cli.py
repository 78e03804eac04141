"""``mysqlproto`` command line: round-trip and dump binlog files.

    mysqlproto roundtrip [PATH...]          parse and re-serialize every event
    mysqlproto dump [PATH...] [--json]      one event per line (rows decoded with --json)
    mysqlproto stream --dsn DSN [--json]    replicate from a server, one event per line

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


def _tracker(args):
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
    return TableMapTracker(default_charset=default)


def cmd_dump(args) -> int:
    status = 0
    out = sys.stdout
    for path in _paths(args):
        tracker = _tracker(args)
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
    tracker = _tracker(args)
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
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mysqlproto", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

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
    stream.set_defaults(func=cmd_stream)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.flavour = _flavours()[args.flavour]
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
