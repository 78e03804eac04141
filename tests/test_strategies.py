"""The hypothesis strategies (mysqlproto.strategies): every binlog they make reads back,
round-trips byte for byte and decodes to its ground truth; every value they make for a
column survives its codec."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mysqlproto.binlog import read_binlog
from mysqlproto.craft import Column, decode_changes, value_round_trip
from mysqlproto.events import CorruptEvent, UnknownEvent
from mysqlproto.strategies import (
    binlogs,
    column_definitions,
    row_values,
    rows,
    tables,
    transactions,
)
from tests.test_craft import roundtrip_identical

FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

FLAVOURS = st.sampled_from(["mysql", "mariadb"])


@FAST
@given(binlogs())
def test_any_generated_binlog_reads_back_and_round_trips(crafted):
    events = list(read_binlog(crafted.data))
    assert len(events) == len(crafted.events)
    assert not any(isinstance(e, UnknownEvent | CorruptEvent) for e in events)
    assert roundtrip_identical(crafted.data) == len(crafted.events)


@FAST
@given(binlogs(flavour="mysql"))
def test_mysql_binlogs_decode_to_their_ground_truth_from_the_table_maps_alone(crafted):
    assert decode_changes(crafted.data) == crafted.changes


@FAST
@given(binlogs(flavour="mariadb"))
def test_mariadb_binlogs_decode_to_their_ground_truth(crafted):
    # UUID and INET columns travel as BINARY(n): the table definitions name them
    assert decode_changes(crafted.data, tables=crafted.tables) == crafted.changes


@FAST
@given(binlogs(flavour="mysql", row_image="MINIMAL", metadata="MINIMAL",
               max_rows_event_size=64))
def test_minimal_images_and_metadata_decode_with_the_table_definitions(crafted):
    assert decode_changes(crafted.data, tables=crafted.tables) == crafted.changes


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(FLAVOURS.flatmap(lambda f: st.tuples(st.just(f), column_definitions(f))).flatmap(
    lambda fc: st.tuples(st.just(fc[0]), st.just(fc[1]), row_values(fc[1], fc[0]))))
def test_generated_values_survive_their_column_codec(case):
    flavour, column, value = case
    if value is not None:
        assert value_round_trip(column, value, mariadb=flavour == "mariadb") == value


@FAST
@given(FLAVOURS.flatmap(lambda f: st.tuples(st.just(f), tables(f))))
def test_generated_tables_have_a_codec_for_every_column(case):
    flavour, table = case
    info = table.info(mariadb=flavour == "mariadb")
    assert len(set(table.column_names)) == len(table.columns)
    assert all(codec is not None for codec in info.codecs)


@FAST
@given(tables().flatmap(lambda t: st.tuples(st.just(t), rows(t), transactions(t))))
def test_rows_and_transactions_name_every_column(case):
    table, row, statements = case
    assert set(row) == set(table.column_names)
    for kind, items in statements:
        assert kind in ("insert", "update", "delete") and items
        for item in items:
            images = item if kind == "update" else (item,)
            assert all(set(image) == set(table.column_names) for image in images)


@FAST
@given(column_definitions(nullable=False).flatmap(
    lambda c: st.tuples(st.just(c), row_values(c))))
def test_not_null_columns_get_no_nulls(case):
    column, value = case
    assert isinstance(column, Column) and not column.nullable
    assert value is not None
