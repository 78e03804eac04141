"""Packet framing: headers, large payloads, the sans-IO reader, compression."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.protocol.constants import MAX_PACKET_LENGTH
from spec.protocol.framing import (
    ZLIB,
    Codec,
    CompressedPacketError,
    CompressedPacketHeader,
    CompressedPacketReader,
    Packet,
    PacketHeader,
    PacketReader,
    PacketSequenceError,
    PacketTooLargeError,
    compress_packets,
    frame,
    split_packets,
)
from tests.protocol.strategies import assert_value_round_trips


def big_payload(size: int) -> bytes:
    """Deterministic, not all-zero bytes (so a misplaced chunk would show)."""
    block = bytes(range(251))  # a prime period: chunk boundaries never align with it
    return (block * (size // len(block) + 1))[:size]


def feed_one_byte_at_a_time(reader, data: bytes) -> list:
    out = []
    for i in range(len(data)):
        reader.feed(data[i:i + 1])
        packet = reader.next_packet()
        if packet is not None:
            out.append(packet)
    return out


# -- annotated vectors ------------------------------------------------------------


def test_com_ping_packet_header():
    data = bytes.fromhex(
        "010000"  # payload_length = 1
        "00"      # sequence_id = 0
        "0e"      # payload: COM_PING
    )
    assert frame(b"\x0e") == data
    assert Packet.parse(data) == {"payload_length": 1, "sequence_id": 0, "payload": b"\x0e"}
    assert PacketReader().read_all(data) == [(0, b"\x0e")]


def test_empty_payload_is_one_empty_packet():
    assert split_packets(b"", seq=5) == [bytes.fromhex("000000" "05")]


def test_packet_schema_round_trips_and_computes_length():
    assert Packet.build({"payload_length": None, "sequence_id": 3, "payload": b"abc"}) == \
        b"\x03\x00\x00\x03abc"
    assert_value_round_trips(Packet, {"payload_length": 3, "sequence_id": 255, "payload": b"xyz"})


@given(st.integers(0, MAX_PACKET_LENGTH), st.integers(0, 255), st.integers(0, MAX_PACKET_LENGTH))
def test_headers_round_trip(length, seq, original):
    assert_value_round_trips(PacketHeader, {"payload_length": length, "sequence_id": seq})
    assert_value_round_trips(CompressedPacketHeader, {
        "compressed_length": length, "compressed_sequence_id": seq,
        "uncompressed_length": original})


@given(st.binary(max_size=100), st.integers(0, 255))
def test_packet_round_trips(payload, seq):
    assert_value_round_trips(Packet, {"payload_length": len(payload), "sequence_id": seq,
                                      "payload": payload})


def test_sequence_id_wraps_at_256():
    packets = split_packets(big_payload(2 * MAX_PACKET_LENGTH + 1), seq=255)
    assert [p[3] for p in packets] == [255, 0, 1]


# -- large payloads ---------------------------------------------------------------


@pytest.mark.slow
def test_payload_of_exactly_0xffffff_bytes_is_followed_by_an_empty_packet():
    payload = big_payload(MAX_PACKET_LENGTH)
    packets = split_packets(payload, seq=7)
    assert len(packets) == 2
    assert packets[0][:4] == bytes.fromhex("ffffff" "07")
    assert packets[1] == bytes.fromhex("000000" "08")  # the empty terminator packet
    data = b"".join(packets) + frame(b"next", seq=9)
    reader = PacketReader()
    assert feed_one_byte_at_a_time(reader, data) == [(7, payload), (9, b"next")]
    assert reader.buffered == 0


@pytest.mark.slow
def test_payload_over_16_mib_fed_one_byte_at_a_time():
    payload = big_payload(MAX_PACKET_LENGTH + 1000)
    data = frame(payload, seq=0)
    assert [len(p) for p in split_packets(payload)] == [4 + MAX_PACKET_LENGTH, 4 + 1000]
    reader = PacketReader()
    got = feed_one_byte_at_a_time(reader, data)
    assert len(got) == 1
    assert got[0][0] == 0 and got[0][1] == payload
    assert reader.next_seq == 2


def test_payload_of_two_full_packets_fed_whole_with_trailing_bytes():
    payload = big_payload(2 * MAX_PACKET_LENGTH)
    data = frame(payload, seq=1) + b"\x05\x00"  # a partial header trails
    reader = PacketReader()
    got = reader.read_all(data)
    assert [(seq, len(p)) for seq, p in got] == [(1, 2 * MAX_PACKET_LENGTH)]
    assert got[0][1] == payload
    assert reader.buffered == 2
    assert reader.next_seq == 4  # three packets: 1, 2, 3


def test_reader_refuses_a_payload_over_its_bound_before_buffering_it():
    reader = PacketReader(max_payload=100)
    reader.feed(bytes.fromhex("650000" "00"))  # declares 101 bytes
    with pytest.raises(PacketTooLargeError, match="exceeds 100"):
        reader.next_packet()


def test_reader_bound_counts_the_joined_payload():
    reader = PacketReader(max_payload=MAX_PACKET_LENGTH + 10)
    reader.feed(bytes.fromhex("ffffff" "00"))
    reader.feed(bytes(MAX_PACKET_LENGTH))
    assert reader.next_packet() is None
    reader.feed(bytes.fromhex("0b0000" "01"))  # 11 more: one over the bound
    with pytest.raises(PacketTooLargeError):
        reader.next_packet()


def test_continuation_packet_with_wrong_sequence_id_is_an_error():
    reader = PacketReader()
    reader.feed(bytes.fromhex("ffffff" "00") + bytes(MAX_PACKET_LENGTH))
    reader.feed(bytes.fromhex("010000" "05" "aa"))  # expected sequence id 1
    with pytest.raises(PacketSequenceError, match="expected 1"):
        reader.next_packet()


def test_expected_sequence_id_is_checked_when_set():
    reader = PacketReader()
    reader.expected_seq = 1
    reader.feed(bytes.fromhex("010000" "02" "00"))
    with pytest.raises(PacketSequenceError):
        reader.next_packet()


@given(st.lists(st.binary(max_size=300), max_size=5), st.integers(0, 255),
       st.integers(1, 50))
def test_split_then_read_gives_the_payloads_back(payloads, seq, chunk):
    data = b"".join(frame(p, seq) for p in payloads)
    reader = PacketReader()
    out = []
    for start in range(0, len(data), chunk):
        out.extend(reader.read_all(data[start:start + chunk]))
    assert out == [(seq, p) for p in payloads]


# -- compressed protocol -----------------------------------------------------------


def test_compressed_packet_header_vector():
    # https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_compression.html:
    # a COM_QUERY too short to be worth compressing is sent as is.
    plain = frame(b"\x03select 1")
    (packet,) = compress_packets(plain)
    assert packet[:7] == bytes.fromhex(
        "0d0000"  # compressed_length = 13 (the stored bytes)
        "00"      # compressed_sequence_id
        "000000"  # uncompressed_length = 0: not compressed
    )
    assert CompressedPacketHeader.parse(packet) == {
        "compressed_length": 13, "compressed_sequence_id": 0, "uncompressed_length": 0}
    assert packet[7:] == plain


def test_compressed_round_trip_into_plain_packets():
    payloads = [b"\x03" + b"select repeat('a', 1000)" * 20, b"\x0e", big_payload(70000)]
    plain = b"".join(frame(p, i) for i, p in enumerate(payloads))
    wire = b"".join(compress_packets(plain, seq=3))
    assert wire[4:7] != b"\0\0\0"  # compressed
    comp = CompressedPacketReader()
    comp.feed(wire)
    seqs, chunks = zip(*comp, strict=True)
    assert seqs == (3,)
    reader = PacketReader()
    got = [p for chunk in chunks for p in reader.read_all(chunk)]
    assert got == list(enumerate(payloads))


@pytest.mark.slow
def test_compressed_round_trip_of_a_large_payload_one_byte_at_a_time():
    payload = big_payload(MAX_PACKET_LENGTH + 10)
    plain = frame(payload)
    wire = b"".join(compress_packets(plain))
    comp = CompressedPacketReader()
    chunks = feed_one_byte_at_a_time(comp, wire)
    assert [seq for seq, _ in chunks] == [0, 1]  # 0xffffff bytes of plain data each at most
    reader = PacketReader()
    assert [p for _, c in chunks for p in reader.read_all(c)] == [(0, payload)]


def test_incompressible_data_is_stored():
    assert compress_packets(b"") == [bytes.fromhex("000000" "00" "000000")]
    noise = zlib.compress(big_payload(5000))  # already compressed: does not shrink
    (packet,) = compress_packets(noise)
    assert packet[4:7] == b"\0\0\0" and packet[7:] == noise


def test_compressed_packet_lying_about_its_length_is_an_error():
    body = zlib.compress(b"a" * 100)
    reader = CompressedPacketReader()
    reader.feed(len(body).to_bytes(3, "little") + b"\x00" + (50).to_bytes(3, "little") + body)
    with pytest.raises(CompressedPacketError, match="does not end after 50"):
        reader.next_packet()


def test_pluggable_codec():
    calls = []

    def compress(data):
        calls.append(len(data))
        return zlib.compress(data, 9)

    codec = Codec("test", compress, ZLIB.decompress)
    wire = b"".join(compress_packets(frame(b"x" * 500), codec=codec))
    reader = CompressedPacketReader(codec)
    reader.feed(wire)
    assert [data for _, data in reader] == [frame(b"x" * 500)]
    assert calls == [504]


def test_codec_errors_are_wrapped():
    def broken(data, length):
        raise RuntimeError("boom")

    reader = CompressedPacketReader(Codec("zstd", zlib.compress, broken))
    reader.feed(b"\x01\x00\x00\x00\x05\x00\x00x")
    with pytest.raises(CompressedPacketError, match="zstd: boom"):
        reader.next_packet()


@settings(max_examples=50)
@given(st.binary(max_size=2000), st.integers(0, 255), st.integers(0, 100))
def test_compress_then_read_round_trips(data, seq, min_length):
    reader = CompressedPacketReader()
    reader.feed(b"".join(compress_packets(data, seq, min_length=min_length)))
    assert b"".join(chunk for _, chunk in reader) == data
