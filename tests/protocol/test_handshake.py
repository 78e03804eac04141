"""Connection phase packets: annotated vectors and round-trip properties."""

from __future__ import annotations

import pytest
from construct import ConstructError, GreedyRange
from hypothesis import given
from hypothesis import strategies as st

from spec.protocol.constants import Capability as C
from spec.protocol.fields import KeyValue
from spec.protocol.handshake import (
    AuthMoreData,
    AuthNextFactor,
    AuthSwitchRequest,
    AuthSwitchResponse,
    HandshakeResponse41,
    HandshakeResponse320,
    HandshakeV9,
    HandshakeV10,
    OldAuthSwitchRequest,
    SSLRequest,
    client_capabilities,
    server_capabilities,
)
from tests.protocol.strategies import (
    assert_bytes_round_trip,
    assert_value_round_trips,
    capabilities,
    nul_bytes,
    nul_text,
    raw,
    text,
    u8,
    u16,
    u24,
    u32,
)

# -- HandshakeV10 ---------------------------------------------------------------------

HANDSHAKE_55 = bytes.fromhex(
    # page_protocol_connection_phase_packets_protocol_handshake_v10, MySQL 5.5.2 example
    "0a"                          # protocol_version = 10
    "352e352e322d6d3200"          # server_version = "5.5.2-m2"
    "0b000000"                    # thread_id = 11
    "64764840492d434a"            # auth_plugin_data_part_1
    "00"                          # filler
    "fff7"                        # capability_flags_1 = 0xf7ff
    "08"                          # character_set = 8 (latin1_swedish_ci)
    "0200"                        # status_flags = SERVER_STATUS_AUTOCOMMIT
    "0000"                        # capability_flags_2 = 0
    "00"                          # auth_plugin_data_len = 0 (no CLIENT_PLUGIN_AUTH)
    "000000000000" "00000000"     # reserved (10 bytes)
    "2a34647c635a776b345e5d3a00"  # auth_plugin_data_part_2: 12 bytes and a NUL
)

HANDSHAKE_80 = bytes.fromhex(
    "0a"                                              # protocol_version
    "382e302e333200"                                  # "8.0.32"
    "0b000000"                                        # thread_id
    "6c2d6b425c4a5a4c"                                # auth_plugin_data_part_1
    "00"                                              # filler
    "ffff"                                            # capability_flags_1
    "ff"                                              # character_set = 255
    "0200"                                            # status_flags
    "ffdf"                                            # capability_flags_2
    "15"                                              # auth_plugin_data_len = 21
    "000000000000" "00000000"                         # reserved
    "4c7c303e2e0a1b47266f5d0500"                      # auth_plugin_data_part_2 (13)
    "63616368696e675f736861325f70617373776f726400"    # "caching_sha2_password" NUL
)

HANDSHAKE_MARIADB = bytes.fromhex(
    "0a"
    "352e352e352d31302e31312e362d4d61726961444200"    # "5.5.5-10.11.6-MariaDB"
    "05000000"                                        # thread_id = 5
    "3132333435363738"                                # auth_plugin_data_part_1
    "00"
    "fef7"                                            # capability_flags_1: CLIENT_MYSQL clear
    "2d"                                              # character_set = 45
    "0200"                                            # status_flags
    "ffa1"                                            # capability_flags_2
    "15"                                              # auth_plugin_data_len = 21
    "000000000000"                                    # reserved (6 bytes in MariaDB)
    "1d000000"                                        # MariaDB capabilities 32-63: PROGRESS,
                                                      # STMT_BULK_OPERATIONS, EXTENDED_METADATA,
                                                      # CACHE_METADATA
    "393031323334353637383930" "00"                   # auth_plugin_data_part_2
    "6d7973716c5f6e61746976655f70617373776f726400"    # "mysql_native_password"
)


def test_handshake_v10_mysql_55():
    value = assert_bytes_round_trip(HandshakeV10, HANDSHAKE_55)
    assert value.server_version == "5.5.2-m2"
    assert value.thread_id == 11
    assert value.auth_plugin_data_len == 0
    assert value.auth_plugin_data_part_1 + value.auth_plugin_data_part_2 == \
        b"dvH@I-CJ*4d|cZwk4^]:\x00"
    assert value.auth_plugin_name is None  # no CLIENT_PLUGIN_AUTH
    assert server_capabilities(value) == 0xF7FF


def test_handshake_v10_mysql_80():
    value = assert_bytes_round_trip(HandshakeV10, HANDSHAKE_80)
    assert value.auth_plugin_name == "caching_sha2_password"
    assert value.auth_plugin_name_nul is True
    assert server_capabilities(value) == 0xDFFFFFFF


