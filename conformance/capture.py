"""Live capture: make a real server write binlogs, then round-trip every event.

Theory of operation, for one server and one `Config` (`capture_config`):

1. `configure` the config's options (a restart, or just remembered while the server
   is stopped), start the server, `reset` it: no user databases, and a fresh
   `binlog.000001`.
2. Run every applicable scenario, each on its own connection, keeping its
   `GroundTruth`; a scenario that raises is recorded as failed and the next one runs.
3. `FLUSH BINARY LOGS`, then stop the server, so the last file ends with a
   STOP_EVENT and no file is still being written; write the truths to
   `<out>/truth/<server>/<config>.json`.
4. Read each binlog file with `mysqlproto.binlog.read_binlog(keep_raw=True)` and re-encode
   each event with a `BinlogWriter`: an event is *identical* when the writer gives back
   exactly the bytes read, and for a compressed transaction when each inner event
   does too (`mysqlproto.cli._event_identical`). Everything else is a failure with
   its file, offset, event type and the hex of both byte strings: an event that
   rebuilds differently (`mismatch`), one whose type the flavour does not know
   (`unknown`: emitted by the server but undecoded), one that failed to decode
   (`decode`) or to build (`encode`).
5. Rebuild the tables from the rows events of all files and compare them, value by
   value, with the final rows the scenarios read back (`conformance.rebuild`): the
   `table_state` of the result; a mismatch fails the configuration.
6. Copy the binlog files to `<out>/binlogs/<server>/<config>/`: by default only when
   something failed (`keep_binlogs="failed"`), since a run writes some 25 MB per
   configuration, most of it the large-row scenario's blobs.

Results are plain dataclasses with `to_json`/`from_json`, so a report can be made
again from `results.json` without a server.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from conformance.matrix import Config, configs_for
from conformance.rebuild import TableStateResult, counts_line, rebuild_tables
from conformance.scenarios import Scenario, discover
from conformance.servers import Server, ServerError
from conformance.servers.base import one_line
from mysqlproto.binlog import BinlogWriter, encode_event, read_binlog
from mysqlproto.cli import _event_identical
from mysqlproto.errors import DecodeError
from mysqlproto.events import CorruptEvent, Event, UnknownEvent

#: Bytes of each event shown from its start, and around the first difference.
HEAD_BYTES = 256
WINDOW_BYTES = 128

Log = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


# -- results ---------------------------------------------------------------------------


@dataclasses.dataclass
class EventFailure:
    """One event that did not round-trip, with enough bytes to see why.

    `kind` is `mismatch`, `unknown`, `decode` or `encode`. `inner` is the index of
    an event inside a TRANSACTION_PAYLOAD (None for a top-level event). `original`
    and `rebuilt` are hex of the first `HEAD_BYTES` bytes; `diff_at` is the first
    byte that differs, and `*_at_diff` hex from `window_start` on.
    """

    kind: str
    file: str
    offset: int
    event: str
    type_code: int
    message: str
    size: int
    original: str
    rebuilt: str | None = None
    rebuilt_size: int | None = None
    diff_at: int | None = None
    window_start: int | None = None
    original_at_diff: str | None = None
    rebuilt_at_diff: str | None = None
    inner: int | None = None

    @property
    def where(self) -> str:
        inner = f" inner #{self.inner}" if self.inner is not None else ""
        return f"{self.file} @{self.offset}{inner}"


@dataclasses.dataclass
class FileResult:
    """The round trip of one binlog file. `events` counts inner events too."""

    name: str
    size: int
    events: int = 0
    identical: int = 0
    inner_events: int = 0
    types: dict[str, int] = dataclasses.field(default_factory=dict)
    failures: list[EventFailure] = dataclasses.field(default_factory=list)

    @property
    def unknown(self) -> list[EventFailure]:
        return [failure for failure in self.failures if failure.kind == "unknown"]


@dataclasses.dataclass
class ScenarioResult:
    name: str
    seconds: float
    error: str | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    expected_events: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ConfigResult:
    """Everything one (server, config) capture produced."""

    server: str
    version: str
    config: str
    options: dict[str, Any]
    seconds: float = 0.0
    files: list[FileResult] = dataclasses.field(default_factory=list)
    scenarios: list[ScenarioResult] = dataclasses.field(default_factory=list)
    expected_events: list[str] = dataclasses.field(default_factory=list)
    binlog_dir: str | None = None
    truth_file: str | None = None
    error: str | None = None
    table_state: TableStateResult | None = None

    @property
    def events(self) -> int:
        return sum(item.events for item in self.files)

    @property
    def identical(self) -> int:
        return sum(item.identical for item in self.files)

    @property
    def failures(self) -> list[EventFailure]:
        return [failure for item in self.files for failure in item.failures]

    @property
    def unknown(self) -> list[EventFailure]:
        return [failure for item in self.files for failure in item.unknown]

    @property
    def scenario_errors(self) -> list[ScenarioResult]:
        return [item for item in self.scenarios if item.error]

    @property
    def types(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for item in self.files:
            total.update(item.types)
        return total

    @property
    def missing_events(self) -> list[str]:
        """Expected event types (of the config and its scenarios) that never appeared."""
        seen = self.types
        return [name for name in self.expected_events if not seen.get(name)]

    @property
    def passed(self) -> bool:
        return (
            self.error is None
            and not self.failures
            and not self.scenario_errors
            and self.events > 0
            and self.events == self.identical
            and (self.table_state is None or self.table_state.passed)
        )


@dataclasses.dataclass
class RunResult:
    """A whole run: every capture, and the servers that could not run (and why)."""

    results: list[ConfigResult] = dataclasses.field(default_factory=list)
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    missing: dict[str, str] = dataclasses.field(default_factory=dict)
    started: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.missing and all(result.passed for result in self.results)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunResult:
        results = []
        for item in data.get("results", ()):
            item = dict(item)
            files = []
            for entry in item.pop("files", ()):
                entry = dict(entry)
                failures = [EventFailure(**failure) for failure in entry.pop("failures", ())]
                files.append(FileResult(**entry, failures=failures))
            scenarios = [ScenarioResult(**entry) for entry in item.pop("scenarios", ())]
            state = item.pop("table_state", None)
            results.append(
                ConfigResult(
                    **item,
                    files=files,
                    scenarios=scenarios,
                    table_state=TableStateResult.from_json(state) if state else None,
                )
            )
        return cls(
            results=results,
            skipped=dict(data.get("skipped", {})),
            missing=dict(data.get("missing", {})),
            started=data.get("started", ""),
            seconds=data.get("seconds", 0.0),
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> RunResult:
        return cls.from_json(json.loads(path.read_text()))


# -- round trip ------------------------------------------------------------------------


def _first_difference(a: bytes, b: bytes) -> int | None:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return None if len(a) == len(b) else min(len(a), len(b))


def _failure(
    kind: str,
    file: str,
    event: Event,
    message: str,
    rebuilt: bytes | None = None,
    inner: int | None = None,
    offset: int | None = None,
) -> EventFailure:
    raw = event.raw or b""
    failure = EventFailure(
        kind=kind,
        file=file,
        offset=event.offset if offset is None else offset,
        event=event.name,
        type_code=event.type_code,
        message=message,
        size=len(raw),
        original=raw[:HEAD_BYTES].hex(),
        inner=inner,
    )
    if rebuilt is not None:
        failure.rebuilt = rebuilt[:HEAD_BYTES].hex()
        failure.rebuilt_size = len(rebuilt)
        diff = _first_difference(raw, rebuilt)
        failure.diff_at = diff
        if diff is not None:
            start = max(0, diff - 32) // 16 * 16
            failure.window_start = start
            failure.original_at_diff = raw[start : start + WINDOW_BYTES].hex()
            failure.rebuilt_at_diff = rebuilt[start : start + WINDOW_BYTES].hex()
    return failure


def _encode(event: Event, ctx: Any, position: int | None) -> tuple[bytes | None, str]:
    try:
        return encode_event(event, ctx, position), ""
    except Exception as error:  # report it with the event, never abort the file
        return None, f"{type(error).__name__}: {one_line(str(error))}"


def roundtrip_file(path: Path | str, name: str | None = None) -> FileResult:
    """Read every event of one binlog file and rebuild it; see the module doc."""
    path = Path(path)
    name = name or path.name
    result = FileResult(name=name, size=path.stat().st_size)
    types: Counter[str] = Counter()
    writer = BinlogWriter()
    writer.begin()
    try:
        for event in read_binlog(path, keep_raw=True, on_error="skip"):
            _check_event(event, writer, result, types, name)
    except DecodeError as error:  # framing the reader could not skip past (bad magic)
        result.failures.append(
            EventFailure(
                kind="decode",
                file=name,
                offset=error.offset or 0,
                event=error.event_type or "",
                type_code=-1,
                message=one_line(str(error)),
                size=0,
                original="",
            )
        )
    result.types = dict(sorted(types.items()))
    return result


def _check_event(
    event: Event, writer: BinlogWriter, result: FileResult, types: Counter[str], name: str
) -> None:
    raw = event.raw or b""
    inner = event.inner or []
    result.events += 1 + len(inner)
    result.inner_events += len(inner)
    types[event.name] += 1
    types.update(item.name for item in inner)
    position, ctx = writer.position, writer.context
    if isinstance(event, CorruptEvent):
        result.failures.append(_failure("decode", name, event, one_line(str(event.error))))
        writer.position = position + len(raw)
        return
    if isinstance(event, UnknownEvent):
        result.failures.append(
            _failure(
                "unknown",
                name,
                event,
                f"type code {event.type_code} is not in the {ctx.flavour.name} flavour",
            )
        )
        writer.position = position + len(raw)
        return
    try:
        same = _event_identical(event, writer)
    except Exception as error:
        writer.position = position + len(raw)
        result.failures.append(
            _failure("encode", name, event, f"{type(error).__name__}: {one_line(str(error))}")
        )
        return
    if same:
        result.identical += 1 + len(inner)
        return
    rebuilt, problem = _encode(event, ctx, position)
    if rebuilt != raw:
        result.failures.append(
            _failure(
                "mismatch" if rebuilt is not None else "encode",
                name,
                event,
                problem or "rebuilt bytes differ",
                rebuilt,
            )
        )
    else:
        result.identical += 1
    inner_ctx = ctx.without_checksums()
    for index, item in enumerate(inner):
        rebuilt, problem = _encode(item, inner_ctx, None)
        if rebuilt == item.raw:
            result.identical += 1
            continue
        result.failures.append(
            _failure(
                "mismatch" if rebuilt is not None else "encode",
                name,
                item,
                problem or f"inner event of the {event.name} rebuilds differently",
                rebuilt,
                inner=index,
                offset=event.offset,
            )
        )


# -- capture ---------------------------------------------------------------------------


def rollback_prepared_xa(server: Server) -> list[str]:
    """`XA ROLLBACK` every prepared XA transaction; returns the xids rolled back.

    A scenario that fails between XA PREPARE and XA COMMIT leaves a prepared
    transaction behind, which survives restarts and holds its locks, so the next
    `reset` would wait on them. The xids are read in a form that is safe for binary
    data: MySQL's `XA RECOVER CONVERT XID` (hex) and MariaDB's
    `XA RECOVER FORMAT='SQL'` (https://mariadb.com/kb/en/xa-transactions/).
    """
    done = []
    with server.connect() as conn, conn.cursor() as cursor:
        if server.flavour == "mysql":
            cursor.execute("XA RECOVER CONVERT XID")
            xids = []
            for format_id, gtrid_length, bqual_length, data in cursor.fetchall():
                raw = bytes.fromhex(str(data)[2:])
                gtrid, bqual = raw[:gtrid_length], raw[gtrid_length : gtrid_length + bqual_length]
                xids.append(f"X'{gtrid.hex()}', X'{bqual.hex()}', {format_id}")
        else:
            cursor.execute("XA RECOVER FORMAT='SQL'")
            xids = [str(row[3]) for row in cursor.fetchall()]
        for xid in xids:
            cursor.execute(f"XA ROLLBACK {xid}")
            done.append(xid)
    return done


def run_scenarios(
    server: Server,
    scenarios: Iterable[Scenario],
    log: Log = _quiet,
) -> tuple[list[ScenarioResult], list[dict[str, Any]]]:
    """Run the scenarios that apply to `server`, each on a fresh connection."""
    results, truths = [], []
    for item in scenarios:
        if not item.applies_to(server):
            continue
        started = time.monotonic()
        try:
            with server.connect(local_infile=True, read_timeout=120, write_timeout=120) as conn:
                truth = item.run(conn, server)
        except Exception as error:  # noqa: BLE001 - recorded, the next scenario runs
            message = f"{type(error).__name__}: {one_line(str(error))}"
            results.append(ScenarioResult(item.name, time.monotonic() - started, message))
            log(f"  scenario {item.name} failed: {message}")
            continue
        results.append(
            ScenarioResult(
                item.name,
                time.monotonic() - started,
                None,
                list(truth.notes),
                list(truth.expected_events),
            )
        )
        truths.append(truth.to_json())
    return results, truths


KEEP_BINLOGS = ("failed", "all", "none")


def capture_config(
    server: Server,
    config: Config,
    out: Path,
    scenarios: Iterable[Scenario] | None = None,
    log: Log = _quiet,
    keep_binlogs: str = "failed",
) -> ConfigResult:
    """Capture one config on `server` (which is left stopped); see the module doc.

    `keep_binlogs` says when the binlog files are copied to `out`: `failed`
    (default), `all` or `none`.
    """
    if keep_binlogs not in KEEP_BINLOGS:
        raise ValueError(f"keep_binlogs must be one of {KEEP_BINLOGS}, not {keep_binlogs!r}")
    started = time.monotonic()
    result = ConfigResult(
        server=server.name, version="", config=config.name, options=dict(config.options)
    )
    scenarios = discover() if scenarios is None else list(scenarios)
    try:
        if server.binlog_dir is None:
            raise ServerError(f"{server.name}: its binlog files are not on this host")
        server.configure(config.options)
        if not server.running:
            server.start()
        result.version = server.version
        for xid in rollback_prepared_xa(server):
            log(f"  {config.name}: rolled back XA transaction {xid} left prepared earlier")
        server.reset()
        result.scenarios, truths = run_scenarios(server, scenarios, log)
        server.flush_binlogs()
        server.stop()
        files = [Path(path) for path in server.binlog_files()]
    except Exception as error:  # noqa: BLE001 - one config failing must not end the run
        result.error = f"{type(error).__name__}: {one_line(str(error))}"
        result.seconds = time.monotonic() - started
        log(f"  {config.name}: {result.error}")
        return result
    expected = list(config.expected_events)
    for item in result.scenarios:
        expected += [name for name in item.expected_events if name not in expected]
    result.expected_events = expected

    truth_file = out / "truth" / server.name / f"{config.name}.json"
    truth_file.parent.mkdir(parents=True, exist_ok=True)
    truth_file.write_text(json.dumps(truths, indent=1, ensure_ascii=False) + "\n")
    result.truth_file = str(truth_file.relative_to(out))

    # The server is stopped, so its files no longer change until the next start.
    for path in files:
        result.files.append(roundtrip_file(path))
    row_image = str(config.options.get("binlog_row_image", "FULL"))
    result.table_state = rebuild_tables(files, truths, row_image=row_image)
    copies = out / "binlogs" / server.name / config.name
    shutil.rmtree(copies, ignore_errors=True)
    if keep_binlogs == "all" or (keep_binlogs == "failed" and not result.passed):
        copies.mkdir(parents=True)
        for path in files:
            shutil.copy2(path, copies / path.name)
        result.binlog_dir = str(copies.relative_to(out))
    result.seconds = time.monotonic() - started
    return result


def capture_server(
    server: Server,
    out: Path,
    configs: Iterable[Config] | None = None,
    scenarios: Iterable[Scenario] | None = None,
    log: Log = _quiet,
    keep_binlogs: str = "failed",
) -> list[ConfigResult]:
    """Capture every config (default: all that apply) on `server`.

    The server's own options are put back afterwards (it stays stopped if the
    capture stopped it; started again if it was running before).
    """
    original, was_running = server.options, server.running
    candidates = list(configs) if configs is not None else None
    if not server.running:
        first = [config for config in (candidates or []) if config.flavour == server.flavour]
        if first:
            server.configure(first[0].options)
        server.start()
    applicable = configs_for(server.flavour, server.version)
    if candidates is not None:
        names = {config.name for config in candidates}
        applicable = [config for config in applicable if config.name in names]
    scenarios = discover() if scenarios is None else list(scenarios)
    results = []
    try:
        for config in applicable:
            result = capture_config(server, config, out, scenarios, log, keep_binlogs)
            results.append(result)
            log(summary_line(result))
    finally:
        server.configure(original)
        if was_running and not server.running:
            server.start()
    return results


def summary_line(result: ConfigResult) -> str:
    """One line for a progress log: name, time, counts, verdict."""
    verdict = "ok" if result.passed else "FAIL"
    if result.error:
        return f"{result.server} {result.config}: {verdict} ({result.error})"
    extra = []
    if result.scenario_errors:
        extra.append(f"{len(result.scenario_errors)} scenario errors")
    if result.missing_events:
        extra.append(f"not seen: {', '.join(result.missing_events)}")
    if result.table_state is not None:
        extra.append(f"table state: {counts_line(result.table_state)}")
    tail = f" [{'; '.join(extra)}]" if extra else ""
    return (
        f"{result.server} {result.config}: {verdict} {result.seconds:.1f}s"
        f" {len(result.files)} files, {result.events} events, {result.identical} identical,"
        f" {len(result.failures)} failures ({len(result.unknown)} undecoded){tail}"
    )
