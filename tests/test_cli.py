"""The mysqlproto command line: roundtrip and dump."""

from __future__ import annotations

import json

from mysqlproto.cli import main
from tests.corpus import CORPUS, require_corpus

FILES = [
    "zalora__binlog-parser/fixtures/mysql-bin.01",
    "blackbeam__rust_mysql_common/mariadb-bin.000001",
    "osheroff__mysql-binlog-connector-java/mysql-bin.sakila.gz",
]
REQUIRED_KEYS = {"pos", "next_pos", "type", "type_code", "timestamp", "server_id", "flags"}


def test_roundtrip_reports_identical_events(capsys):
    require_corpus()
    assert main(["roundtrip", *(str(CORPUS / f) for f in FILES)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    files, events, identical = (int(part.split("=")[1]) for part in last.split())
    assert last.startswith("files=3 ") and events == identical and events > 100


def test_roundtrip_fails_on_a_broken_file(capsys):
    require_corpus()
    broken = CORPUS / "blackbeam__rust_mysql_common/corrupt-relay-bin.000624"
    assert main(["roundtrip", str(broken)]) == 1
    captured = capsys.readouterr()
    assert "offset 91204" in captured.err and "QUERY_EVENT" in captured.err
    assert captured.out.strip().splitlines()[-1].startswith("files=1 events=872 ")


def test_dump_json_one_object_per_event(capsys):
    require_corpus()
    assert main(["dump", "--json", str(CORPUS / FILES[0])]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 17
    assert all(REQUIRED_KEYS <= set(r) for r in records)
    assert records[0]["type"] == "FORMAT_DESCRIPTION_EVENT" and records[0]["pos"] == 4
    assert all(a["next_pos"] == b["pos"] for a, b in zip(records, records[1:], strict=False))
    query = records[1]
    assert query["type"] == "QUERY_EVENT" and query["query"] == "BEGIN" and query["db"] == "test_db"


def test_dump_skip_errors_reports_the_corrupt_event(capsys):
    require_corpus()
    broken = CORPUS / "blackbeam__rust_mysql_common/corrupt-relay-bin.000624"
    assert main(["dump", "--json", "--skip-errors", str(broken)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    bad = [r for r in records if "error" in r]
    assert len(records) == 874 and [r["pos"] for r in bad] == [91204]


def test_dump_text_lines(capsys):
    require_corpus()
    assert main(["dump", str(CORPUS / FILES[0])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 17 and lines[1].startswith("pos=120 next_pos=197 type=QUERY_EVENT")
