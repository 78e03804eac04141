"""Scenario discovery, the recorder's ground truth, and the configuration matrix.

No server needed: the recorder runs here over a fake connection that remembers the
SQL it was sent.
"""

from __future__ import annotations

import datetime
import decimal
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import matrix, scenarios
from conformance.scenarios.base import GroundTruth, Recorder, Sql, jsonable
from conformance.servers.base import render_options

# -- discovery -------------------------------------------------------------------------


def test_discover_finds_a_scenario_in_every_scenario_module() -> None:
    found = scenarios.discover()
    modules = {item.module.rsplit(".", 1)[1] for item in found}
    package = Path(scenarios.__file__).parent
    files = {
        path.stem
        for path in package.glob("*.py")
        if not path.stem.startswith("_") and path.stem != "base"
    }
    assert modules == files


def test_discovered_scenarios_have_unique_names_docs_and_flavours() -> None:
    found = scenarios.discover()
    names = [item.name for item in found]
    assert len(names) == len(set(names))
    for item in found:
        assert item.doc, item.name
        assert item.requires and set(item.requires) <= {"mysql", "mariadb"}, item.name
        assert item.database == f"sc_{item.name}"


def test_discovery_covers_the_required_workloads() -> None:
    names = {item.name for item in scenarios.discover()}
    assert {
        "integers",
        "decimals",
        "floats",
        "bits",
        "temporals",
        "charsets",
        "binaries",
        "enums_and_sets",
        "json_documents",
        "spatial",
        "mysql_vector",
        "mariadb_types",
        "large_rows",
        "transactions",
        "xa_transactions",
        "load_data",
        "statement_context",
        "temporary_tables",
        "routines",
        "rotation",
        "gtids",
        "ddl",
    } <= names


@pytest.fixture
def extra_scenario_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A second directory on the scenarios package's path, as if files were added."""
    monkeypatch.setattr(scenarios, "__path__", [*scenarios.__path__, str(tmp_path)])
    yield tmp_path
    for name in [name for name in sys.modules if name.startswith("conformance.scenarios.zz_")]:
        del sys.modules[name]


def test_a_new_file_in_the_package_is_a_new_scenario(extra_scenario_dir: Path) -> None:
    (extra_scenario_dir / "zz_added.py").write_text(
        "from conformance.scenarios.base import scenario\n"
        "@scenario(mariadb='10.6')\n"
        "def zz_added(t):\n"
        "    '''Added by a test.'''\n"
        "    t.sql('SELECT 1')\n"
    )
    added = {item.name: item for item in scenarios.discover()}["zz_added"]
    assert added.doc == "Added by a test."
    assert added.applies("mariadb", "10.6.1-MariaDB")
    assert not added.applies("mariadb", "10.5.9-MariaDB")
    assert not added.applies("mysql", "9.7.4")


def test_two_scenarios_with_one_name_are_refused(extra_scenario_dir: Path) -> None:
    (extra_scenario_dir / "zz_clash.py").write_text(
        "from conformance.scenarios.base import scenario\n"
        "@scenario(mysql='8.0', name='integers')\n"
        "def clash(t):\n"
        "    '''Same name as a real one.'''\n"
    )
    with pytest.raises(ValueError, match="integers"):
        scenarios.discover()


def test_select_keeps_the_order_given_and_refuses_unknown_names() -> None:
    chosen = scenarios.select(["xa_transactions", "integers"])
    assert [item.name for item in chosen] == ["xa_transactions", "integers"]
    assert scenarios.select(None) == scenarios.discover()
    with pytest.raises(ValueError, match="no_such_scenario"):
        scenarios.select(["no_such_scenario"])


# -- ground truth ----------------------------------------------------------------------


