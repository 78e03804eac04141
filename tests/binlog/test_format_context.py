"""The format description in force drives how bodies are cut and read."""

from __future__ import annotations

import collections

from mysqlproto.binlog import FormatContext, read_binlog
from spec.binlog.events.fde import event_type_permutation
from tests.corpus import CORPUS, require_corpus


def test_pre_ga_development_tree_codes_are_permuted_as_the_server_does():
    # ver_5_1-wl2325_*: a 5.2.x-a_drop6 tree that numbered TABLE_MAP 16, its rows
    # events 17-19 and XID/BEGIN_LOAD_QUERY/EXECUTE_LOAD_QUERY 20-22.
    require_corpus()
    seen = collections.Counter()
    for name in ("ver_5_1-wl2325_r.001", "ver_5_1-wl2325_s.001"):
        for event in read_binlog(CORPUS / "blackbeam__rust_mysql_common" / name):
            seen[(event.type_code, event.name)] += 1
    assert (16, "TABLE_MAP_EVENT") in seen
    assert (17, "PRE_GA_WRITE_ROWS_EVENT") in seen
    assert (20, "XID_EVENT") in seen
    assert (22, "EXECUTE_LOAD_QUERY_EVENT") in seen


def test_permutation_applies_only_to_those_versions():
    assert event_type_permutation("5.2.1-a_drop6p10-log", 22) is not None
    assert event_type_permutation("5.1.3-a_drop5p17", 22) is not None
    assert event_type_permutation("5.1.22-rc-log", 22) is None
    assert event_type_permutation("5.2.1-a_drop6p10-log", 27) is None


def test_post_header_lengths_come_from_the_fde():
    ctx = FormatContext(post_header_lengths=[56, 13, 0, 8])
    assert ctx.params(2)["post_header_len"] == 13
    assert ctx.params(4)["post_header_len"] == 8
    assert ctx.params(30)["post_header_len"] is None


def test_old_binlog_versions_have_their_implied_tables():
    v1 = FormatContext.for_old_binlog(1)
    v3 = FormatContext.for_old_binlog(3)
    assert (v1.header_len, v3.header_len) == (13, 19)
    assert v1.post_header_len(4) == 0 and v3.post_header_len(4) == 8  # ROTATE_EVENT
    assert v1.post_header_len(2) == 11  # QUERY_EVENT without status variables


def test_spec_for_follows_a_change_of_flavour_or_permutation():
    from mysqlproto.registry import MARIADB, MYSQL

    ctx = FormatContext(flavour=MYSQL)
    assert ctx.spec_for(2).name == "QUERY_EVENT" and ctx.spec_for(162) is None
    ctx.flavour = MARIADB  # the lookups made under MySQL are not reused
    assert ctx.spec_for(162).name == "GTID_EVENT"
    ctx.permutation = tuple(range(16)) + (19,)  # code 16 read as TABLE_MAP (19)
    assert ctx.spec_for(16).name == "TABLE_MAP_EVENT"
    ctx.permutation = None
    assert ctx.spec_for(16).name != "TABLE_MAP_EVENT"
