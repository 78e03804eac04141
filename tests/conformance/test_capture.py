"""Live capture: every event a real server writes round-trips byte for byte.

The `realserver` tests run every configuration of the matrix on every local server
(`LOCAL_REQUIRED`), all scenarios each, through the session's server pool, so each
server starts once; each capture is checked twice: every event round-trips byte for
byte, and the tables rebuilt from its rows events equal what SELECT returns. They
skip where a server cannot run, and fail instead on CI.
The other tests check the round trip, the report and the command line on crafted
binlogs and results, with no server.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from construct import Container

from conformance import capture, cli, matrix, scenarios
from conformance.capture import (
    ConfigResult,
    EventFailure,
    FileResult,
    RunResult,
    ScenarioResult,
    capture_config,
    roundtrip_file,
)
from conformance.rebuild import TableMismatch, TableStateResult
from conformance.report import (
    failure_anchor,
    render_html,
    render_markdown,
    state_anchor,
    write_reports,
)
from conformance.servers import LOCAL_REQUIRED, Server, require_or_skip
from mysqlproto.binlog import BinlogWriter, read_binlog
from mysqlproto.events import UnknownEvent
from mysqlproto.samples import mysql80_sample

# -- round trip of crafted files -------------------------------------------------------


@pytest.fixture
def sample_path(tmp_path: Path) -> Path:
    path = tmp_path / "binlog.000001"
    path.write_bytes(mysql80_sample())
    return path


def test_roundtrip_file_counts_every_event_including_inner_ones(sample_path: Path) -> None:
    result = roundtrip_file(sample_path)
    assert result.failures == []
    assert result.inner_events > 0
    assert result.events == result.identical == sum(result.types.values())
    assert result.types["TRANSACTION_PAYLOAD_EVENT"] == 1
    assert result.size == sample_path.stat().st_size


def test_an_undecoded_event_type_is_a_failure_with_its_bytes(
    sample_path: Path, tmp_path: Path
) -> None:
    events = list(read_binlog(sample_path))
    stranger = UnknownEvent(
        type_code=200, body=Container(raw=b"\x01\x02\x03"), timestamp=1, log_pos=0
    )
    events.insert(2, stranger)
    writer = BinlogWriter()
    data = writer.begin() + b"".join(writer.encode(event) for event in events)
    path = tmp_path / "binlog.000002"
    path.write_bytes(data)

    result = roundtrip_file(path)
    (failure,) = result.failures
    assert failure.kind == "unknown" and failure.type_code == 200
    assert failure.offset == events[0].event_size + events[1].event_size + 4
    assert bytes.fromhex(failure.original)[4] == 200
    assert bytes.fromhex(failure.original)[19:22] == b"\x01\x02\x03"
    assert result.unknown == [failure]
    assert result.identical == result.events - 1


def test_a_corrupt_event_is_a_decode_failure_and_the_rest_is_still_checked(
    sample_path: Path,
) -> None:
    data = bytearray(sample_path.read_bytes())
    events = list(read_binlog(sample_path))
    victim = events[2]
    data[victim.offset + 25] ^= 0xFF  # inside the body: the CRC32 no longer matches
    sample_path.write_bytes(bytes(data))

    result = roundtrip_file(sample_path)
    (failure,) = result.failures
    assert (failure.kind, failure.offset, failure.event) == ("decode", victim.offset, victim.name)
    assert "CRC32" in failure.message
    assert result.events == len(events) + result.inner_events
    assert result.identical == result.events - 1


def test_a_mismatch_shows_where_the_rebuilt_bytes_differ(
    sample_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_encode = capture.encode_event

    def skewed(event, ctx, position):  # a schema that loses one byte of QUERY_EVENTs
        data = bytearray(real_encode(event, ctx, position))
        if event.name == "QUERY_EVENT":
            data[40] ^= 0x01
        return bytes(data)

    def judge(event, writer) -> bool:  # what `_event_identical` would say with that schema
        writer.encode(event)
        return event.name != "QUERY_EVENT"

    monkeypatch.setattr(capture, "encode_event", skewed)
    monkeypatch.setattr(capture, "_event_identical", judge)
    result = roundtrip_file(sample_path)
    assert result.failures
    for failure in result.failures:
        assert failure.kind == "mismatch" and failure.event == "QUERY_EVENT"
        assert failure.diff_at == 40 and failure.window_start == 0
        original, rebuilt = bytes.fromhex(failure.original), bytes.fromhex(failure.rebuilt)
        assert original[40] ^ rebuilt[40] == 1
        assert failure.rebuilt_size == failure.size


# -- report and results ----------------------------------------------------------------


def _failing_run() -> RunResult:
    failure = EventFailure(
        kind="mismatch",
        file="binlog.000001",
        offset=1225,
        event="QUERY_EVENT",
        type_code=2,
        message="rebuilt bytes differ",
        size=20,
        original=(b"\x2a" * 20).hex(),
        rebuilt=(b"\x2b" * 20).hex(),
        rebuilt_size=20,
        diff_at=0,
        window_start=0,
        original_at_diff=(b"\x2a" * 20).hex(),
        rebuilt_at_diff=(b"\x2b" * 20).hex(),
    )
    bad = ConfigResult(
        server="mariadb-11.8",
        version="11.8.9-MariaDB",
        config="none-gtid-noblob-meta_min",
        options={"binlog_checksum": "NONE"},
        seconds=2.5,
        files=[
            FileResult(
                "binlog.000001",
                4000,
                events=10,
                identical=9,
                types={"QUERY_EVENT": 4, "GTID_EVENT": 6},
                failures=[failure],
            )
        ],
        scenarios=[
            ScenarioResult("ddl", 0.1, notes=["a note"]),
            ScenarioResult("xa_transactions", 0.1, error="ScenarioError: boom"),
        ],
        expected_events=["GTID_EVENT", "XA_PREPARE_LOG_EVENT"],
        binlog_dir="binlogs/x",
        table_state=TableStateResult(
            tables=2,
            rows=5,
            values=12,
            compared=["sc_bits.bits", "sc_dml.keyed"],
            skipped={"sc_ddl.base": "ALTER TABLE fills a column"},
            mismatches=[
                TableMismatch(
                    table="sc_bits.bits",
                    kind="value",
                    key="id=2",
                    column="b9",
                    binlog="257",
                    select="{'$hex': '0102'}",
                    message="normalized: 257 != 258",
                )
            ],
            mismatch_count=1,
        ),
    )
    good = ConfigResult(
        server="mysql-9.7",
        version="9.7.4",
        config="crc32-gtid-full-meta_min",
        options={},
        seconds=3.0,
        files=[FileResult("binlog.000001", 500, events=3, identical=3, types={"XID_EVENT": 3})],
        table_state=TableStateResult(tables=1, rows=3, values=6, compared=["sc_r.r"]),
    )
    return RunResult(
        results=[good, bad],
        skipped={"mysql-8.0": "no Docker engine"},
        started="2025-01-01T00:00:00+00:00",
        seconds=5.5,
    )


def test_results_survive_json() -> None:
    run = _failing_run()
    again = RunResult.from_json(json.loads(json.dumps(run.to_json())))
    assert again == run
    assert not again.passed and again.results[0].passed and not again.results[1].passed
    assert again.results[1].missing_events == ["XA_PREPARE_LOG_EVENT"]


def test_reports_link_each_failure_to_its_hex_dump(tmp_path: Path) -> None:
    run = _failing_run()
    bad = run.results[1]
    target = failure_anchor(bad, bad.failures[0])
    markdown, page = render_markdown(run), render_html(run)
    for text in (markdown, page):
        assert "FAIL" in text and "mysql-9.7" in text and "mariadb-11.8" in text
        assert f'id="{target}"' in text and f"#{target}" in text
        assert "2a 2a 2a" in text and "2b 2b 2b" in text  # both dumps
        assert "XA_PREPARE_LOG_EVENT" in text  # expected but not seen
        assert "boom" in text and "a note" in text and "no Docker engine" in text
    assert "| `GTID_EVENT` |  | 6 |" in markdown  # mysql-9.7 column empty, mariadb-11.8 6
    md_path, html_path = write_reports(run, tmp_path)
    assert md_path.read_text() == markdown and html_path.read_text() == page


def test_reports_list_table_state_mismatches_and_tables_left_out() -> None:
    run = _failing_run()
    good, bad = run.results
    assert good.passed and not bad.passed
    target = state_anchor(bad)
    markdown, page = render_markdown(run), render_html(run)
    for text in (markdown, page):
        assert "1 tables, 3 rows, 0 mismatches" in text  # the table-state column
        assert f'id="{target}"' in text and f"#{target}" in text
        assert "3 tables and 8 rows compared, 1 mismatches" in text
        assert "sc_bits.bits" in text and "b9" in text and "257" in text
        assert "sc_ddl.base" in text and "ALTER TABLE fills a column" in text
    assert "| value | sc_bits.bits | id=2 | b9 | 257 |" in markdown


def test_a_table_state_mismatch_alone_fails_the_configuration_and_the_run(
    tmp_path: Path,
) -> None:
    result = _failing_run().results[0]
    assert result.passed
    result.table_state = TableStateResult(error="ValueError: boom")
    assert not result.passed
    result.table_state = TableStateResult(mismatch_count=1)
    assert not result.passed
    RunResult(results=[result]).save(tmp_path / "results.json")
    assert cli.main(["report", "--report", str(tmp_path)]) == 1


def test_cli_refuses_unknown_names_and_missing_results(tmp_path: Path) -> None:
    assert cli.main(["run", "--config", "nope", "--report", str(tmp_path)]) == 2
    assert cli.main(["run", "--scenario", "nope", "--report", str(tmp_path)]) == 2
    assert cli.main(["run", "--server", "no-such-server", "--report", str(tmp_path)]) == 2
    assert cli.main(["report", "--report", str(tmp_path / "empty")]) == 2


def test_cli_report_rebuilds_the_pages_from_results(tmp_path: Path) -> None:
    _failing_run().save(tmp_path / "results.json")
    assert cli.main(["report", "--report", str(tmp_path)]) == 1
    assert "mariadb-11.8" in (tmp_path / "index.html").read_text()


@pytest.mark.parametrize(("ci", "status", "word"), [("", 0, "skip"), ("true", 1, "FAIL")])
def test_a_server_that_cannot_run_is_skipped_locally_and_fails_on_ci(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    ci: str,
    status: int,
    word: str,
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(cli, "available", lambda name: (False, "no engine here"))
    assert cli.main(["run", "--server", "mysql-8.0", "--report", str(tmp_path)]) == status
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"{word} mysql-8.0") and "no engine here" in first
    run = RunResult.load(tmp_path / "results.json")
    assert (run.skipped if word == "skip" else run.missing) == {"mysql-8.0": "no engine here"}


# -- real servers ----------------------------------------------------------------------


def _flavour(name: str) -> str:
    return "mysql" if name.startswith("mysql") else "mariadb"


def _series(name: str) -> str:
    """The first release of the series a local backend provides ("mariadb-10.11" -> "10.11.0")."""
    return name.split("-", 1)[1] + ".0"


# Only the (server, config) pairs that apply: a configuration needing a newer series
# (FULL_NODUP needs MariaDB 11.4) is not generated for an older server, rather than
# generated and skipped.  The capture checks the real version again once started.
CAPTURES = [
    (name, config)
    for name in LOCAL_REQUIRED
    for config in matrix.CONFIGS
    if config.applies(_flavour(name), _series(name))
]


@pytest.fixture(scope="module")
def capture_servers(server_pool) -> Iterator[Callable[[str], Server]]:
    """Each server from the session pool, started once; its options restored at the end.

    A capture leaves its server stopped with the config's options; the next capture
    configures and starts the same object, so no start is wasted.
    """
    taken: dict[str, tuple[Server, dict]] = {}

    def get(name: str) -> Server:
        if name not in taken:
            server = server_pool.get(name)
            taken[name] = (server, server.options)
        return taken[name][0]

    yield get
    for server, options in taken.values():
        server.configure(options)  # while stopped this only remembers them


@pytest.fixture(scope="module")
def capture_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("conformance")


@pytest.fixture(scope="module")
def captured(
    capture_servers: Callable[[str], Server], capture_out: Path
) -> Callable[[str, matrix.Config], ConfigResult]:
    """The capture of (server, config), made once and shared by the tests that judge it."""
    done: dict[tuple[str, str], ConfigResult] = {}

    def get(name: str, config: matrix.Config) -> ConfigResult:
        key = (name, config.name)
        if key not in done:
            server = capture_servers(name)
            if not config.applies(server.flavour, server.version):
                pytest.fail(f"{config.name} needs {server.flavour} {config.min_version}+, "
                            f"{name} is {server.version}", pytrace=False)
            done[key] = capture_config(server, config, capture_out)
        result = done[key]
        if result.error:
            pytest.fail(f"capture failed: {result.error}", pytrace=False)
        return result

    return get


def _describe(failures: list[EventFailure], limit: int = 8) -> str:
    """One line per failure: where, what, and 16 bytes either side of the difference."""
    lines = []
    for failure in failures[:limit]:
        line = f"{failure.kind} {failure.where} {failure.event}: {failure.message}"
        if failure.diff_at is not None and failure.window_start is not None:
            start = max(0, failure.diff_at - failure.window_start - 16) * 2
            read = (failure.original_at_diff or "")[start : start + 64]
            rebuilt = (failure.rebuilt_at_diff or "")[start : start + 64]
            line += (
                f"; from byte {failure.window_start + start // 2}: read {read}, rebuilt {rebuilt}"
            )
        else:
            line += f"; first bytes {failure.original[:64]}"
        lines.append(line)
    if len(failures) > limit:
        lines.append(f"... and {len(failures) - limit} more")
    return "\n".join(lines)


@pytest.mark.realserver
@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "config"), CAPTURES, ids=[f"{name}/{config.name}" for name, config in CAPTURES]
)
def test_every_captured_event_round_trips_byte_exact(
    name: str, config: matrix.Config, captured: Callable[[str, matrix.Config], ConfigResult]
) -> None:
    result = captured(name, config)
    if result.scenario_errors:
        pytest.fail(
            "scenarios failed:\n"
            + "\n".join(f"{item.name}: {item.error}" for item in result.scenario_errors),
            pytrace=False,
        )
    if result.unknown:
        pytest.fail("undecoded event types:\n" + _describe(result.unknown), pytrace=False)
    if result.failures:
        pytest.fail("events that do not round-trip:\n" + _describe(result.failures), pytrace=False)
    assert result.events > 0
    assert result.identical == result.events


def _type_tables(truth_path: Path) -> set[str]:
    """`database.table` of every table the column-type scenarios (`types_*.py`) made."""
    modules = {item.name: item.module for item in scenarios.discover()}
    tables = set()
    for truth in json.loads(truth_path.read_text()):
        if modules[truth["scenario"]].rsplit(".", 1)[1].startswith("types_"):
            tables |= {f"{truth['database']}.{table}" for table in truth["tables"]}
    return tables


def _describe_mismatches(mismatches: list[TableMismatch], limit: int = 12) -> str:
    lines = [
        f"{m.kind} {m.table} [{m.key}] {m.column or ''}: binlog {m.binlog or '-'},"
        f" SELECT {m.select or '-'}; {m.message}"
        for m in mismatches[:limit]
    ]
    if len(mismatches) > limit:
        lines.append(f"... and {len(mismatches) - limit} more")
    return "\n".join(lines)


@pytest.mark.realserver
@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "config"), CAPTURES, ids=[f"{name}/{config.name}" for name, config in CAPTURES]
)
def test_tables_rebuilt_from_the_row_events_equal_select(
    name: str,
    config: matrix.Config,
    captured: Callable[[str, matrix.Config], ConfigResult],
    capture_out: Path,
) -> None:
    """Issue 4's check: for every row image and metadata setting, replaying the rows
    events gives each table what SELECT returns, every column-type table included."""
    result = captured(name, config)
    state = result.table_state
    assert state is not None and result.truth_file is not None
    if state.error:
        pytest.fail(f"rebuild failed: {state.error}", pytrace=False)
    type_tables = _type_tables(capture_out / result.truth_file)
    assert type_tables, "no column-type scenario ran"
    assert type_tables <= set(state.compared), sorted(type_tables - set(state.compared))
    if state.mismatch_count:
        pytest.fail(
            f"{state.mismatch_count} table-state mismatches:\n"
            + _describe_mismatches(state.mismatches),
            pytrace=False,
        )
    assert state.rows > 0 and state.values > 0


@pytest.fixture(scope="module")
def small_capture(
    capture_servers: Callable[[str], Server], tmp_path_factory: pytest.TempPathFactory
) -> tuple[ConfigResult, Path]:
    """One configuration of the first local server, three scenarios, binlogs kept."""
    name = LOCAL_REQUIRED[0]
    require_or_skip(name)
    server = capture_servers(name)
    config = matrix.configs_for(server.flavour, server.version)[0]
    out = tmp_path_factory.mktemp("small-capture")
    chosen = scenarios.select(["integers", "xa_transactions", "rotation"])
    return capture_config(server, config, out, chosen, keep_binlogs="all"), out


@pytest.mark.realserver
def test_report_of_a_real_capture(small_capture: tuple[ConfigResult, Path]) -> None:
    result, out = small_capture
    run = RunResult(results=[result], seconds=result.seconds)
    run.save(out / "results.json")
    assert RunResult.load(out / "results.json") == run
    markdown, page = write_reports(run, out)
    text = markdown.read_text()
    assert result.config in text and result.version in text
    for event_type in (
        "FORMAT_DESCRIPTION_EVENT",
        "ROTATE_EVENT",
        "XA_PREPARE_LOG_EVENT",
        "STOP_EVENT",
    ):
        assert f"`{event_type}`" in text
        assert event_type in page.read_text()
    copies = sorted((out / result.binlog_dir).iterdir())
    assert [path.name for path in copies] == [item.name for item in result.files]
    assert len(copies) >= 4  # the rotation scenario flushes three times


@pytest.mark.realserver
def test_a_scenario_records_the_rows_it_wrote(small_capture: tuple[ConfigResult, Path]) -> None:
    result, out = small_capture
    truths = {
        truth["scenario"]: truth for truth in json.loads((out / result.truth_file).read_text())
    }
    assert set(truths) == {"integers", "xa_transactions", "rotation"}
    integers = truths["integers"]
    table = integers["tables"]["integers"]
    names = [column[0] for column in table["columns"]]
    assert names[:3] == ["id", "tinyint", "tinyint_u"]
    rows = {row[0]: dict(zip(names, row, strict=True)) for row in table["rows"]}
    assert rows[0]["bigint"] is None  # the row of NULLs
    assert rows[1001]["bigint_u"] == 2**64 - 1  # row 1 took row 3's values, then a new id
    assert rows[2]["bigint"] == -1 and 3 not in rows  # the last row was deleted
    assert integers["changes"][0]["op"] == "insert"
    assert any(
        statement.startswith("INSERT INTO `integers`") for statement in integers["statements"]
    )
    xa = truths["xa_transactions"]
    committed = sorted(
        row["id"] for change in xa["changes"] if change["op"] == "insert" for row in change["rows"]
    )
    assert committed == [1, 3, 5]
    assert [row[0] for row in xa["tables"]["xa_t"]["rows"]] == [1, 3, 5]
    assert "XA_PREPARE_LOG_EVENT" in xa["expected_events"]


@pytest.mark.realserver
def test_prepared_xa_left_behind_is_rolled_back(capture_servers: Callable[[str], Server]) -> None:
    """A prepared XA transaction outlives its session and would block `reset`."""
    name = LOCAL_REQUIRED[0]
    require_or_skip(name)
    server = capture_servers(name)
    if not server.running:
        server.start()
    server.execute("CREATE DATABASE IF NOT EXISTS sc_leftover")
    server.execute("CREATE TABLE IF NOT EXISTS sc_leftover.t (id INT PRIMARY KEY)")
    with server.connect() as conn, conn.cursor() as cursor:
        cursor.execute("XA START X'00ff', 'b', 9")
        cursor.execute("INSERT INTO sc_leftover.t VALUES (1)")
        cursor.execute("XA END X'00ff', 'b', 9")
        cursor.execute("XA PREPARE X'00ff', 'b', 9")
    deadline = time.monotonic() + 10
    while not (rolled_back := capture.rollback_prepared_xa(server)):
        assert time.monotonic() < deadline, "the prepared transaction never showed up"
        time.sleep(0.05)
    assert len(rolled_back) == 1
    assert capture.rollback_prepared_xa(server) == []
    server.reset()  # would wait on the transaction's locks otherwise
