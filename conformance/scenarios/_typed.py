"""Shared by the column-type scenarios: one table per group of types, exercised alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.scenarios.base import Recorder

Column = tuple[str, str]  # (name, SQL type with its attributes)


def exercise_columns(
    t: Recorder,
    table: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    *,
    null_row: bool = True,
    table_options: str = "",
) -> None:
    """Create `table` (`id` primary key, then `columns`), write `rows`, change them.

    Writes a row of NULLs first (when `null_row`), then `rows` in one multi-row
    INSERT; then one UPDATE copying every column of the last row onto the first value
    row (before and after images over every type), one UPDATE of the primary key only
    (what MINIMAL images cut down), and one DELETE of the last row.
    """
    definition = ", ".join(f"`{name}` {sql_type}" for name, sql_type in columns)
    t.sql(f"CREATE TABLE `{table}` (id INT NOT NULL PRIMARY KEY, {definition}){table_options}")
    names = [name for name, _ in columns]
    values: list[Mapping[str, Any]] = []
    if null_row:
        values.append({"id": 0, **dict.fromkeys(names)})
    for number, row in enumerate(rows, start=1):
        if len(row) != len(names):
            raise ValueError(
                f"{table}: row {number} has {len(row)} values for {len(names)} columns"
            )
        values.append({"id": number, **dict(zip(names, row, strict=True))})
    t.insert(table, values)
    if len(rows) >= 2:
        last = len(rows)
        assignments = ", ".join(f"a.`{name}` = b.`{name}`" for name in names)
        t.change(
            f"UPDATE `{table}` AS a JOIN `{table}` AS b ON b.id = {last}"
            f" SET {assignments} WHERE a.id = 1",
            table=table,
            op="update",
        )
        t.change(f"UPDATE `{table}` SET id = id + 1000 WHERE id = 1", table=table, op="update")
        t.change(f"DELETE FROM `{table}` WHERE id = {last}", table=table, op="delete")
