"""Binlog rotation: FLUSH BINARY LOGS between transactions."""

from __future__ import annotations

from conformance.scenarios.base import Recorder, scenario


@scenario(mysql="5.7", mariadb="10.5")
def rotation(t: Recorder) -> None:
    """FLUSH BINARY LOGS twice in a row and between writes: ROTATE_EVENT at the end of
    each file, and a new file opening with its FDE and GTID bookkeeping."""
    t.sql("CREATE TABLE r (id INT PRIMARY KEY, file_no INT)")
    t.insert("r", [{"id": 1, "file_no": 1}])
    t.sql("FLUSH BINARY LOGS")
    t.insert("r", [{"id": 2, "file_no": 2}])
    t.sql("FLUSH BINARY LOGS")
    t.sql("FLUSH BINARY LOGS")  # a file holding only its header events
    t.insert("r", [{"id": 3, "file_no": 4}])
    t.expect("ROTATE_EVENT")
