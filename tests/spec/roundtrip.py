"""Helpers shared by the schema tests: context parameters and round-trip checks."""

from __future__ import annotations

MYSQL80 = {"binlog_version": 4, "header_len": 19, "server_version": "8.0.40"}
"""Context parameters of a MySQL 8.0 binlog, without ``post_header_len``."""


def context_for(base: dict):
    """A ``params(post_header_len, **over)`` function over ``base`` parameters."""

    def params(post_header_len, **over):
        return {**base, "post_header_len": post_header_len, **over}

    return params


def h(text: str) -> bytes:
    """Bytes from annotated hex: whitespace and ``# comments`` are ignored."""
    return bytes.fromhex("".join("".join(line.split("#")[0].split()) for line in text.splitlines()))


def assert_value_round_trips(schema, value, **ctx):
    """build then parse gives the value back."""
    data = schema.build(value, **ctx)
    assert schema.parse(data, **ctx) == value


def assert_bytes_round_trip(schema, data, **ctx):
    """parse then build gives the bytes back."""
    assert schema.build(schema.parse(data, **ctx), **ctx) == data


def round_trips(schema, data, params):
    """Parse ``data``, check it builds back to the same bytes, return the value."""
    body = schema.parse(data, **params)
    assert schema.build(body, **params) == data
    return body
