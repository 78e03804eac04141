"""The compiled event parsers (``EventSpec.parser``) agree with the interpreted schemas.

The reader parses with the compiled form and, when that raises, again with the
interpreted schema, which has the last word.  So the compiled form may fail where the
schema succeeds, never the reverse, and never succeed with another value.  Checked on
every distinct body of the corpus and on bodies cut short, bit-flipped and extended.
"""

from __future__ import annotations

import collections
import gc
import io
import random

import pytest
from construct import Computed, Struct, this

import mysqlproto.binlog as binlog
from mysqlproto.registry import MARIADB, MYSQL
from spec.binlog.events import MARIADB_EVENTS
from spec.binlog.eventspec import EventSpec
from tests.corpus import good_files, require_corpus

NOT_COMPILED = {
    # construct cannot generate code for a field of theirs (a lambda in If or
    # Computed, in spec.gtid_set too); they occur once per file or seldom and are
    # parsed interpreted.
    "FORMAT_DESCRIPTION_EVENT",
    "PREVIOUS_GTIDS_LOG_EVENT",
    "HEARTBEAT_LOG_EVENT_V2",
    "CREATE_FILE_EVENT",
}


def shape(value):
    """A value with its container and element types, ``_``-keys (construct's) left out."""
    if isinstance(value, dict):
        return (type(value).__name__,
                [(k, shape(v)) for k, v in value.items() if not k.startswith("_")])
    if isinstance(value, list):
        return (type(value).__name__, [shape(v) for v in value])
    return (type(value).__name__, value)


def parse(schema, body, params):
    try:
        return True, binlog.decode_body(schema, body, params)
    except Exception:  # noqa: BLE001 - either way is an outcome to compare
        return False, None


def mutations(body: bytes, rng: random.Random, n: int):
    yield body
    for _ in range(n):
        data = bytearray(body)
        kind = rng.choice(["cut", "flip", "byte", "extend"])
        if kind == "cut" and data:
            del data[rng.randrange(len(data)):]
        elif kind == "flip" and data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == "byte" and data:
            data[rng.randrange(len(data))] = rng.choice(
                [0, 1, 0x7F, 0x80, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF, rng.randrange(256)])
        else:
            data[rng.randrange(len(data) + 1):0] = rng.randbytes(rng.randint(1, 8))
        yield bytes(data)


@pytest.fixture(scope="module")
def corpus_bodies():
    """Distinct (spec, body, params) the reader decodes over the corpus, per type."""
    require_corpus()
    seen = collections.defaultdict(dict)
    original = binlog._decode_with

    def capture(spec, body, params):
        key = (body, tuple(sorted(params.items())))
        seen[spec.name].setdefault(key, (spec, body, dict(params)))
        return original(spec, body, params)

    binlog._decode_with = capture
    try:
        for path in good_files():
            for _ in binlog.read_binlog(path):
                pass
    finally:
        binlog._decode_with = original
    return {name: list(items.values()) for name, items in seen.items()}


def test_event_schemas_compile():
    names = {spec.name for spec in MARIADB_EVENTS}
    assert NOT_COMPILED <= names
    for spec in MARIADB_EVENTS:
        compiled = spec.parser is not spec.schema
        assert compiled == (spec.name not in NOT_COMPILED), spec.name


def test_event_spec_checks_code_and_name():
    with pytest.raises(ValueError):
        EventSpec(256, "X", Struct())
    with pytest.raises(ValueError):
        EventSpec(1, "", Struct())


def test_compiled_body_context_has_the_params():
    spec = EventSpec(200, "X", Struct("n" / Computed(this._params.post_header_len)))
    assert spec.parser is not spec.schema
    assert spec.parser.parse(b"", post_header_len=7) == {"n": 7}
    assert spec.parser.parse_stream(io.BytesIO(b""), post_header_len=3) == {"n": 3}


def test_flavour_specs_are_the_compiled_ones():
    for flavour in (MYSQL, MARIADB):
        for code in (2, 19, 30):
            spec = flavour.spec_for(code)
            assert spec.parser is not spec.schema, spec.name


def test_compiled_parsers_agree_with_schemas(corpus_bodies):
    rng = random.Random(20240611)
    checked = 0
    for name, items in sorted(corpus_bodies.items()):
        for spec, body, params in items[:400]:
            for data in mutations(body, rng, 6):
                ok, value = parse(spec.parser, data, params)
                if not ok:
                    continue  # the reader then asks the schema
                checked += 1
                ok_schema, expected = parse(spec.schema, data, params)
                assert ok_schema, f"{name}: compiled parses {data.hex()} the schema refuses"
                assert shape(value) == shape(expected), f"{name}: {data.hex()}"
    assert checked > 1000


def test_corpus_is_read(corpus_bodies):
    assert {"TABLE_MAP_EVENT", "QUERY_EVENT", "GTID_LOG_EVENT", "WRITE_ROWS_EVENT",
            "WRITE_ROWS_EVENT_V1", "GTID_EVENT"} <= set(corpus_bodies)


def test_compiled_parsers_leave_no_cyclic_garbage(corpus_bodies):
    # Contexts that refer to themselves are freed only by the garbage collector,
    # whose runs then land on every few hundredth event.
    names = ["GTID_LOG_EVENT", "QUERY_EVENT", "TABLE_MAP_EVENT", "WRITE_ROWS_EVENT",
             "XID_EVENT", "GTID_EVENT", "WRITE_ROWS_EVENT_V1"]
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for name in names:
            for spec, body, params in corpus_bodies[name][:50]:
                binlog.decode_body(spec.parser, body, params)
            assert gc.collect() == 0, name
    finally:
        if enabled:
            gc.enable()
