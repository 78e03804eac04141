"""Integers of every width, DECIMAL of several precisions, FLOAT, DOUBLE and BIT."""

from __future__ import annotations

from decimal import Decimal

from conformance.scenarios._typed import exercise_columns
from conformance.scenarios.base import Recorder, scenario

#: (type, minimum, maximum) for the integer types, signed and unsigned.
INTEGERS = [
    ("TINYINT", -(2**7), 2**7 - 1),
    ("SMALLINT", -(2**15), 2**15 - 1),
    ("MEDIUMINT", -(2**23), 2**23 - 1),
    ("INT", -(2**31), 2**31 - 1),
    ("BIGINT", -(2**63), 2**63 - 1),
]

#: DECIMAL(M, D): one digit, the 9-digit word boundaries the binary format packs
#: around (decimal.cc, dig2bytes), and the largest precision and scale.
DECIMALS = [(1, 0), (5, 2), (9, 9), (10, 0), (18, 9), (20, 6), (38, 10), (65, 30), (65, 0)]


def _decimal_max(precision: int, scale: int) -> Decimal:
    whole = "9" * (precision - scale) or "0"
    return Decimal(f"{whole}.{'9' * scale}" if scale else whole)


@scenario(mysql="5.7", mariadb="10.5")
def integers(t: Recorder) -> None:
    """TINYINT to BIGINT, signed and unsigned, at 0, both limits and in between."""
    columns = []
    for name, _, _ in INTEGERS:
        columns += [(name.lower(), name), (f"{name.lower()}_u", f"{name} UNSIGNED")]
    columns += [("bool_col", "BOOL"), ("int_zf", "INT(8) UNSIGNED ZEROFILL")]
    low = [v for _, lo, _ in INTEGERS for v in (lo, 0)] + [0, 0]
    high = [v for _, lo, hi in INTEGERS for v in (hi, 2 * hi + 1)] + [1, 4294967295]
    mid = [v for _, lo, hi in INTEGERS for v in (-1, hi // 3)] + [1, 42]
    exercise_columns(t, "integers", columns, [low, mid, high])


@scenario(mysql="5.7", mariadb="10.5")
def decimals(t: Recorder) -> None:
    """DECIMAL across precisions and scales: zero, +-max, and digits crossing word edges."""
    columns = [(f"d{p}_{s}", f"DECIMAL({p},{s})") for p, s in DECIMALS]
    top = [_decimal_max(p, s) for p, s in DECIMALS]
    bottom = [value.copy_negate() for value in top]  # `-value` would round to 28 digits
    zero = [Decimal(0)] * len(DECIMALS)
    odd = [Decimal("0." + "1" * s) if s else Decimal(-7) for _, s in DECIMALS]
    exercise_columns(t, "decimals", columns, [zero, bottom, odd, top])


@scenario(mysql="5.7", mariadb="10.5")
def floats(t: Recorder) -> None:
    """FLOAT and DOUBLE at their limits, the smallest normals, zero and fractions."""
    columns = [("f", "FLOAT"), ("d", "DOUBLE"), ("fu", "FLOAT"), ("r", "REAL")]
    rows = [
        [0.0, 0.0, -0.0, 0.0],
        [3.4028234e38, 1.7976931348623157e308, -3.4028234e38, -1.7976931348623157e308],
        [1.1754944e-38, 2.2250738585072014e-308, -1.5, 0.1],
        [3.14159, 2.718281828459045, 1e-10, -123456789.125],
    ]
    exercise_columns(t, "floats", columns, rows)


@scenario(mysql="5.7", mariadb="10.5")
def bits(t: Recorder) -> None:
    """BIT(1), BIT(7), BIT(8), BIT(9), BIT(17) and BIT(64): zero, all ones, patterns."""
    widths = [1, 7, 8, 9, 17, 64]
    columns = [(f"b{n}", f"BIT({n})") for n in widths]
    rows = [
        [0] * len(widths),
        [2**n - 1 for n in widths],
        [1, 0b1010101, 0x80, 0x101, 0x10001, 0x8000000000000001],
    ]
    exercise_columns(t, "bits", columns, rows)
