"""Global transaction ids beyond the automatic ones: chosen, foreign, tagged, domains."""

from __future__ import annotations

from conformance.scenarios.base import Recorder, scenario

FOREIGN_UUID = "a1b2c3d4-0000-4000-8000-00000000beef"


@scenario(mysql="5.7", mariadb="10.5")
def gtids(t: Recorder) -> None:
    """MySQL with gtid_mode=ON: explicit gtid_next (own and foreign UUID, a gap), an
    empty transaction, and on 8.3+ tagged GTIDs (GTID_TAGGED_LOG_EVENT); then a
    rotation, so the next PREVIOUS_GTIDS_LOG_EVENT lists them all. With gtid_mode OFF
    only anonymous GTIDs exist, and the scenario says so.

    MariaDB: transactions in another replication domain, with another server_id and a
    chosen sequence number, so the next GTID_LIST_EVENT holds two domains.
    """
    t.sql("CREATE TABLE g (id INT PRIMARY KEY, how VARCHAR(40))")
    if t.is_mariadb:
        _mariadb(t)
    elif t.gtid_on:
        _mysql(t)
    else:
        t.insert("g", [{"id": 1, "how": "anonymous"}])
        t.note("gtid_mode is OFF: only ANONYMOUS_GTID_LOG_EVENT")
        t.expect("ANONYMOUS_GTID_LOG_EVENT")
    t.sql("FLUSH BINARY LOGS")


def _mysql(t: Recorder) -> None:
    (uuid,) = t.sql("SELECT @@server_uuid")[0]
    t.expect("GTID_LOG_EVENT", "PREVIOUS_GTIDS_LOG_EVENT")

    def with_gtid(gtid: str, row: int | None) -> None:
        t.sql(f"SET gtid_next = '{gtid}'")
        if row is None:
            t.sql("BEGIN")
            t.sql("COMMIT")
        else:
            t.insert("g", [{"id": row, "how": gtid[:40]}])
        t.sql("SET gtid_next = 'AUTOMATIC'")

    with_gtid(f"{uuid}:1000", 1)
    with_gtid(f"{FOREIGN_UUID}:5", 2)
    with_gtid(f"{FOREIGN_UUID}:6", None)  # an empty transaction
    if t.at_least(mysql=(8, 3)):
        with_gtid("AUTOMATIC:sc_tag", 3)
        with_gtid(f"{FOREIGN_UUID}:other_tag:7", 4)
        t.expect("GTID_TAGGED_LOG_EVENT")


def _mariadb(t: Recorder) -> None:
    t.expect("GTID_EVENT", "GTID_LIST_EVENT", "BINLOG_CHECKPOINT_EVENT")
    t.insert("g", [{"id": 1, "how": "default domain"}])
    with t.session(gtid_domain_id=5, server_id=77, gtid_seq_no=1000):
        t.insert("g", [{"id": 2, "how": "domain 5, server 77, seq 1000"}])
        t.begin()
        t.insert("g", [{"id": 3, "how": "domain 5, in a transaction"}])
        t.commit()
    with t.session(skip_parallel_replication=1):
        t.insert("g", [{"id": 4, "how": "no parallel replication"}])
