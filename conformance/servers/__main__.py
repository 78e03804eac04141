"""Command line: `python -m conformance.servers provision|status|start`.

provision [NAME...]   build/install what NAMEs need (default: LOCAL_REQUIRED),
                      one line per backend with the time taken
status [NAME...]      whether each backend can run here, and why
start NAME [-o K=V]   start one server, print its DSN, run until Ctrl-C
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Sequence

from . import BACKENDS, LOCAL_REQUIRED, available, get_server, provision
from .base import OptionValue, ServerError
from .local import LocalServer


def _log(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def cmd_provision(names: Sequence[str]) -> int:
    failed = 0
    for name in names or LOCAL_REQUIRED:
        started = time.monotonic()
        try:
            summary = provision(name, log=_log)
        except (ServerError, ValueError) as error:
            failed += 1
            print(f"{name}: FAILED after {time.monotonic() - started:.1f}s: {error}", flush=True)
            continue
        print(f"{name}: {summary} ({time.monotonic() - started:.1f}s)", flush=True)
    return 1 if failed else 0


def cmd_status(names: Sequence[str]) -> int:
    for name in names or list(BACKENDS):
        ok, reason = available(name)
        print(f"{name:<14} {'yes' if ok else 'no ':<4} {reason}")
    return 0


def _parse_option(text: str) -> tuple[str, OptionValue]:
    key, sep, value = text.partition("=")
    return key, (value if sep else None)


def cmd_start(name: str, option_texts: Sequence[str], port: int | None) -> int:
    options = dict(_parse_option(text) for text in option_texts)
    kwargs = {"port": port} if port is not None else {}
    try:
        server = get_server(name, **kwargs)
        server.configure(options)
    except (ServerError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    # SIGINT and SIGTERM end the wait below; `with` then closes the server. SIGINT is
    # set explicitly because a shell starts background jobs with it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with server:
            print(server.dsn, flush=True)
            if isinstance(server, LocalServer):
                print(json.dumps(server.describe(), indent=2), file=sys.stderr, flush=True)
            print("running; Ctrl-C stops it", file=sys.stderr, flush=True)
            while server.running:
                time.sleep(1)
            print(f"{name}: server exited by itself", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        return 0
    except ServerError as error:
        print(error, file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.servers",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    p_provision = commands.add_parser("provision", help="build/install what backends need")
    p_provision.add_argument("names", nargs="*", metavar="NAME")
    p_status = commands.add_parser("status", help="say which backends can run here")
    p_status.add_argument("names", nargs="*", metavar="NAME")
    p_start = commands.add_parser("start", help="start one server until Ctrl-C")
    p_start.add_argument("name", metavar="NAME")
    p_start.add_argument(
        "-o",
        "--option",
        action="append",
        default=[],
        metavar="KEY[=VALUE]",
        help="a mysqld option, e.g. -o binlog_checksum=NONE",
    )
    p_start.add_argument("-p", "--port", type=int, help="a fixed port (default: any free one)")
    args = parser.parse_args(argv)
    if args.command == "provision":
        return cmd_provision(args.names)
    if args.command == "status":
        return cmd_status(args.names)
    return cmd_start(args.name, args.option, args.port)


if __name__ == "__main__":
    sys.exit(main())