def test_handshake_v10_mariadb_extended_capabilities():
    value = assert_bytes_round_trip(HandshakeV10, HANDSHAKE_MARIADB)
    caps = server_capabilities(value)
    assert not caps & C.CLIENT_LONG_PASSWORD  # CLIENT_MYSQL clear
    assert caps & C.MARIADB_CLIENT_PROGRESS
    assert caps & C.MARIADB_CLIENT_CACHE_METADATA
    assert not caps & C.MARIADB_CLIENT_BULK_UNIT_RESULTS


def test_handshake_v10_plugin_name_without_nul():
    # MySQL 5.5.7-5.5.9 ended the packet without the name's NUL (bug #59453)
    data = HANDSHAKE_80[:-1]
    value = assert_bytes_round_trip(HandshakeV10, data)
    assert value.auth_plugin_name == "caching_sha2_password"
    assert value.auth_plugin_name_nul is False


def test_handshake_v10_computes_auth_plugin_data_len():
    value = HandshakeV10.parse(HANDSHAKE_80)
    value.auth_plugin_data_len = None
    assert HandshakeV10.build(value) == HANDSHAKE_80


def test_handshake_v10_pre_41_stops_after_capabilities():
    data = HANDSHAKE_55[:25]  # through capability_flags_1
    value = assert_bytes_round_trip(HandshakeV10, data)
    assert value.character_set is value.status_flags is value.auth_plugin_data_part_2 is None


def test_handshake_v9():
    data = bytes.fromhex("09" "332e32302e333200" "01000000" "4142434400")
    value = assert_bytes_round_trip(HandshakeV9, data)
    assert (value.server_version, value.thread_id, value.scramble) == ("3.20.32", 1, b"ABCD")


@st.composite
def handshakes_v10(draw):
    value = {
        "protocol_version": 10,
        "server_version": draw(nul_text),
        "thread_id": draw(u32),
        "auth_plugin_data_part_1": draw(st.binary(min_size=8, max_size=8)),
        "filler": draw(u8),
        "capability_flags_1": draw(u16),
        "character_set": None, "status_flags": None, "capability_flags_2": None,
        "auth_plugin_data_len": None, "reserved": None, "mariadb_capabilities": None,
        "auth_plugin_data_part_2": None, "auth_plugin_name": None,
        "auth_plugin_name_nul": None, "extra": b"",
    }
    if not draw(st.booleans()):
        return value
    value.update(character_set=draw(u8), status_flags=draw(u16),
                 capability_flags_2=draw(u16), reserved=draw(st.binary(min_size=6, max_size=6)),
                 mariadb_capabilities=draw(u32))
    caps = value["capability_flags_1"] | value["capability_flags_2"] << 16
    if caps & C.CLIENT_PLUGIN_AUTH:
        part_2 = draw(st.binary(min_size=13, max_size=40))
        value["auth_plugin_data_len"] = 8 + len(part_2)
    else:
        part_2 = draw(st.binary(min_size=13, max_size=13))
        value["auth_plugin_data_len"] = 0
    if caps & C.CLIENT_SECURE_CONNECTION:
        value["auth_plugin_data_part_2"] = part_2
    if caps & C.CLIENT_PLUGIN_AUTH:
        value["auth_plugin_name"] = draw(nul_text)
        value["auth_plugin_name_nul"] = True
        if draw(st.booleans()):
            value["extra"] = draw(raw)
    return value


@given(handshakes_v10())
def test_handshake_v10_round_trips(value):
    assert_value_round_trips(HandshakeV10, value)


@given(nul_text, u32, nul_bytes)
def test_handshake_v9_round_trips(version, thread_id, scramble):
    assert_value_round_trips(HandshakeV9, {"protocol_version": 9, "server_version": version,
                                           "thread_id": thread_id, "scramble": scramble})


# -- client replies ----------------------------------------------------------------

RESPONSE_41 = bytes.fromhex(
    # page_protocol_connection_phase_packets_protocol_handshake_response example
    "8da60f00"                                  # client_flag: PROTOCOL_41, SECURE_CONNECTION,
                                                # CONNECT_WITH_DB, PLUGIN_AUTH...
    "00000001"                                  # max_packet_size = 16 MiB
    "08"                                        # character_set = latin1
    "00000000000000000000000000000000000000"    # filler (19)
    "00000000"                                  # filler (MariaDB: extended capabilities)
    "70616d00"                                  # username = "pam"
    "14"                                        # auth_response length = 20 (1 byte)
    "ab09eef6bcb1323e61143865c0991d957d75d447"  # auth_response
    "7465737400"                                # database = "test"
    "6d7973716c5f6e61746976655f70617373776f726400"  # client_plugin_name
)