def test_jsonable_keeps_the_type_of_values_json_lacks() -> None:
    assert jsonable(decimal.Decimal("-1.50")) == {"$decimal": "-1.50"}
    assert jsonable(b"\x00\xff") == {"$hex": "00ff"}
    digest = jsonable(b"x" * 5000)
    assert digest["length"] == 5000 and len(digest["$sha256"]) == 64
    assert jsonable(datetime.datetime(2024, 2, 29, 1, 2, 3, 456)) == {
        "$datetime": "2024-02-29T01:02:03.000456"
    }
    assert jsonable(datetime.date(1000, 1, 1)) == {"$date": "1000-01-01"}
    assert jsonable(-datetime.timedelta(hours=838, minutes=59, seconds=59)) == {
        "$time": "-838:59:59"
    }
    assert jsonable(datetime.timedelta(seconds=-1, microseconds=999999)) == {
        "$time": "-00:00:00.000001"
    }
    assert jsonable({"b", "a"}) == ["a", "b"]
    assert jsonable(Sql("NOW()")) == {"$sql": "NOW()"}
    assert jsonable([1, None, 2.5, "s", True]) == [1, None, 2.5, "s", True]
    with pytest.raises(TypeError):
        jsonable(object())


class FakeCursor:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __enter__(self) -> FakeCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def mogrify(self, statement: str, args: Any) -> str:
        return statement % tuple(repr(arg) for arg in args)

    def execute(self, statement: str, args: Any = None) -> None:
        self.log.append(statement)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return []

    def fetchone(self) -> tuple[Any, ...]:
        return ("ROW",)


class FakeConnection:
    def __init__(self) -> None:
        self.log: list[str] = []

    def cursor(self) -> FakeCursor:
        return FakeCursor(self.log)


class FakeServer:
    name = "fake"
    flavour = "mysql"
    version = "9.7.4"


def _recorder() -> Recorder:
    return Recorder(FakeConnection(), FakeServer(), GroundTruth("demo", "sc_demo"))  # type: ignore[arg-type]


def test_recorder_keeps_only_committed_changes() -> None:
    t = _recorder()
    t.insert("a", [{"id": 1, "v": decimal.Decimal("1.5")}, {"id": 2, "v": None}])
    t.begin()
    t.insert("a", [{"id": 3, "v": 0}])
    t.rollback()
    t.begin()
    t.insert("a", [{"id": 4, "v": 4}])
    t.savepoint("sp")
    t.insert("a", [{"id": 5, "v": 5}])
    t.rollback_to("sp")
    t.change("UPDATE a SET v = %s WHERE id = 4", (44,), table="a", op="update")
    t.commit()
    changes = t.truth.changes
    assert [c.get("rows", c.get("sql")) for c in changes] == [
        [{"id": 1, "v": {"$decimal": "1.5"}}, {"id": 2, "v": None}],
        [{"id": 4, "v": 4}],
        "UPDATE a SET v = 44 WHERE id = 4",
    ]
    assert (
        t.truth.statements[0] == "INSERT INTO `a` (`id`, `v`) VALUES (1, Decimal('1.5')), (2, None)"
    )
    assert "ROLLBACK TO SAVEPOINT sp" in t.truth.statements


def test_recorder_writes_sql_expressions_in_place_and_records_them_tagged() -> None:
    t = _recorder()
    t.insert("g", [{"id": 1, "p": Sql("ST_GeomFromText('POINT(1 2)')")}])
    assert t.truth.statements == [
        "INSERT INTO `g` (`id`, `p`) VALUES (1, ST_GeomFromText('POINT(1 2)'))"
    ]
    assert t.truth.changes[0]["rows"] == [{"id": 1, "p": {"$sql": "ST_GeomFromText('POINT(1 2)')"}}]


def test_recorder_counts_xa_work_when_committed_not_when_prepared_or_rolled_back() -> None:
    t = _recorder()
    t.xa_start("'x1'")
    t.insert("a", [{"id": 1}])
    t.xa_end_prepare("'x1'")
    assert t.truth.changes == []
    t.xa_start("'x2'")
    t.insert("a", [{"id": 2}])
    t.xa_end_prepare("'x2'")
    t.xa_rollback("'x2'")
    t.xa_commit("'x1'")
    t.xa_start("'x3'")
    t.insert("a", [{"id": 3}])
    t.xa_commit("'x3'", one_phase=True)
    assert [c["rows"][0]["id"] for c in t.truth.changes] == [1, 3]
    assert "XA COMMIT 'x3' ONE PHASE" in t.truth.statements


