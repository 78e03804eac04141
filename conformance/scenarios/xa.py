"""XA transactions: two-phase commit and rollback, one phase, xids of every shape."""

from __future__ import annotations

import time

from conformance.scenarios.base import Recorder, ScenarioError, scenario

#: Seconds to wait for a disconnected session's prepared XA transaction to be handed
#: over to the server (until then XA COMMIT says XAER_NOTA or XAER_RMFAIL).
DETACH_WAIT = 10.0


@scenario(mysql="5.7.7", mariadb="10.5.2")
def xa_transactions(t: Recorder) -> None:
    """XA START/END/PREPARE then COMMIT or ROLLBACK, XA COMMIT ONE PHASE, and a
    transaction prepared by a session that disconnected before it was committed.

    Both servers log the prepared part as its own binlog transaction ending in
    XA_PREPARE_LOG_EVENT and the XA COMMIT/ROLLBACK as a separate query (MySQL 5.7.7,
    WL#6860; MariaDB 10.5.2, MDEV-742).
    """
    t.sql("CREATE TABLE xa_t (id INT PRIMARY KEY, v VARCHAR(20))")

    t.xa_start("'xa-commit'")
    t.insert("xa_t", [{"id": 1, "v": "two phase"}])
    t.xa_end_prepare("'xa-commit'")
    t.xa_commit("'xa-commit'")

    t.xa_start("'xa-rollback', 'branch-1', 7")
    t.insert("xa_t", [{"id": 2, "v": "rolled back"}])
    t.xa_end_prepare("'xa-rollback', 'branch-1', 7")
    t.xa_rollback("'xa-rollback', 'branch-1', 7")

    t.xa_start("X'0001ff', X'', 1")
    t.insert("xa_t", [{"id": 3, "v": "one phase"}])
    t.xa_commit("X'0001ff', X'', 1", one_phase=True)

    t.xa_start("'xa-never'")
    t.insert("xa_t", [{"id": 4, "v": "never prepared"}])
    t.xa_rollback("'xa-never'")

    xid = "'xa-detached', 'b', 12345"
    with t.other_connection() as other:
        other.xa_start(xid)
        other.insert("xa_t", [{"id": 5, "v": "detached"}])
        other.change("UPDATE xa_t SET v = 'seen by xa' WHERE id = 1", table="xa_t", op="update")
        other.xa_end_prepare(xid)
    _wait_until_recoverable(t, b"xa-detached")
    t.xa_commit(xid)
    t.expect("XA_PREPARE_LOG_EVENT")


def _wait_until_recoverable(t: Recorder, gtrid: bytes) -> None:
    """Wait until `XA RECOVER` lists `gtrid` with no session attached to it any more.

    The server detaches a prepared transaction from its session only once that
    session's disconnect has been processed, which can come after the client closed.
    """
    deadline = time.monotonic() + DETACH_WAIT
    while True:
        with t.conn.cursor() as cursor:
            cursor.execute("XA RECOVER")
            listed = [
                bytes(row[3]) if not isinstance(row[3], str) else row[3].encode()
                for row in cursor.fetchall()
            ]
            cursor.execute(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                " WHERE ID <> CONNECTION_ID() AND DB = DATABASE()"
            )
            (others,) = cursor.fetchone()
        if any(data.startswith(gtrid) for data in listed) and not others:
            return
        if time.monotonic() > deadline:
            raise ScenarioError(
                f"xa_transactions: prepared XA {gtrid!r} not detached after {DETACH_WAIT:.0f}s"
            )
        time.sleep(0.05)
