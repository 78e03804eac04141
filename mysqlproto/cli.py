"""``mysqlproto`` command line: round-trip and dump binlog files.

    mysqlproto roundtrip [PATH...]          parse and re-serialize every event
    mysqlproto dump [PATH...] [--json]      one event per line

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


def cmd_dump(args) -> int:
    status = 0
    out = sys.stdout
    for path in _paths(args):
        try:
            for event in read_binlog(path, flavour=args.flavour,
                                     on_error="skip" if args.skip_errors else "raise",
                                     verify_checksums=not args.no_verify):
                if args.json:
                    record = event_to_json(event)
                    if len(args.paths or ()) > 1:
                        record = {"file": path, **record}
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                else:
                    out.write(event_summary(event) + "\n")
        except DecodeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    return status


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
    dump.set_defaults(func=cmd_dump)
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
