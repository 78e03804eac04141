"""Character strings in several charsets, binary strings and blobs, ENUM and SET."""

from __future__ import annotations

from conformance.scenarios._typed import exercise_columns
from conformance.scenarios.base import Recorder, scenario

ALL_BYTES = bytes(range(256))


@scenario(mysql="5.7", mariadb="10.5")
def charsets(t: Recorder) -> None:
    """CHAR, VARCHAR and TEXT in latin1, utf8mb3, utf8mb4, ucs2, utf16, utf32, gbk, cp1251.

    CHAR(255) in utf8mb4 is 1020 bytes, more than the one byte of length a CHAR's
    table-map metadata has room for, which the server folds into the type byte
    (log_event.cc, Field_string::do_save_field_metadata); VARCHAR(255) and
    VARCHAR(256) in latin1 sit either side of the 1- to 2-byte length prefix.
    """
    columns = [
        ("c_latin1", "CHAR(10) CHARACTER SET latin1"),
        ("vc255_latin1", "VARCHAR(255) CHARACTER SET latin1"),
        ("vc256_latin1", "VARCHAR(256) CHARACTER SET latin1"),
        ("c_utf8mb4", "CHAR(10) CHARACTER SET utf8mb4"),
        ("c255_utf8mb4", "CHAR(255) CHARACTER SET utf8mb4"),
        ("vc_utf8mb4", "VARCHAR(300) CHARACTER SET utf8mb4"),
        ("vc_utf8mb4_bin", "VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
        ("vc_utf8mb3", "VARCHAR(100) CHARACTER SET utf8mb3"),
        ("vc_ucs2", "VARCHAR(50) CHARACTER SET ucs2"),
        ("vc_utf16", "VARCHAR(50) CHARACTER SET utf16"),
        ("vc_utf32", "VARCHAR(50) CHARACTER SET utf32"),
        ("vc_gbk", "VARCHAR(50) CHARACTER SET gbk"),
        ("c_cp1251", "CHAR(50) CHARACTER SET cp1251"),
        ("tt_latin1", "TINYTEXT CHARACTER SET latin1"),
        ("tx_utf8mb4", "TEXT CHARACTER SET utf8mb4"),
        ("mt_utf16", "MEDIUMTEXT CHARACTER SET utf16"),
        ("lt_utf8mb4", "LONGTEXT CHARACTER SET utf8mb4"),
    ]
    empty = [""] * len(columns)
    typical = [
        "café",
        "naïve",
        "x" * 200,
        "日本語",
        "😀 ok",
        "Grüße, мир, 世界",
        "BIN",
        "€uro",
        "Ωmega",
        "😀x",
        "𝄞",
        "中文",
        "Привет",
        "tiny",
        "text 😀",
        "medium Ω",
        "long 日本",
    ]
    full = [
        "é" * 10,
        "ÿ" * 255,
        "é" * 256,
        "😀" * 10,
        "😀" * 255,
        "😀" * 300,
        "Z" * 20,
        "€" * 100,
        "Ω" * 50,
        "😀" * 50,
        "😀" * 50,
        "中" * 50,
        "Я" * 50,
        "é" * 255,
        "😀" * 1000,
        "Ω" * 20000,
        "日" * 30000,
    ]
    exercise_columns(
        t, "charsets", columns, [empty, typical, full], table_options=" DEFAULT CHARSET=latin1"
    )


@scenario(mysql="5.7", mariadb="10.5")
def binaries(t: Recorder) -> None:
    """BINARY, VARBINARY and the four BLOBs: empty, every byte value, full length."""
    columns = [
        ("bin16", "BINARY(16)"),
        ("vbin", "VARBINARY(300)"),
        ("tb", "TINYBLOB"),
        ("b", "BLOB"),
        ("mb", "MEDIUMBLOB"),
        ("lb", "LONGBLOB"),
    ]
    rows = [
        [b"", b"", b"", b"", b"", b""],
        [b"\x00" * 16, ALL_BYTES, ALL_BYTES[:255], ALL_BYTES * 4, ALL_BYTES * 8, ALL_BYTES],
        [
            b"\xff" * 16,
            b"\xfe" * 300,
            b"\x01" * 255,
            b"\x02" * 65535,
            b"\x03" * 70000,
            b"\x04" * 70000,
        ],
    ]
    exercise_columns(t, "binaries", columns, rows)


@scenario(mysql="5.7", mariadb="10.5")
def enums_and_sets(t: Recorder) -> None:
    """ENUM and SET of 1 and 2 bytes (ENUM) and 1, 2, 3 and 8 bytes (SET), two charsets."""
    big_enum = ", ".join(f"'e{n}'" for n in range(300))

    def members(n: int) -> str:
        return ", ".join(f"'m{i}'" for i in range(n))

    columns = [
        ("e", "ENUM('a', 'b', 'c')"),
        ("e_utf8mb4", "ENUM('ä', '😀', 'x') CHARACTER SET utf8mb4"),
        ("e_big", f"ENUM({big_enum})"),
        ("s", "SET('x', 'y', 'z')"),
        ("s_latin1", "SET('é', 'ü', 'o') CHARACTER SET latin1"),
        ("s9", f"SET({members(9)})"),
        ("s17", f"SET({members(17)})"),
        ("s64", f"SET({members(64)})"),
    ]
    rows = [
        ["a", "ä", "e0", "", "", "", "", ""],
        ["b", "😀", "e256", "x,z", "é,ü", "m8", "m0,m16", "m0,m31,m32,m63"],
        [
            "c",
            "x",
            "e299",
            "x,y,z",
            "é,ü,o",
            "m0,m1,m2,m3,m4,m5,m6,m7,m8",
            ",".join(f"m{i}" for i in range(17)),
            ",".join(f"m{i}" for i in range(64)),
        ],
    ]
    exercise_columns(t, "enums_and_sets", columns, rows, table_options=" DEFAULT CHARSET=latin1")
