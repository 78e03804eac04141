"""Views, stored procedures and functions, triggers and scheduled events."""

from __future__ import annotations

from conformance.scenarios.base import Recorder, scenario


@scenario(mysql="5.7", mariadb="10.5")
def routines(t: Recorder) -> None:
    """DDL of views, procedures, functions, triggers and events; rows they write.

    A trigger's rows come in the same statement as its table's (two table maps); a
    CALL in STATEMENT format is logged as the statements it ran, with NAME_CONST for
    its parameters (sp_head.cc).
    """
    t.sql("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(30), qty INT)")
    t.sql("CREATE TABLE audit (seq INT AUTO_INCREMENT PRIMARY KEY, item INT, what VARCHAR(10))")
    t.sql("CREATE VIEW big_items AS SELECT id, name FROM items WHERE qty > 10")
    t.sql(
        "CREATE OR REPLACE VIEW big_items AS SELECT id, name, qty FROM items WHERE qty > 10"
        " WITH CHECK OPTION"
    )
    t.sql(
        "CREATE TRIGGER items_ai AFTER INSERT ON items FOR EACH ROW"
        " INSERT INTO audit (item, what) VALUES (NEW.id, 'insert')"
    )
    t.sql(
        "CREATE TRIGGER items_bu BEFORE UPDATE ON items FOR EACH ROW"
        " SET NEW.qty = GREATEST(NEW.qty, 0)"
    )
    t.sql("CREATE FUNCTION double_it(x INT) RETURNS INT DETERMINISTIC RETURN x * 2")
    t.sql(
        "CREATE PROCEDURE restock(IN which INT, IN amount INT) MODIFIES SQL DATA"
        " BEGIN"
        "  UPDATE items SET qty = qty + amount WHERE id = which;"
        "  INSERT INTO audit (item, what) VALUES (which, 'restock');"
        " END"
    )
    t.sql("CREATE EVENT nightly ON SCHEDULE AT '2037-01-01 00:00:00' DO DELETE FROM audit")
    t.insert("items", [{"id": n, "name": f"item {n}", "qty": n * 5} for n in range(1, 6)])
    t.sql("INSERT INTO big_items (id, name, qty) VALUES (10, 'via view', 50)")
    t.sql("UPDATE items SET qty = double_it(qty) - 30 WHERE id <= 3")
    t.sql("CALL restock(1, 7)")
    with t.statement_format() as statement:
        t.sql("CALL restock(2, 3)")
        t.sql("UPDATE items SET qty = double_it(qty) WHERE id = 4")
        if statement:
            for table in ("items", "audit"):
                t.not_replayable(table, "changed by a CALL and an UPDATE in statement format")
    t.sql("ALTER VIEW big_items AS SELECT id FROM items")
    t.sql("DROP EVENT nightly")
    t.sql("DROP TRIGGER items_bu")
    t.sql("DROP PROCEDURE restock")
    t.sql("DROP FUNCTION double_it")
    t.sql("DROP VIEW big_items")
    t.truth.changes.append({"note": "trigger and routine changes: compare the final tables"})
