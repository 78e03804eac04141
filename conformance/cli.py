"""``conformance`` command line: capture binlogs from real servers and round-trip them.

    conformance run [--server NAME]... [--config NAME]... [--scenario NAME]... [--report DIR]
    conformance report [--report DIR]        rebuild the pages from DIR/results.json
    conformance list                         servers, configurations and scenarios

`run` defaults to every `LOCAL_REQUIRED` server, every configuration that applies to
it and every scenario, and writes into `reports/conformance/`: `index.md`,
`index.html`, `results.json`, the ground truths (`truth/<server>/<config>.json`) and
copies of the binlog files of failed configurations (`binlogs/<server>/<config>/`;
`--keep-binlogs all` keeps every one, some 25 MB per configuration). It exits 1 when an event does not
round-trip byte for byte, a type the server emitted is undecoded, the tables rebuilt
from the rows events differ from what SELECT returns, a scenario fails or a capture
fails; 2 on a usage error. A server that cannot run here is skipped with
one line saying why, except on CI (`CI=true`), where that is a failure too.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from conformance import matrix, scenarios
from conformance.capture import KEEP_BINLOGS, ConfigResult, RunResult, capture_server
from conformance.report import write_reports
from conformance.servers import LOCAL_REQUIRED, ServerError, available, get_server
from conformance.servers import on_ci as _on_ci
from conformance.servers.base import one_line

DEFAULT_REPORT = Path("reports/conformance")


def _say(message: str) -> None:
    print(message, flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    try:
        configs = matrix.select(matrix.CONFIGS, args.config)
        chosen = scenarios.select(args.scenario)
    except ValueError as error:
        print(f"conformance: {error}", file=sys.stderr)
        return 2
    out: Path = args.report
    for stale in ("binlogs", "truth"):
        shutil.rmtree(out / stale, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    run = RunResult(started=datetime.now(UTC).isoformat(timespec="seconds"))
    started = time.monotonic()
    for name in args.server or LOCAL_REQUIRED:
        try:
            ok, reason = available(name)
        except ValueError as error:
            print(f"conformance: {error}", file=sys.stderr)
            return 2
        if not ok:
            if _on_ci():
                run.missing[name] = reason
                _say(f"FAIL {name}: required on CI but cannot run here: {reason}")
            else:
                run.skipped[name] = reason
                _say(f"skip {name}: {reason}")
            continue
        run.results += _capture(name, out, configs, chosen, args.keep_binlogs)
    run.seconds = time.monotonic() - started
    run.save(out / "results.json")
    markdown, page = write_reports(run, out)
    failures = sum(len(result.failures) for result in run.results)
    states = [result.table_state for result in run.results if result.table_state]
    _say(
        f"{'PASS' if run.passed else 'FAIL'}: {len(run.results)} captures,"
        f" {sum(r.events for r in run.results)} events,"
        f" {sum(r.identical for r in run.results)} byte-exact, {failures} failures;"
        f" table state: {sum(s.tables for s in states)} tables,"
        f" {sum(s.rows for s in states)} rows,"
        f" {sum(s.mismatch_count for s in states)} mismatches"
        f" in {run.seconds:.0f}s; report: {markdown} and {page}"
    )
    return 0 if run.passed else 1


def _capture(
    name: str,
    out: Path,
    configs: list[matrix.Config],
    chosen: list[scenarios.Scenario],
    keep_binlogs: str,
) -> list[ConfigResult]:
    """Every capture of server `name`; a server that does not start becomes a failed row."""
    server = get_server(name)
    server_started = time.monotonic()
    try:
        results = capture_server(server, out, configs, chosen, log=_say, keep_binlogs=keep_binlogs)
    except (ServerError, OSError) as error:
        message = f"{type(error).__name__}: {one_line(str(error))}"
        _say(f"FAIL {name}: {message}")
        return [
            ConfigResult(
                server=name,
                version="",
                config="(start)",
                options={},
                error=message,
                seconds=time.monotonic() - server_started,
            )
        ]
    finally:
        server.close()
    if not results:
        _say(f"{name}: no selected configuration applies to {server.flavour} {server.version}")
    else:
        _say(f"{name}: {len(results)} configurations in {time.monotonic() - server_started:.0f}s")
    return results


def cmd_report(args: argparse.Namespace) -> int:
    source = args.report / "results.json"
    if not source.is_file():
        print(f"conformance: no {source}; run `conformance run` first", file=sys.stderr)
        return 2
    run = RunResult.load(source)
    markdown, page = write_reports(run, args.report)
    _say(f"{'PASS' if run.passed else 'FAIL'}: wrote {markdown} and {page}")
    return 0 if run.passed else 1


def cmd_list(args: argparse.Namespace) -> int:
    _say("servers (default: LOCAL_REQUIRED):")
    for name in LOCAL_REQUIRED:
        ok, reason = available(name)
        _say(f"  {name:14} {'yes' if ok else 'no '}  {reason}")
    _say("configurations:")
    for config in matrix.CONFIGS:
        since = ".".join(map(str, config.min_version))
        _say(f"  {config.flavour:8} {config.name:56} (from {since})")
    _say("scenarios:")
    for item in scenarios.discover():
        where = ", ".join(
            f"{flavour} {'.'.join(map(str, version))}+"
            for flavour, version in item.requires.items()
        )
        _say(f"  {item.name:24} {where:30} {item.doc}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conformance", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="capture binlogs from real servers and round-trip them")
    run.add_argument(
        "--server",
        action="append",
        metavar="NAME",
        help="server backend or dsn:... (repeatable; default: LOCAL_REQUIRED)",
    )
    run.add_argument(
        "--config",
        action="append",
        metavar="NAME",
        help="configuration name (repeatable; default: all that apply)",
    )
    run.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help="scenario name (repeatable; default: all)",
    )
    run.add_argument(
        "--report",
        type=Path,
        default=DEFAULT_REPORT,
        metavar="DIR",
        help=f"output directory (default: {DEFAULT_REPORT})",
    )
    run.add_argument(
        "--keep-binlogs",
        choices=KEEP_BINLOGS,
        default="failed",
        help="copy the binlog files of failed configurations (default), all, or none",
    )
    run.set_defaults(func=cmd_run)
    report = sub.add_parser("report", help="rebuild index.md/index.html from results.json")
    report.add_argument("--report", type=Path, default=DEFAULT_REPORT, metavar="DIR")
    report.set_defaults(func=cmd_report)
    listing = sub.add_parser("list", help="servers, configurations and scenarios")
    listing.set_defaults(func=cmd_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
