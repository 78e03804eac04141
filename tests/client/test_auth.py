"""Authentication plugins and the login driver, against a server-role connection."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mysqlproto.auth import (
    LoginFlow,
    _xor,
    ed25519_public_key,
    ed25519_sign,
    ed25519_verify,
    native_password_hash,
    scramble_caching_sha2,
    scramble_native_password,
    verify_caching_sha2,
    verify_native_password,
)
from mysqlproto.connection import (
    CLIENT,
    SERVER,
    AuthData,
    AuthMoreData,
    AuthNextFactor,
    AuthSwitchRequest,
    Connection,
    Handshake,
    HandshakeResponse,
    Ok,
    SSLRequest,
    State,
)
from mysqlproto.errors import AuthenticationError
from spec.protocol.constants import Capability as C
from tests.client.test_connection import drain

NONCE = bytes.fromhex("0102030405060708090a0b0c0d0e0f1011121314")

# RFC 8032, section 7.1, TEST 1 and TEST 2: with a 32-byte "password" MariaDB's scheme
# is plain Ed25519, so the RFC's vectors apply.
RFC8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"
     "39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "72",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f"
     "3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
]


@pytest.mark.parametrize(("secret", "message", "public", "signature"), RFC8032)
def test_ed25519_rfc8032_vectors(secret, message, public, signature):
    secret, message = bytes.fromhex(secret), bytes.fromhex(message)
    assert ed25519_public_key(secret).hex() == public
    assert ed25519_sign(secret, message).hex() == signature
    assert ed25519_verify(bytes.fromhex(public), message, bytes.fromhex(signature))
    assert not ed25519_verify(bytes.fromhex(public), message + b"!", bytes.fromhex(signature))


def test_ed25519_password_of_any_length_verifies_with_a_standard_verifier():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    nonce = bytes(range(32))
    signature = ed25519_sign(b"a much longer password than 32 bytes, as MariaDB allows", nonce)
    public = ed25519_public_key(b"a much longer password than 32 bytes, as MariaDB allows")
    Ed25519PublicKey.from_public_bytes(public).verify(signature, nonce)  # raises if bad


def test_native_password_matches_the_documented_formula():
    stage1 = hashlib.sha1(b"secret").digest()
    expected = _xor(stage1, hashlib.sha1(NONCE + hashlib.sha1(stage1).digest()).digest())
    assert scramble_native_password(b"secret", NONCE + b"\0") == expected  # NUL ignored
    assert verify_native_password(NONCE, expected, native_password_hash(b"secret"))
    assert not verify_native_password(NONCE, expected, native_password_hash(b"other"))
    assert scramble_native_password(b"", NONCE) == b""


def test_caching_sha2_scramble_matches_the_documented_formula():
    digest1 = hashlib.sha256(b"secret").digest()
    digest2 = hashlib.sha256(digest1).digest()
    expected = _xor(digest1, hashlib.sha256(digest2 + NONCE).digest())
    assert scramble_caching_sha2(b"secret", NONCE) == expected
    assert verify_caching_sha2(NONCE, expected, b"secret")
    assert not verify_caching_sha2(NONCE, expected, b"secreT")


# -- full exchanges -----------------------------------------------------------------------


class Exchange:
    """A client (LoginFlow + Connection) and a server-role Connection, in memory."""

    def __init__(self, greeting: Handshake, **flow_options) -> None:
        self.client, self.server = Connection(CLIENT), Connection(SERVER)
        self.flow = LoginFlow("u", flow_options.pop("password", "secret"), **flow_options)
        [received] = drain(self.client, self.server.send(greeting))
        [self.login] = self.to_server(self.flow.on_handshake(received))

    def to_server(self, events) -> list:
        return drain(self.server, b"".join(self.client.send(e) for e in events))

    def to_client(self, event) -> list:
        received = drain(self.client, self.server.send(event))
        replies = []
        for item in received:
            if not isinstance(item, Ok):
                replies += self.flow.on_auth(item)
        return self.to_server(replies) if replies else []


def test_caching_sha2_fast_path():
    ex = Exchange(Handshake.of(auth_plugin="caching_sha2_password", scramble=NONCE), tls="disabled")
    assert ex.login.auth_plugin == "caching_sha2_password"
    assert verify_caching_sha2(NONCE, ex.login.packet.auth_response, b"secret")
    assert ex.server.state is State.AUTH
    assert ex.to_client(AuthMoreData.of(b"\x03")) == []  # fast auth success: wait for OK
    drain(ex.client, ex.server.send(Ok.of()))
    assert ex.client.state is State.COMMAND and not ex.flow.plugin.full_auth


def _rsa_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, pem


def _decrypt(key, blob: bytes, nonce: bytes) -> bytes:
    plain = key.decrypt(blob, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()),
                                           algorithm=hashes.SHA1(), label=None))
    return _xor(plain, nonce)


def test_caching_sha2_full_path_with_rsa_key_exchange():
    key, pem = _rsa_key()
    ex = Exchange(Handshake.of(auth_plugin="caching_sha2_password", scramble=NONCE), tls="disabled")
    [request] = ex.to_client(AuthMoreData.of(b"\x04"))  # perform full authentication
    assert request.data == b"\x02"  # request_public_key
    [blob] = ex.to_client(AuthMoreData.of(pem))
    assert len(blob.data) == 256 and _decrypt(key, blob.data, NONCE) == b"secret\0"
    drain(ex.client, ex.server.send(Ok.of()))
    assert ex.flow.plugin.used_rsa and ex.client.state is State.COMMAND


def test_caching_sha2_full_path_with_a_known_public_key_skips_the_request():
    key, pem = _rsa_key()
    ex = Exchange(Handshake.of(auth_plugin="caching_sha2_password", scramble=NONCE),
                  tls="disabled", server_public_key=pem)
    [blob] = ex.to_client(AuthMoreData.of(b"\x04"))
    assert _decrypt(key, blob.data, NONCE) == b"secret\0"


def test_caching_sha2_full_path_over_tls_sends_the_password_in_clear():
    greeting = Handshake.of(auth_plugin="caching_sha2_password", scramble=NONCE,
                            capabilities=Handshake.of().capabilities | C.CLIENT_SSL)
    client, server = Connection(CLIENT), Connection(SERVER)
    flow = LoginFlow("u", "secret", tls="preferred")
    [received] = drain(client, server.send(greeting))
    [ssl_request] = drain(server, b"".join(client.send(e) for e in flow.on_handshake(received)))
    assert isinstance(ssl_request, SSLRequest) and server.state is State.TLS_LOGIN
    # (the I/O layer would start TLS here)
    [login] = drain(server, b"".join(client.send(e) for e in flow.after_tls()))
    assert isinstance(login, HandshakeResponse) and login.capabilities & C.CLIENT_SSL
    [more] = drain(client, server.send(AuthMoreData.of(b"\x04")))
    [clear] = drain(server, b"".join(client.send(e) for e in flow.on_auth(more)))
    assert clear.data == b"secret\0"
    assert server.send(Ok.of())[4] == 0  # sequence: greeting 0, ssl 1, login 2, 3, 4, OK 5


def test_tls_required_but_not_offered():
    with pytest.raises(AuthenticationError, match="TLS is required"):
        Exchange(Handshake.of(), tls="required")


def test_sha256_password_requests_the_key_then_sends_rsa():
    key, pem = _rsa_key()
    ex = Exchange(Handshake.of(auth_plugin="mysql_native_password", scramble=NONCE), tls="disabled")
    [request] = ex.to_client(AuthSwitchRequest.of("sha256_password", NONCE + b"\0"))
    assert request.data == b"\x01"
    [blob] = ex.to_client(AuthMoreData.of(pem))
    assert _decrypt(key, blob.data, NONCE) == b"secret\0"


def test_switch_to_client_ed25519_signs_the_32_byte_nonce():
    nonce = bytes(range(100, 132))
    ex = Exchange(Handshake.of(), tls="disabled", password="maria")
    [signature] = ex.to_client(AuthSwitchRequest.of("client_ed25519", nonce))
    assert isinstance(signature, AuthData) and len(signature.data) == 64
    assert ed25519_verify(ed25519_public_key(b"maria"), nonce, signature.data)
    drain(ex.client, ex.server.send(Ok.of()))
    assert ex.flow.plugins_used == ["mysql_native_password", "client_ed25519"]


def test_switch_to_clear_password():
    ex = Exchange(Handshake.of(), tls="disabled")
    [clear] = ex.to_client(AuthSwitchRequest.of("mysql_clear_password", b""))
    assert clear.data == b"secret\0"


def test_switch_to_an_unknown_plugin_is_an_authentication_error():
    ex = Exchange(Handshake.of(), tls="disabled")
    with pytest.raises(AuthenticationError, match="auth_kerberos"):
        ex.to_client(AuthSwitchRequest.of("auth_kerberos", b"x"))


def test_multi_factor_is_refused_clearly():
    ex = Exchange(Handshake.of(), tls="disabled")
    with pytest.raises(AuthenticationError, match="multi-factor"):
        ex.to_client(AuthNextFactor.of("authentication_fido_client", b""))


def test_old_auth_switch_request_parses_and_is_refused():
    ex = Exchange(Handshake.of(), tls="disabled")
    ex.client.receive_data(ex.server.send(AuthSwitchRequest(packet={"status": 0xFE,
                                                                     "plugin_name": None})))
    switch = ex.client.next_event()
    assert switch.plugin == "mysql_old_password" and switch.payload == b"\xfe"
    with pytest.raises(AuthenticationError, match="mysql_old_password"):
        ex.flow.on_auth(switch)
