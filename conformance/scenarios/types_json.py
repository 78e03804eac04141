"""JSON documents, and on MySQL partial JSON updates (PARTIAL_UPDATE_ROWS_EVENT)."""

from __future__ import annotations

import json

from conformance.scenarios._typed import exercise_columns
from conformance.scenarios.base import Recorder, Sql, scenario

#: A document over 64 KiB, so MySQL's binary JSON switches to its large format
#: (4-byte offsets; json_binary.cc, LARGE_OBJECT).
BIG = json.dumps({f"k{n}": ["v" * 20, n, n * 0.5, None, True] for n in range(2500)})


@scenario(mysql="5.7", mariadb="10.5")
def json_documents(t: Recorder) -> None:
    """JSON scalars, nesting, unicode, number edges, a >64 KiB document; MySQL opaque values.

    On MariaDB JSON is LONGTEXT with a validity check, written as text.
    """
    documents = [
        "null",
        "true",
        "false",
        "0",
        "-1",
        "18446744073709551615",
        "-9223372036854775808",
        "3.5e300",
        '"a string"',
        '""',
        "[]",
        "{}",
        '{"a": 1, "b": [1, 2, {"c": null}], "d": {"e": "f"}}',
        '["x", 1, 2.5, true, null, {"nested": ["deep", ["deeper"]]}]',
        '{"unicode": "日本語 😀", "escape": "quote\\" backslash\\\\ nl\\n"}',
        BIG,
    ]
    rows: list[list[object]] = [[doc] for doc in documents]
    if t.is_mysql:
        # Values only MySQL's binary JSON holds: DECIMAL, DATE, TIME, DATETIME and
        # opaque (json_binary.h, JSONB_TYPE_OPAQUE).
        rows += [
            [Sql("JSON_ARRAY(CAST(12.50 AS DECIMAL(10,2)), CAST('2024-02-29' AS DATE))")],
            [
                Sql(
                    "JSON_OBJECT('t', CAST('12:34:56.5' AS TIME(1)),"
                    " 'dt', CAST('2024-02-29 01:02:03.456' AS DATETIME(3)))"
                )
            ],
            [Sql("JSON_ARRAY(CAST(X'00ff' AS BINARY))")],
        ]
    exercise_columns(t, "json_documents", [("j", "JSON")], rows)


@scenario(mysql="8.0.3")
def json_partial_updates(t: Recorder) -> None:
    """JSON_SET/REPLACE/REMOVE with binlog_row_value_options=PARTIAL_JSON.

    MySQL then logs the after image of an updated JSON column as diffs, in a
    PARTIAL_UPDATE_ROWS_EVENT; 9.7 does so under every row image, the before image
    following binlog_row_image
    (https://dev.mysql.com/doc/refman/8.4/en/replication-options-binary-log.html#sysvar_binlog_row_value_options).
    """
    t.sql("CREATE TABLE docs (id INT PRIMARY KEY, j JSON, n INT)")
    t.insert(
        "docs",
        [
            {"id": n, "j": json.dumps({"a": n, "b": "x" * 50, "c": [1, 2, 3]}), "n": n}
            for n in range(1, 4)
        ],
    )
    with t.session(binlog_row_value_options="PARTIAL_JSON"):
        t.change(
            "UPDATE docs SET j = JSON_SET(j, '$.a', 100, '$.new', 'v') WHERE id = 1",
            table="docs",
            op="update",
        )
        t.change(
            "UPDATE docs SET j = JSON_REPLACE(j, '$.b', 'short'), n = n + 1 WHERE id = 2",
            table="docs",
            op="update",
        )
        t.change(
            "UPDATE docs SET j = JSON_REMOVE(j, '$.c[1]') WHERE id >= 2", table="docs", op="update"
        )
        t.change("UPDATE docs SET j = '{\"whole\": 1}' WHERE id = 3", table="docs", op="update")
    t.expect("PARTIAL_UPDATE_ROWS_EVENT")