def test_handshake_response_41_doc_example():
    value = assert_bytes_round_trip(HandshakeResponse41, RESPONSE_41)
    assert value.client_flag == 0x000FA68D
    assert (value.username, value.database) == ("pam", "test")
    assert len(value.auth_response) == 20
    assert value.client_plugin_name == "mysql_native_password"
    assert value.connect_attrs is None and value.zstd_compression_level is None


def test_handshake_response_41_lenenc_auth_attrs_and_zstd():
    data = bytes.fromhex(
        "00823804"                 # client_flag: PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH,
                                   # CONNECT_ATTRS, PLUGIN_AUTH_LENENC_CLIENT_DATA, ZSTD
        "00000040"                 # max_packet_size = 1 GiB
        "ff"                       # character_set = 255
        + "00" * 23 +              # filler
        "726f6f7400"               # username = "root"
        "20" + bytes(range(32)).hex() +  # auth_response: lenenc length 32, then 32 bytes
        "63616368696e675f736861325f70617373776f726400"  # client_plugin_name
        "15"                       # connect_attrs_length = 21
        "045f706964" "053132333435"  # "_pid" = "12345"
        "035f6f73" "054c696e7578"    # "_os" = "Linux"
        "03"                       # zstd_compression_level = 3
    )
    value = assert_bytes_round_trip(HandshakeResponse41, data)
    assert value.client_flag == (C.CLIENT_PROTOCOL_41 | C.CLIENT_SECURE_CONNECTION
                                 | C.CLIENT_PLUGIN_AUTH | C.CLIENT_CONNECT_ATTRS
                                 | C.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
                                 | C.CLIENT_ZSTD_COMPRESSION_ALGORITHM)
    assert value.auth_response == bytes(range(32))
    assert [(a.key, a.value) for a in value.connect_attrs] == [("_pid", "12345"),
                                                               ("_os", "Linux")]
    assert value.zstd_compression_level == 3
    # an edited attribute list gets its length recomputed when the length is None
    value.connect_attrs_length = None
    value.connect_attrs.append({"key": "program_name", "value": "mysql"})
    rebuilt = HandshakeResponse41.parse(HandshakeResponse41.build(value))
    assert rebuilt.connect_attrs_length == 21 + 13 + 6


def test_handshake_response_41_mariadb_extended_capabilities():
    value = HandshakeResponse41.parse(RESPONSE_41)
    value.client_flag &= ~C.CLIENT_LONG_PASSWORD  # CLIENT_MYSQL clear
    value.mariadb_capabilities = 0x1D
    data = HandshakeResponse41.build(value)
    assert data[28:32] == bytes.fromhex("1d000000")  # last 4 bytes of MySQL's filler
    caps = client_capabilities(HandshakeResponse41.parse(data))
    assert caps & C.MARIADB_CLIENT_STMT_BULK_OPERATIONS


def test_handshake_response_41_nul_terminated_auth_before_secure_connection():
    flag = C.CLIENT_PROTOCOL_41
    data = flag.to_bytes(4, "little") + bytes(4) + b"\x21" + bytes(23) + b"u\x00" + b"scr\x00"
    value = assert_bytes_round_trip(HandshakeResponse41, data)
    assert value.auth_response == b"scr"


def test_ssl_request_is_the_first_32_bytes():
    value = assert_bytes_round_trip(SSLRequest, RESPONSE_41[:32])
    assert value.client_flag == 0x000FA68D


def test_handshake_response_320():
    data = bytes.fromhex(
        "8500"        # client_flag: LONG_PASSWORD, LONG_FLAG, LOCAL_FILES (no CONNECT_WITH_DB)
        "000001"      # max_packet_size
        "6a6f6e00"    # username = "jon"
        "4142434445464748"  # auth_response (string<EOF>)
    )
    value = assert_bytes_round_trip(HandshakeResponse320, data)
    assert (value.username, value.auth_response, value.database) == ("jon", b"ABCDEFGH", None)
    with_db = bytes.fromhex("8d00" "000001" "6a6f6e00" "414200" "646200")
    value = assert_bytes_round_trip(HandshakeResponse320, with_db)
    assert (value.auth_response, value.database) == (b"AB", "db")


