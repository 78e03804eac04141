"""Multi-statement transactions: commits, rollbacks, savepoints."""

from __future__ import annotations

from conformance.scenarios.base import Recorder, scenario


@scenario(mysql="5.7", mariadb="10.5")
def transactions(t: Recorder) -> None:
    """Commit, rollback, savepoints rolled back to and released, autocommit off.

    A rolled-back InnoDB transaction leaves nothing in the binlog; ROLLBACK TO
    SAVEPOINT drops the undone rows from the transaction's binlog cache
    (binlog.cc, binlog_savepoint_rollback).
    """
    t.sql("CREATE TABLE acct (id INT PRIMARY KEY, owner VARCHAR(20), balance DECIMAL(12,2))")
    t.sql("CREATE TABLE ledger (id INT AUTO_INCREMENT PRIMARY KEY, acct INT, delta DECIMAL(12,2))")

    t.begin()
    t.insert("acct", [{"id": n, "owner": f"o{n}", "balance": 100} for n in range(1, 6)])
    t.insert("ledger", [{"acct": n, "delta": 100} for n in range(1, 6)])
    t.commit()

    t.begin("START TRANSACTION")
    t.change("UPDATE acct SET balance = balance - 10 WHERE id = 1", table="acct", op="update")
    t.insert("ledger", [{"acct": 1, "delta": -10}])
    t.rollback()

    t.begin()
    t.change("UPDATE acct SET balance = balance - 25 WHERE id = 2", table="acct", op="update")
    t.savepoint("before_bonus")
    t.change("UPDATE acct SET balance = balance + 1000 WHERE id = 3", table="acct", op="update")
    t.insert("ledger", [{"acct": 3, "delta": 1000}])
    t.rollback_to("before_bonus")
    t.savepoint("fee")
    t.insert("ledger", [{"acct": 2, "delta": -25}])
    t.release("fee")
    t.commit()

    t.begin()
    t.savepoint("sp_empty")  # EMPTY is a reserved word in MySQL 8
    t.rollback_to("sp_empty")
    t.commit()  # nothing to log

    t.sql("SET autocommit = 0")
    t.change("DELETE FROM acct WHERE id = 5", table="acct", op="delete")
    t.insert("ledger", [{"acct": 5, "delta": -100}])
    t.sql("COMMIT")
    t.sql("SET autocommit = 1")

    t.begin("START TRANSACTION WITH CONSISTENT SNAPSHOT")
    t.insert("acct", [{"id": 6, "owner": "late", "balance": 0}])
    t.commit()


@scenario(mysql="5.7", mariadb="10.5")
def mixed_engine_rollback(t: Recorder) -> None:
    """A rolled-back transaction that also changed a MyISAM table: its change stays,
    so the binlog gets it followed by a ROLLBACK query.

    MySQL refuses this under enforce_gtid_consistency (ER_GTID_UNSAFE_NON_TRANSACTIONAL_TABLE),
    so there it is skipped with a note.
    """
    if t.is_mysql and str(t.var("enforce_gtid_consistency")).upper() != "OFF":
        t.note(
            "skipped: enforce_gtid_consistency forbids non-transactional changes in transactions"
        )
        return
    t.sql("CREATE TABLE inno (id INT PRIMARY KEY, v INT) ENGINE=InnoDB")
    t.sql("CREATE TABLE myi (id INT PRIMARY KEY, v INT) ENGINE=MyISAM")
    t.begin()
    t.insert("inno", [{"id": 1, "v": 1}])
    t.insert("myi", [{"id": 1, "v": 1}], nontransactional=True)  # kept despite the rollback
    t.rollback()
