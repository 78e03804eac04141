"""Row changes in their usual shapes: multi-row statements, no primary key, upserts,
multi-table statements, non-transactional tables."""

from __future__ import annotations

from conformance.scenarios.base import Recorder, scenario


@scenario(mysql="5.7", mariadb="10.5")
def dml_shapes(t: Recorder) -> None:
    """INSERT/UPDATE/DELETE over tables with and without keys, upserts and multi-table DML.

    A table without a primary key makes MINIMAL row images carry every column of the
    before image (the server has nothing narrower to find the row by).
    """
    t.sql("CREATE TABLE keyed (id INT PRIMARY KEY, a VARCHAR(20), b INT, c BLOB)")
    t.sql("CREATE TABLE nokey (a INT, b VARCHAR(20), c DOUBLE)")
    t.sql("CREATE TABLE composite (k1 INT, k2 VARCHAR(10), v INT, PRIMARY KEY (k1, k2))")
    t.insert(
        "keyed",
        [{"id": n, "a": f"row {n}", "b": n * 10, "c": bytes([n]) * n} for n in range(1, 21)],
    )
    t.insert(
        "nokey", [{"a": n % 3, "b": None if n % 4 == 0 else "v" * n, "c": n / 7} for n in range(12)]
    )
    t.insert("composite", [{"k1": n // 2, "k2": f"k{n % 2}", "v": n} for n in range(10)])
    t.change("UPDATE keyed SET b = b + 1 WHERE id <= 5", table="keyed", op="update")
    t.change("UPDATE keyed SET a = NULL, c = NULL WHERE id = 6", table="keyed", op="update")
    t.change("UPDATE keyed SET a = '' WHERE id = 7", table="keyed", op="update")
    t.change("UPDATE keyed SET b = b WHERE id = 8", table="keyed", op="update")  # no change
    t.change("DELETE FROM keyed WHERE id > 15", table="keyed", op="delete")
    t.change("UPDATE nokey SET c = -c WHERE a = 1", table="nokey", op="update")
    t.change("DELETE FROM nokey WHERE a = 2", table="nokey", op="delete")
    t.change(
        "UPDATE composite SET v = v * 2, k2 = 'z' WHERE k1 = 1 AND k2 = 'k0'",
        table="composite",
        op="update",
    )
    t.insert(
        "keyed",
        [{"id": 1, "a": "dup", "b": 0, "c": b""}, {"id": 99, "a": "new", "b": 0, "c": b"n"}],
        verb="INSERT IGNORE",
    )
    t.change(
        "INSERT INTO keyed (id, a, b) VALUES (2, 'upsert', 1), (100, 'fresh', 1)"
        " ON DUPLICATE KEY UPDATE a = VALUES(a), b = keyed.b + VALUES(b)",
        table="keyed",
        op="upsert",
    )
    t.insert("keyed", [{"id": 3, "a": "replaced", "b": 3, "c": None}], verb="REPLACE")
    t.change(
        "UPDATE keyed JOIN composite ON composite.v = keyed.id"
        " SET keyed.b = -1, composite.v = -composite.v WHERE keyed.id < 4",
        table="keyed,composite",
        op="update",
    )
    t.change(
        "DELETE keyed, nokey FROM keyed JOIN nokey ON nokey.a = keyed.id WHERE keyed.id = 1",
        table="keyed,nokey",
        op="delete",
    )


@scenario(mysql="5.7", mariadb="10.5")
def non_transactional(t: Recorder) -> None:
    """MyISAM (non-transactional) writes: each statement commits on its own, no XID."""
    t.sql("CREATE TABLE plain (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(30)) ENGINE=MyISAM")
    t.insert("plain", [{"v": f"m{n}"} for n in range(5)])
    t.change("UPDATE plain SET v = CONCAT(v, '!') WHERE id % 2 = 0", table="plain", op="update")
    t.change("DELETE FROM plain WHERE id = 5", table="plain", op="delete")
    t.sql("TRUNCATE TABLE plain")
    t.insert("plain", [{"v": "after truncate"}])
