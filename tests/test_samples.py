"""The crafted samples bundled for the CLI's embedded default."""

from __future__ import annotations

from mysqlproto.binlog import read_binlog
from mysqlproto.cli import main
from mysqlproto.events import UnknownEvent
from mysqlproto.samples import sample_binlogs


def test_roundtrip_with_no_path_uses_the_samples(capsys):
    assert main(["roundtrip"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("files=3 ")
    _, events, identical = (int(p.split("=")[1]) for p in last.split())
    assert events == identical >= 30


def test_samples_decode_fully_with_checksums():
    samples = sample_binlogs()
    mysql = list(read_binlog(samples["mysql-8.0-sample.binlog"]))
    assert not any(isinstance(e, UnknownEvent) for e in mysql)
    assert all(e.checksum is not None for e in mysql)
    payload = next(e for e in mysql if e.name == "TRANSACTION_PAYLOAD_EVENT")
    assert [e.name for e in payload.inner] == [
        "QUERY_EVENT", "TABLE_MAP_EVENT", "WRITE_ROWS_EVENT", "XID_EVENT"]
    maria = list(read_binlog(samples["mariadb-11.8-sample.binlog"]))
    compressed = next(e for e in maria if e.name == "QUERY_COMPRESSED_EVENT")
    assert compressed.body.query == "UPDATE items SET name = 'green apple' WHERE id = 1"
    old = list(read_binlog(samples["mysql-5.1-sample.binlog"]))
    assert [e.name for e in old][2:5] == ["INTVAR_EVENT", "RAND_EVENT", "USER_VAR_EVENT"]
    assert all(e.checksum is None for e in old)


def test_dump_text_does_not_confuse_body_and_header_fields(capsys):
    assert main(["dump"]) == 0
    intvar = next(line for line in capsys.readouterr().out.splitlines()
                  if "type=INTVAR_EVENT" in line)
    assert "body_type=2" in intvar and "value=7" in intvar