@st.composite
def responses_41(draw):
    flag = draw(capabilities) & 0xFFFFFFFF
    value = {
        "client_flag": flag, "max_packet_size": draw(u32), "character_set": draw(u8),
        "filler": draw(st.binary(min_size=19, max_size=19)), "mariadb_capabilities": draw(u32),
        "username": draw(nul_text), "database": None, "client_plugin_name": None,
        "client_plugin_name_nul": None, "connect_attrs_length": None, "connect_attrs": None,
        "zstd_compression_level": None, "extra": b"",
    }
    if flag & C.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA:
        value["auth_response"] = draw(st.binary(max_size=300))
    elif flag & C.CLIENT_SECURE_CONNECTION:
        value["auth_response"] = draw(st.binary(max_size=255))
    else:
        value["auth_response"] = draw(nul_bytes)
    if flag & C.CLIENT_CONNECT_WITH_DB:
        value["database"] = draw(nul_text)
    if flag & C.CLIENT_PLUGIN_AUTH:
        value["client_plugin_name"] = draw(nul_text)
        value["client_plugin_name_nul"] = True
    if flag & C.CLIENT_CONNECT_ATTRS:
        attrs = draw(st.lists(st.fixed_dictionaries({"key": text, "value": text}), max_size=3))
        value["connect_attrs"] = attrs
        value["connect_attrs_length"] = len(GreedyRange(KeyValue).build(attrs))
    if flag & C.CLIENT_ZSTD_COMPRESSION_ALGORITHM:
        value["zstd_compression_level"] = draw(u8)
    return value


@given(responses_41())
def test_handshake_response_41_round_trips(value):
    assert_value_round_trips(HandshakeResponse41, value)


@given(u32, u32, u8, st.binary(min_size=19, max_size=19), u32)
def test_ssl_request_round_trips(flag, size, charset, filler, mariadb):
    assert_value_round_trips(SSLRequest, {"client_flag": flag, "max_packet_size": size,
                                          "character_set": charset, "filler": filler,
                                          "mariadb_capabilities": mariadb})


@given(u16, u24, nul_text, st.booleans(), nul_bytes, nul_text, raw)
def test_handshake_response_320_round_trips(flag, size, user, with_db, nul_auth, db, eof_auth):
    flag = flag | C.CLIENT_CONNECT_WITH_DB if with_db else flag & ~C.CLIENT_CONNECT_WITH_DB
    value = {"client_flag": flag, "max_packet_size": size, "username": user,
             "auth_response": nul_auth if with_db else eof_auth,
             "database": db if with_db else None}
    assert_value_round_trips(HandshakeResponse320, value)


# -- authentication exchange ------------------------------------------------------


def test_auth_switch_request():
    data = (bytes.fromhex("fe")                      # status: auth switch
            + b"mysql_native_password\x00"          # plugin_name
            + bytes.fromhex("7a51673469366f4e79363d5d7d7a6d4356424e00"))  # data + NUL
    value = assert_bytes_round_trip(AuthSwitchRequest, data)
    assert value.plugin_name == "mysql_native_password"
    assert len(value.plugin_provided_data) == 20


def test_old_auth_switch_request_is_a_lone_0xfe():
    assert_bytes_round_trip(OldAuthSwitchRequest, b"\xfe")


def test_auth_more_data_fast_auth_success():
    # caching_sha2_password: 0x01 then 0x03 (fast authentication succeeded)
    value = assert_bytes_round_trip(AuthMoreData, bytes.fromhex("01" "03"))
    assert value.auth_method_data == b"\x03"


def test_auth_next_factor():
    data = bytes.fromhex("02") + b"authentication_ldap_sasl_client\x00" + b"xyz"
    value = assert_bytes_round_trip(AuthNextFactor, data)
    assert value.plugin_name == "authentication_ldap_sasl_client"


def test_auth_switch_request_rejects_another_header():
    with pytest.raises(ConstructError):
        AuthSwitchRequest.parse(b"\x00abc\x00")


@given(nul_text, raw)
def test_auth_packets_round_trip(name, data):
    assert_value_round_trips(AuthSwitchRequest, {"status": 0xFE, "plugin_name": name,
                                                 "plugin_provided_data": data})
    assert_value_round_trips(AuthNextFactor, {"status": 2, "plugin_name": name,
                                              "plugin_provided_data": data})
    assert_value_round_trips(AuthMoreData, {"status": 1, "auth_method_data": data})
    assert_value_round_trips(AuthSwitchResponse, {"data": data})
    assert_value_round_trips(OldAuthSwitchRequest, {"status": 0xFE})
