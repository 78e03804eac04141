"""Schema changes, partitioned tables and account statements."""

from __future__ import annotations

from conformance.scenarios.base import Recorder, scenario


@scenario(mysql="5.7", mariadb="10.5")
def ddl(t: Recorder) -> None:
    """CREATE/ALTER/RENAME/TRUNCATE/DROP of tables, indexes and databases, CREATE TABLE
    LIKE and ... SELECT, and account management (logged with passwords rewritten)."""
    t.sql(
        "CREATE TABLE base (id INT PRIMARY KEY, a VARCHAR(10)) ENGINE=InnoDB"
        " DEFAULT CHARSET=utf8mb4 COMMENT='first version'"
    )
    t.insert("base", [{"id": n, "a": f"a{n}"} for n in range(4)])
    t.sql("ALTER TABLE base ADD COLUMN b INT NOT NULL DEFAULT 7, ADD INDEX idx_a (a)")
    t.not_replayable("base", "ALTER TABLE ... ADD COLUMN gives the rows a value without row events")
    t.sql("ALTER TABLE base MODIFY a VARCHAR(40) CHARACTER SET latin1")
    t.insert("base", [{"id": 10, "a": "after alter", "b": 1}])
    t.sql("ALTER TABLE base DROP INDEX idx_a, RENAME COLUMN b TO c")
    t.sql("CREATE TABLE copy_like LIKE base")
    # CREATE TABLE ... SELECT is refused under enforce_gtid_consistency before MySQL
    # 8.0.21 (atomic DDL made it safe), so it may be noted and skipped.
    t.try_sql(
        "CREATE TABLE copy_select ENGINE=InnoDB AS SELECT id, a FROM base",
        why="CREATE TABLE ... SELECT",
    )
    t.sql("RENAME TABLE copy_like TO renamed")
    t.sql("TRUNCATE TABLE renamed")
    t.sql("CREATE INDEX idx_c ON base (c)")
    t.sql("DROP INDEX idx_c ON base")
    t.sql("CREATE TABLE gone1 (x INT)")
    t.sql("CREATE TABLE gone2 (x INT)")
    t.sql("DROP TABLE gone1, gone2")
    t.sql("DROP TABLE IF EXISTS never_existed")
    t.sql("CREATE DATABASE sc_ddl_other CHARACTER SET latin1")
    t.sql("ALTER DATABASE sc_ddl_other CHARACTER SET utf8mb4")
    t.sql("DROP DATABASE sc_ddl_other")
    t.sql("DROP USER IF EXISTS 'sc_user'@'localhost'")
    t.sql("CREATE USER 'sc_user'@'localhost' IDENTIFIED BY 'secret-password'")
    t.sql("GRANT SELECT, INSERT ON sc_ddl.* TO 'sc_user'@'localhost'")
    t.sql("REVOKE INSERT ON sc_ddl.* FROM 'sc_user'@'localhost'")
    t.sql("DROP USER 'sc_user'@'localhost'")


@scenario(mysql="5.7", mariadb="10.5")
def partitions(t: Recorder) -> None:
    """Rows in RANGE and HASH partitioned tables, and updates that move a row to
    another partition (MySQL 8 writes the partition ids into the rows events' extra
    row info: rows_event.h, enum_extra_row_info_typecode::PART)."""
    t.sql(
        "CREATE TABLE ranged (id INT, y INT, v VARCHAR(10), PRIMARY KEY (id, y))"
        " PARTITION BY RANGE (y) (PARTITION p0 VALUES LESS THAN (2000),"
        " PARTITION p1 VALUES LESS THAN (2020), PARTITION pmax VALUES LESS THAN MAXVALUE)"
    )
    t.sql("CREATE TABLE hashed (id INT PRIMARY KEY, v INT) PARTITION BY HASH (id) PARTITIONS 4")
    t.insert("ranged", [{"id": n, "y": 1990 + 10 * n, "v": f"v{n}"} for n in range(5)])
    t.insert("hashed", [{"id": n, "v": n} for n in range(12)])
    t.change("UPDATE ranged SET y = 1995 WHERE id = 4", table="ranged", op="update")  # pmax -> p0
    t.change("UPDATE ranged SET v = 'same' WHERE id = 1", table="ranged", op="update")
    t.change("UPDATE hashed SET id = id + 100 WHERE id IN (3, 7, 11)", table="hashed", op="update")
    t.change("DELETE FROM hashed WHERE v % 2 = 0", table="hashed", op="delete")
    t.sql("ALTER TABLE ranged TRUNCATE PARTITION p1")
    t.not_replayable("ranged", "ALTER TABLE ... TRUNCATE PARTITION deletes rows without row events")
