"""GTID sets: MySQL GtidSet and MariaDB MariaGtidList."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mysqlproto.errors import DecodeError, UsageError
from mysqlproto.gtid import (
    MAX_GNO,
    Gtid,
    GtidEncodingError,
    GtidSet,
    MariaGtid,
    MariaGtidList,
)

U1 = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
U2 = "8a94f357-aab4-11df-86ab-c80aa9429562"


# -- MySQL text -------------------------------------------------------------------


def test_parse_and_format_the_canonical_example():
    text = f"{U1}:1-5:11-18:tag1:3-7"
    gtids = GtidSet(text)
    assert str(gtids) == text
    assert gtids.count() == 5 + 8 + 5
    assert gtids.as_dict() == {(uuid.UUID(U1), None): [(1, 5), (11, 18)],
                               (uuid.UUID(U1), "tag1"): [(3, 7)]}


def test_text_is_normalized():
    messy = (f"  {U2.upper()} : 7 : 1-3 , ,{U1}:TAG_b:5:Tag_A:1-2:5-4 ,"
             f"{U1}: 4-6:1-3 , {U1}:tag_a:3\n")
    assert str(GtidSet(messy)) == f"{U1}:1-6:tag_a:1-3:tag_b:5,{U2}:1-3:7"
    # a reversed range adds nothing, as in the server
    assert GtidSet(f"{U1}:5-4") == GtidSet()


def test_empty_text_and_separator():
    assert GtidSet("") == GtidSet(" , ,") == GtidSet()
    assert str(GtidSet()) == ""
    assert GtidSet(f"{U1}:1,{U2}:2").to_text(separator=",\n") == f"{U1}:1,\n{U2}:2"


def test_a_uuid_or_tag_without_intervals_adds_nothing():
    assert GtidSet(f"{U1}") == GtidSet(f"{U1}:tag") == GtidSet()


@pytest.mark.parametrize("text, reason", [
    ("not-a-uuid:1", "expected a UUID"),
    (f"{U1}:0", "GNO 0"),
    (f"{U1}:", "expected a number"),
    (f"{U1}:1-", "expected a number"),
    (f"{U1}:{MAX_GNO + 1}", "GNO over"),
    (f"{U1}:{'t' * 33}:1", "longer than 32"),
    (f"{U1}:1:9tag:1", "expected ','"),
    (f"{U1}:tag-x:1", "after the tag"),
    (f"{U1}:1 2", "expected ','"),
    (f"{U1}:0x10", "GNO 0"),  # the server's strtoll(base 0) would read 16
])
def test_bad_text_is_a_usage_error(text, reason):
    with pytest.raises(UsageError, match=reason):
        GtidSet(text)


def test_largest_gno_and_tag():
    tag = "_" + "a" * 31
    gtids = GtidSet(f"{U1}:{tag}:{MAX_GNO}")
    assert Gtid(uuid.UUID(U1), MAX_GNO, tag) in gtids


def test_gtid_parse_and_str():
    gtid = Gtid.parse(f"{U1.upper()}:Tag:42")
    assert gtid == Gtid(uuid.UUID(U1), 42, "tag")
    assert str(gtid) == f"{U1}:tag:42"
    assert str(Gtid.parse(f" {U1} : 7 ")) == f"{U1}:7"
    for bad in [f"{U1}", f"{U1}::1", f"{U1}:x", f"{U1}:0", f"{U1}:1:2:3"]:
        with pytest.raises(UsageError):
            Gtid.parse(bad)


# -- MySQL binary -----------------------------------------------------------------

UNTAGGED = bytes.fromhex(
    "0100000000000000"    # n_sids = 1, untagged format
    "3e11fa4771ca11e19e33c80aa9429562"
    "0200000000000000"    # n_intervals = 2
    "0100000000000000" "0600000000000000"   # [1, 6)
    "0b00000000000000" "1300000000000000"   # [11, 19)
)

TAGGED = bytes.fromhex(
    "01" "020000000000" "01"  # tagged format, n_sids = 2
    "3e11fa4771ca11e19e33c80aa9429562" "00"   # untagged entry: empty tag
    "0100000000000000" "0100000000000000" "0600000000000000"
    "3e11fa4771ca11e19e33c80aa9429562" "08" "74616731"  # tag "tag1"
    "0100000000000000" "0300000000000000" "0800000000000000"
)


def test_binary_untagged():
    gtids = GtidSet(f"{U1}:1-5:11-18")
    assert gtids.to_binary() == UNTAGGED
    assert GtidSet.from_binary(UNTAGGED) == gtids


def test_binary_tagged_when_a_tag_is_present():
    gtids = GtidSet(f"{U1}:1-5:tag1:3-7")
    assert gtids.to_binary() == TAGGED
    assert GtidSet.from_binary(TAGGED) == gtids


def test_binary_empty_set():
    assert GtidSet().to_binary() == bytes(8)
    assert GtidSet.from_binary(bytes(8)) == GtidSet()


def _intervals_encoding(*pairs):
    body = b"".join(s.to_bytes(8, "little") + e.to_bytes(8, "little") for s, e in pairs)
    return (bytes.fromhex("0100000000000000") + uuid.UUID(U1).bytes
            + len(pairs).to_bytes(8, "little") + body)


@pytest.mark.parametrize("pairs", [
    [(0, 5)],             # GNO 0
    [(5, 5)],             # empty interval
    [(1, 5), (5, 9)],     # adjacent: [1,5) and [5,9) must have been one
    [(3, 9), (1, 2)],     # not ascending
    [(1, 2**63)],         # past INT64_MAX - 1
])
def test_binary_interval_rules(pairs):
    with pytest.raises(GtidEncodingError, match="interval"):
        GtidSet.from_binary(_intervals_encoding(*pairs))


def test_binary_duplicate_entries_merge():
    data = (bytes.fromhex("0200000000000000")
            + _intervals_encoding((1, 3))[8:] + _intervals_encoding((3, 5))[8:])
    assert GtidSet.from_binary(data) == GtidSet(f"{U1}:1-4")


@pytest.mark.parametrize("data", [
    UNTAGGED + b"\x00",                   # trailing bytes
    UNTAGGED[:-1],                        # truncated
    bytes.fromhex("0000000000000002"),    # unknown format
    TAGGED.replace(b"\x08tag1", b"\x089ag1"),  # a tag may not start with a digit
])
def test_bad_binary_is_a_decode_error(data):
    with pytest.raises(DecodeError):
        GtidSet.from_binary(data)


def test_binary_tag_is_lowercased_like_the_server():
    assert GtidSet.from_binary(TAGGED.replace(b"tag1", b"TAG1")) == GtidSet(f"{U1}:1-5:tag1:3-7")


# -- MySQL algebra ----------------------------------------------------------------


def test_set_operations():
    a = GtidSet(f"{U1}:1-10:t:1-5,{U2}:1-3")
    b = GtidSet(f"{U1}:5-15:t:5")
    assert str(a | b) == f"{U1}:1-15:t:1-5,{U2}:1-3"
    assert str(a - b) == f"{U1}:1-4:t:1-4,{U2}:1-3"
    assert str(a & b) == f"{U1}:5-10:t:5"
    assert str(a - f"{U1}:3-4") == f"{U1}:1-2:5-10:t:1-5,{U2}:1-3"
    assert a.contains(f"{U1}:t:2-3") and not a.contains(f"{U1}:t:2-6")
    assert f"{U2}:2" in a and Gtid.parse(f"{U1}:11") not in a
    assert GtidSet(f"{U1}:2-3") <= a and a >= f"{U1}:2-3"


def test_add_and_update():
    gtids = GtidSet()
    gtids.add(f"{U1}:3")
    gtids.add(Gtid.of(U1, 4))
    gtids.add(f"{U1}:t:1")
    gtids.update(f"{U1}:1-2")
    assert str(gtids) == f"{U1}:1-4:t:1"
    assert len(gtids) == 5


def test_equality_with_text_and_hashing():
    assert GtidSet(f"{U1}:1-3") == f"{U1}:1:2:3"
    with pytest.raises(TypeError):
        hash(GtidSet())


def test_bad_arguments_are_usage_errors():
    with pytest.raises(UsageError):
        GtidSet({(U1, None): [(0, 3)]})
    with pytest.raises(UsageError):
        GtidSet({(U1, "9x"): [(1, 3)]})
    with pytest.raises(UsageError):
        GtidSet(42)
    with pytest.raises(UsageError):
        GtidSet().contains(42)


# -- MySQL properties -------------------------------------------------------------

SIDS = [uuid.UUID(U1), uuid.UUID(U2), uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]
TAGS = [None, "a", "tag1", "_x_9"]
gnos = st.integers(1, 60) | st.integers(MAX_GNO - 5, MAX_GNO)


@st.composite
def gtid_sets(draw):
    mapping = {}
    for _ in range(draw(st.integers(0, 4))):
        key = (draw(st.sampled_from(SIDS)), draw(st.sampled_from(TAGS)))
        ranges = draw(st.lists(st.tuples(gnos, gnos).map(sorted).map(tuple), max_size=4))
        mapping.setdefault(key, []).extend(ranges)
    return GtidSet(mapping)


gtids = st.builds(Gtid, st.sampled_from(SIDS), gnos, st.sampled_from(TAGS))


@given(gtid_sets())
def test_text_round_trip(a):
    assert GtidSet(str(a)) == a
    assert str(GtidSet(str(a))) == str(a)
    assert GtidSet(a.to_text(separator=",\n")) == a


@given(gtid_sets())
def test_binary_round_trip(a):
    data = a.to_binary()
    assert GtidSet.from_binary(data) == a
    assert GtidSet.from_binary(data).to_binary() == data


@given(gtid_sets(), gtid_sets(), gtid_sets())
def test_algebra_laws(a, b, c):
    assert a | b == b | a
    assert (a | b) | c == a | (b | c)
    assert a & b == b & a
    assert a <= a | b and b <= a | b
    assert (a - b) & b == GtidSet()
    assert (a - b) | (a & b) == a
    assert a.contains(b) == (a | b == a)
    assert a.contains(b) == (b - a == GtidSet())
    assert (a | b).count() == a.count() + b.count() - (a & b).count()


@given(gtid_sets(), gtids)
def test_add_agrees_with_contains(a, gtid):
    before = gtid in a
    b = GtidSet(a)
    b.add(gtid)
    assert gtid in b
    assert b.count() == a.count() + (0 if before else 1)
    assert a <= b


# -- MariaDB ----------------------------------------------------------------------


def test_maria_parse_and_format():
    pos = MariaGtidList(" 1-2-5 , 0-1-100")
    assert str(pos) == "0-1-100,1-2-5"
    assert list(pos) == [MariaGtid(0, 1, 100), MariaGtid(1, 2, 5)]
    assert pos.get(1) == MariaGtid(1, 2, 5) and pos.get(7) is None
    assert MariaGtidList("") == MariaGtidList() and not MariaGtidList()
    assert str(MariaGtid.parse("4294967295-4294967295-18446744073709551615")) == \
        "4294967295-4294967295-18446744073709551615"


@pytest.mark.parametrize("text", ["0-1", "0-1-2-3", "a-1-2", "0-1-2,", "0--1-2",
                                  "4294967296-1-1", "0-1-18446744073709551616",
                                  "0-1-2,0-3-4"])
def test_maria_bad_text(text):
    with pytest.raises(UsageError):
        MariaGtidList(text)


def test_maria_duplicate_domain_names_both_gtids():
    with pytest.raises(UsageError, match="duplicate domain id 0"):
        MariaGtidList("0-1-2,0-3-4")


def test_maria_contains_compares_seq_no_per_domain():
    pos = MariaGtidList("0-1-100,1-2-5")
    assert pos.contains("0-1-100")
    assert pos.contains("0-9-50")         # another server, earlier in the domain
    assert not pos.contains("0-1-101")
    assert not pos.contains("2-1-1")      # a domain this position has not seen
    assert pos.contains("")
    assert MariaGtid(1, 2, 5) in pos


def test_maria_union_difference_and_add():
    a = MariaGtidList("0-1-100,1-2-5")
    b = MariaGtidList("0-3-101,2-1-1,1-1-4")
    assert str(a | b) == "0-3-101,1-2-5,2-1-1"
    assert str(a - b) == "1-2-5"
    assert str(b - a) == "0-3-101,2-1-1"
    a.add("1-7-6")
    a.add(MariaGtid(0, 1, 1))  # older: ignored
    assert str(a) == "0-1-100,1-7-6"


def test_maria_equal_seq_no_from_different_servers():
    a, b = MariaGtidList("0-1-5"), MariaGtidList("0-2-5")
    assert a.conflicts(b) == [(MariaGtid(0, 1, 5), MariaGtid(0, 2, 5))]
    assert a | b == b | a == b  # the higher server id, so union commutes
    assert a.contains(b) and b.contains(a)  # seq_no alone orders a domain


maria_gtids = st.builds(MariaGtid, st.integers(0, 3), st.integers(0, 3), st.integers(0, 20))


@st.composite
def maria_lists(draw):
    by_domain = {}
    for gtid in draw(st.lists(maria_gtids, max_size=5)):
        by_domain.setdefault(gtid.domain_id, gtid)
    return MariaGtidList(by_domain.values())


@given(maria_lists())
def test_maria_text_round_trip(a):
    assert MariaGtidList(str(a)) == a


@given(maria_lists(), maria_lists(), maria_lists())
def test_maria_laws(a, b, c):
    assert a | b == b | a
    assert (a | b) | c == a | (b | c)
    assert (a | b).contains(a) and (a | b).contains(b)
    assert a.contains(b) == a.contains(a | b)
    # nothing left in a - b is reached by b
    assert not any(b.contains(gtid) for gtid in a - b)
    # what b has not reached is all that keeps b | a from b
    assert b.contains(a) == (not (a - b))


@given(maria_lists(), maria_gtids)
def test_maria_add_is_union_with_one(a, gtid):
    b = MariaGtidList(a)
    b.add(gtid)
    assert b == a | MariaGtidList([gtid])
    assert b.contains(gtid)
