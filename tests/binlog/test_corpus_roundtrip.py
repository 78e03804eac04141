"""Every event of every well-formed corpus file round-trips byte-exact."""

from __future__ import annotations

import pytest

from mysqlproto.binlog import BinlogWriter, encode_event, read_binlog
from mysqlproto.events import UnknownEvent
from tests.corpus import good_files, rel, require_corpus

FILES = good_files()


@pytest.mark.parametrize("path", FILES, ids=[rel(p) for p in FILES])
def test_corpus_file_round_trips_byte_exact(path):
    require_corpus()
    writer = BinlogWriter()
    writer.begin()
    count = 0
    for event in read_binlog(path, keep_raw=True):
        assert not isinstance(event, UnknownEvent), f"{event.name} at {event.offset} undecoded"
        assert writer.encode(event) == event.raw, f"{event.name} at {event.offset}"
        for inner in event.inner or ():
            assert encode_event(inner, writer.context.without_checksums(), None) == inner.raw
        count += 1
    assert count > 0


def test_corpus_present():
    require_corpus()
    assert len(FILES) >= 90