def test_recorder_keeps_nontransactional_rows_of_a_rolled_back_transaction() -> None:
    t = _recorder()
    t.begin()
    t.insert("inno", [{"id": 1}])
    t.insert("myisam", [{"id": 1}], nontransactional=True)
    t.rollback()
    assert [c["table"] for c in t.truth.changes] == ["myisam"]


def test_a_statement_carrying_megabytes_is_recorded_by_digest() -> None:
    t = _recorder()
    t.sql("SELECT %s", ("x" * 10_000,))
    (recorded,) = t.truth.statements
    assert recorded.startswith("SELECT 'xxx") and len(recorded) < 400
    assert "10009 characters, sha256 " in recorded


def test_ground_truth_survives_json() -> None:
    t = _recorder()
    t.insert("a", [{"id": 1, "b": b"\x01"}])
    t.note("something left out")
    t.expect("XID_EVENT")
    text = json.dumps(t.truth.to_json())
    assert GroundTruth.from_json(json.loads(text)) == t.truth


# -- matrix ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flavour", "version"),
    [("mysql", "9.7.4"), ("mariadb", "10.11.19-MariaDB"), ("mariadb", "11.8.9-MariaDB")],
)
def test_every_value_of_every_axis_is_covered(flavour: str, version: str) -> None:
    assert matrix.uncovered(flavour, version) == []
    assert 6 <= len(matrix.configs_for(flavour, version)) <= 10


def test_config_names_are_unique_per_flavour_and_spell_their_axes() -> None:
    for flavour in ("mysql", "mariadb"):
        configs = [config for config in matrix.CONFIGS if config.flavour == flavour]
        assert len({config.name for config in configs}) == len(configs)
        for config in configs:
            parts = config.name.split("-")
            axes = config.axes
            assert parts[:4] == [
                axes["checksum"],
                axes["gtid"],
                axes["row_image"],
                axes["metadata"],
            ]
            for axis in ("compression", "statement_text"):
                assert (axes[axis] in parts) == (axes[axis] != "off")
            assert set(axes) == set(matrix.AXES[flavour])


def test_config_options_are_explicit_and_accepted_by_the_servers_backend() -> None:
    for config in matrix.CONFIGS:
        render_options(config.options)  # raises on a protected or malformed option
        assert "binlog_checksum" in config.options
        assert "binlog_row_image" in config.options
        if config.flavour == "mysql":
            gtid = "ON" if config.axes["gtid"] == "gtid" else "OFF"
            assert config.options["gtid_mode"] == gtid
            assert config.options["enforce_gtid_consistency"] == gtid
        else:
            assert config.options["binlog_annotate_row_events"] in ("ON", "OFF")
            zlib = config.axes["compression"] == "zlib"
            assert (config.options["log_bin_compress"] == "ON") == zlib
            assert ("log_bin_compress_min_len" in config.options) == zlib


def test_configs_follow_the_server_version() -> None:
    names_1011 = {config.name for config in matrix.configs_for("mariadb", "10.11.19")}
    names_118 = {config.name for config in matrix.configs_for("mariadb", "11.8.9")}
    assert "crc32-gtid-full_nodup-meta_full-annotate" in names_118 - names_1011
    assert not matrix.configs_for("mariadb", "10.4.30")
    assert not matrix.configs_for("mysql", "5.7.44")
    assert all(config.flavour == "mysql" for config in matrix.configs_for("mysql", "9.7.4"))


def test_matrix_select_refuses_unknown_names() -> None:
    chosen = matrix.select(matrix.CONFIGS, ["crc32-gtid-full-meta_min"])
    assert [config.name for config in chosen] == ["crc32-gtid-full-meta_min"]
    with pytest.raises(ValueError, match="nope"):
        matrix.select(matrix.CONFIGS, ["nope"])
