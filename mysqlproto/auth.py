"""Authentication: the client plugins, the login driver, and the server-side checks.

Client plugins (one object per login, fed the server's data round by round):

``mysql_native_password``
    ``SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password)))``, 20 bytes; an empty
    password sends nothing (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods_native_password_authentication.html,
    MySQL ``sql/auth/password.cc`` ``scramble``).
``caching_sha2_password``
    Fast path: ``SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce)``; the
    server answers AuthMoreData 0x03 (fast auth success, an OK follows) or 0x04
    (perform full authentication).  Full path over TLS: the password and a NUL in clear.
    Without TLS: the RSA key exchange -- ask for the server's public key with 0x02
    (unless it was given), then send ``RSA-OAEP(password + NUL XOR nonce)``
    (MySQL ``sql/auth/sha2_password.cc`` and ``sql-common/client_authentication.cc``
    ``caching_sha2_password_auth_client``; https://dev.mysql.com/doc/dev/mysql-server/latest/page_caching_sha2_authentication_exchanges.html).
``sha256_password``
    Always the full path: over TLS the password and a NUL; else ask for the key with
    0x01 and send the RSA-OAEP blob; an empty password is a single NUL
    (``sha256_password_auth_client``).
``client_ed25519``
    MariaDB's Ed25519 scheme: the 32-byte nonce from the switch request is signed with
    a key derived from ``SHA512(password)`` -- standard Ed25519 (RFC 8032, section 5.1.6)
    except that the password of any length replaces the 32-byte seed (MariaDB
    ``plugin/auth_ed25519/ref10/sign.c`` ``crypto_sign``).  The curve arithmetic is
    written out below from RFC 8032; no library signs with such a key.
``mysql_clear_password``
    The password and a NUL, in clear (for PAM/LDAP servers; only sensible over TLS).

The RSA step needs the ``cryptography`` package (imported only then).

:class:`LoginFlow` drives a client's connection phase without I/O: it answers the
greeting (with an SSLRequest first when TLS is wanted and offered), then each
AuthSwitchRequest / AuthMoreData, choosing the plugin the server names.

The ``verify_*`` / ``*_hash`` functions are the server's side of the same schemes, for
a server-role :class:`~mysqlproto.connection.Connection` (tests, a fake primary).
"""

from __future__ import annotations

import hashlib
import ssl
from typing import ClassVar

from mysqlproto.connection import (
    DEFAULT_CLIENT_CAPABILITIES,
    AuthData,
    AuthMoreData,
    AuthNextFactor,
    AuthSwitchRequest,
    Handshake,
    HandshakeResponse,
    ProtocolEvent,
    SSLRequest,
)
from mysqlproto.errors import AuthenticationError, UsageError
from spec.protocol.constants import Capability as C

__all__ = [
    "AuthPlugin",
    "NativePassword",
    "CachingSha2Password",
    "Sha256Password",
    "ClientEd25519",
    "ClearPassword",
    "PLUGINS",
    "LoginFlow",
    "scramble_native_password",
    "scramble_caching_sha2",
    "native_password_hash",
    "verify_native_password",
    "verify_caching_sha2",
    "rsa_encrypt_password",
    "ed25519_public_key",
    "ed25519_sign",
    "ed25519_verify",
    "TLS_MODES",
]

FAST_AUTH_SUCCESS = 0x03
PERFORM_FULL_AUTHENTICATION = 0x04
REQUEST_PUBLIC_KEY_CACHING_SHA2 = b"\x02"
REQUEST_PUBLIC_KEY_SHA256 = b"\x01"


def _sha1(*parts: bytes) -> bytes:
    h = hashlib.sha1()
    for part in parts:
        h.update(part)
    return h.digest()


def _sha256(*parts: bytes) -> bytes:
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    return h.digest()


def _xor(data: bytes, key: bytes) -> bytes:
    """``data`` XOR ``key`` repeated as needed (the RSA step's scrambling)."""
    if not key:
        return data
    repeated = (key * (len(data) // len(key) + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        len(data), "big")


def _nonce20(nonce: bytes) -> bytes:
    # MySQL ends the scramble with a NUL in the greeting and in a switch request.
    return nonce[:20]


# -- hash schemes --------------------------------------------------------------------------


def scramble_native_password(password: bytes, nonce: bytes) -> bytes:
    if not password:
        return b""
    stage1 = _sha1(password)
    return _xor(stage1, _sha1(_nonce20(nonce), _sha1(stage1)))


def native_password_hash(password: bytes) -> bytes:
    """What the server stores: ``SHA1(SHA1(password))``."""
    return _sha1(_sha1(password))


def verify_native_password(nonce: bytes, response: bytes, stored_hash: bytes) -> bool:
    """The server's check (``check_scramble``): recover SHA1(password), hash it again."""
    if not response:
        return stored_hash == b""
    if len(response) != 20:
        return False
    stage1 = _xor(response, _sha1(_nonce20(nonce), stored_hash))
    return _sha1(stage1) == stored_hash


def scramble_caching_sha2(password: bytes, nonce: bytes) -> bytes:
    if not password:
        return b""
    digest1 = _sha256(password)
    return _xor(digest1, _sha256(_sha256(digest1), _nonce20(nonce)))


def verify_caching_sha2(nonce: bytes, response: bytes, password: bytes) -> bool:
    """The server's fast-path check against a cached ``SHA256(SHA256(password))``."""
    if not password:
        return response == b""
    cached = _sha256(_sha256(password))
    digest1 = _xor(response, _sha256(cached, _nonce20(nonce)))
    return _sha256(digest1) == cached


def rsa_encrypt_password(password: bytes, nonce: bytes, public_key_pem: bytes) -> bytes:
    """``RSA-OAEP(SHA-1)`` of ``password + NUL`` XOR the nonce, as both sha2 plugins send it
    (``RSA_PKCS1_OAEP_PADDING`` in sql-common/client_authentication.cc)."""
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
    except ImportError as exc:  # pragma: no cover - cryptography is a dependency
        raise AuthenticationError("the RSA key exchange needs the 'cryptography' package "
                                  "(or use TLS)") from exc
    try:
        key = serialization.load_pem_public_key(public_key_pem.rstrip(b"\0"))
    except ValueError as exc:
        raise AuthenticationError(f"the server's RSA public key does not load: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise AuthenticationError("the server's public key is not an RSA key")
    plain = _xor(password + b"\0", _nonce20(nonce))
    return key.encrypt(plain, padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()),
                                           algorithm=hashes.SHA1(), label=None))


# -- Ed25519 (RFC 8032, section 5.1) ---------------------------------------------------------
#
# Points in extended homogeneous coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, x*y = T/Z.

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    if x & 1 != sign:
        x = _P - x
    return x


_BY = 4 * pow(5, _P - 2, _P) % _P
_BX = _recover_x(_BY, 0)
_B = (_BX, _BY, 1, _BX * _BY % _P)
_ZERO = (0, 1, 1, 0)


def _add(p, q):
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % _P
    b = (y1 + x1) * (y2 + x2) % _P
    c = 2 * t1 * t2 * _D % _P
    d = 2 * z1 * z2 % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(scalar: int, point):
    result = _ZERO
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _encode_point(point) -> bytes:
    x, y, z, _ = point
    zinv = pow(z, _P - 2, _P)
    x, y = x * zinv % _P, y * zinv % _P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def _decode_point(data: bytes):
    if len(data) != 32:
        return None
    value = int.from_bytes(data, "little")
    y, sign = value & ((1 << 255) - 1), value >> 255
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % _P)


def _points_equal(p, q) -> bool:
    x1, y1, z1, _ = p
    x2, y2, z2, _ = q
    return (x1 * z2 - x2 * z1) % _P == 0 and (y1 * z2 - y2 * z1) % _P == 0


def _secret(password: bytes) -> tuple[int, bytes]:
    """The clamped scalar and the nonce prefix from ``SHA512(password)``."""
    h = hashlib.sha512(password).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed25519_public_key(password: bytes) -> bytes:
    """The 32-byte public key MariaDB stores for ``password`` (base64 in mysql.global_priv)."""
    a, _ = _secret(password)
    return _encode_point(_mul(a, _B))


def ed25519_sign(password: bytes, message: bytes) -> bytes:
    """MariaDB's ``crypto_sign`` with the password as the secret: the 64-byte signature."""
    a, prefix = _secret(password)
    public = _encode_point(_mul(a, _B))
    r = int.from_bytes(hashlib.sha512(prefix + message).digest(), "little") % _L
    big_r = _encode_point(_mul(r, _B))
    k = int.from_bytes(hashlib.sha512(big_r + public + message).digest(), "little") % _L
    s = (r + k * a) % _L
    return big_r + s.to_bytes(32, "little")


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 verification ([S]B = R + [k]A), as MariaDB's server does (``crypto_sign_open``)."""
    if len(signature) != 64:
        return False
    a_point = _decode_point(public_key)
    r_point = _decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a_point is None or r_point is None or s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(),
                       "little") % _L
    return _points_equal(_mul(s, _B), _add(r_point, _mul(k, a_point)))


# -- client plugins ----------------------------------------------------------------------------


class AuthPlugin:
    """One authentication method on the client's side, for one login.

    ``start(nonce)`` gives the first auth data (in the HandshakeResponse or the
    AuthSwitchResponse); ``resume(data)`` answers an AuthMoreData: bytes to send, or None
    when the server speaks next.  ``secure`` says the channel is encrypted (TLS), so the
    password may travel in clear.
    """

    name: ClassVar[str] = ""

    def __init__(self, password: bytes, *, secure: bool = False,
                 server_public_key: bytes | None = None) -> None:
        self.password = password
        self.secure = secure
        self.server_public_key = server_public_key
        self.nonce = b""

    def start(self, nonce: bytes) -> bytes:
        raise NotImplementedError

    def resume(self, data: bytes) -> bytes | None:
        raise AuthenticationError(f"{self.name}: unexpected AuthMoreData {data[:16].hex()}")


class NativePassword(AuthPlugin):
    name = "mysql_native_password"

    def start(self, nonce: bytes) -> bytes:
        self.nonce = nonce
        return scramble_native_password(self.password, nonce)


class CachingSha2Password(AuthPlugin):
    name = "caching_sha2_password"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_key = False
        self.full_auth = False
        self.used_rsa = False

    def start(self, nonce: bytes) -> bytes:
        self.nonce = nonce
        return scramble_caching_sha2(self.password, nonce)

    def resume(self, data: bytes) -> bytes | None:
        if self._awaiting_key:
            self._awaiting_key = False
            self.server_public_key = data
            return self._encrypted()
        if data[:1] == bytes((FAST_AUTH_SUCCESS,)):
            return None  # the OK follows
        if data[:1] != bytes((PERFORM_FULL_AUTHENTICATION,)):
            raise AuthenticationError(f"{self.name}: unexpected AuthMoreData {data[:16].hex()}")
        self.full_auth = True
        if self.secure:
            return self.password + b"\0"
        if self.server_public_key:
            return self._encrypted()
        self._awaiting_key = True
        return REQUEST_PUBLIC_KEY_CACHING_SHA2

    def _encrypted(self) -> bytes:
        self.used_rsa = True
        return rsa_encrypt_password(self.password, self.nonce, self.server_public_key or b"")


class Sha256Password(AuthPlugin):
    name = "sha256_password"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.used_rsa = False

    def start(self, nonce: bytes) -> bytes:
        self.nonce = nonce
        if self.secure:
            return self.password + b"\0"
        if not self.password:
            return b"\0"
        if self.server_public_key:
            return self._encrypted()
        return REQUEST_PUBLIC_KEY_SHA256

    def resume(self, data: bytes) -> bytes | None:
        self.server_public_key = data
        return self._encrypted()

    def _encrypted(self) -> bytes:
        self.used_rsa = True
        return rsa_encrypt_password(self.password, self.nonce, self.server_public_key or b"")


class ClientEd25519(AuthPlugin):
    name = "client_ed25519"

    def start(self, nonce: bytes) -> bytes:
        self.nonce = nonce
        if len(nonce) != 32:
            # Announced in the greeting (20-byte scramble): the server switches with its
            # own 32-byte nonce, which is what gets signed.
            return b""
        return ed25519_sign(self.password, nonce)


class ClearPassword(AuthPlugin):
    name = "mysql_clear_password"

    def start(self, nonce: bytes) -> bytes:
        self.nonce = nonce
        return self.password + b"\0"


PLUGINS: dict[str, type[AuthPlugin]] = {
    plugin.name: plugin
    for plugin in (NativePassword, CachingSha2Password, Sha256Password, ClientEd25519,
                   ClearPassword)
}
"""Plugin name -> class.  A plain dict: pass your own (``{**PLUGINS, "x": X}``) to
:class:`LoginFlow` rather than editing this one."""


# -- the login driver ----------------------------------------------------------------------------

TLS_MODES = ("disabled", "preferred", "required")


class LoginFlow:
    """The client's side of the connection phase, without I/O.

    Feed it the server's events; it returns the events to send::

        out = flow.on_handshake(greeting)      # [SSLRequest] or [HandshakeResponse]
        if flow.tls_requested: ...wrap the socket...; out = flow.after_tls()
        out = flow.on_auth(event)               # for AuthSwitchRequest / AuthMoreData

    The connection phase ends with the server's OK (logged in) or ERR.

    ``tls``: ``"disabled"``, ``"preferred"`` (when the server offers it) or
    ``"required"``.  ``plugins`` maps names to :class:`AuthPlugin` classes.
    """

    def __init__(self, user: str, password: str | bytes = b"", *, database: str | None = None,
                 tls: str = "preferred", capabilities: int = DEFAULT_CLIENT_CAPABILITIES,
                 plugins: dict[str, type[AuthPlugin]] | None = None,
                 connect_attrs: dict[str, str] | None = None,
                 server_public_key: bytes | None = None, character_set: int = 45,
                 default_plugin: str = "mysql_native_password") -> None:
        if tls not in TLS_MODES:
            raise UsageError(f"tls must be one of {TLS_MODES}, not {tls!r}")
        if capabilities & (C.CLIENT_COMPRESS | C.CLIENT_ZSTD_COMPRESSION_ALGORITHM):
            raise UsageError("the compressed protocol is not supported")
        self.user = user
        self.password = password.encode() if isinstance(password, str) else bytes(password)
        self.database = database
        self.tls = tls
        self.requested_capabilities = int(capabilities)
        self.plugins = dict(PLUGINS if plugins is None else plugins)
        self.connect_attrs = connect_attrs
        self.server_public_key = server_public_key
        self.character_set = character_set
        self.default_plugin = default_plugin
        self.tls_requested = False
        self.plugin: AuthPlugin | None = None
        self.plugins_used: list[str] = []
        self._handshake: Handshake | None = None
        self._caps = 0

    def _new_plugin(self, name: str) -> AuthPlugin:
        cls = self.plugins.get(name)
        if cls is None:
            raise AuthenticationError(f"the server asks for auth plugin {name!r}, which is "
                                      f"not available (have: {', '.join(sorted(self.plugins))})")
        plugin = cls(self.password, secure=self.tls_requested,
                     server_public_key=self.server_public_key)
        self.plugins_used.append(name)
        return plugin

    def on_handshake(self, greeting: Handshake) -> list[ProtocolEvent]:
        self._handshake = greeting
        server_caps = greeting.capabilities
        if not server_caps & C.CLIENT_PROTOCOL_41:
            raise AuthenticationError("the server does not speak protocol 4.1")
        # Bit 0 stays as asked: set, it reads "a MySQL client" to MariaDB (CLIENT_MYSQL),
        # which then expects no extended capabilities.
        caps = self.requested_capabilities & (server_caps | C.CLIENT_CONNECT_WITH_DB
                                              | C.CLIENT_LONG_PASSWORD)
        if self.tls != "disabled" and server_caps & C.CLIENT_SSL:
            self.tls_requested = True
            caps |= C.CLIENT_SSL
        elif self.tls == "required":
            raise AuthenticationError("TLS is required but the server does not offer it "
                                      "(no CLIENT_SSL in its greeting)")
        self._caps = caps
        if self.tls_requested:
            return [SSLRequest.of(caps, character_set=self.character_set)]
        return self.after_tls()

    def after_tls(self) -> list[ProtocolEvent]:
        """The login itself (call it once TLS is up when :attr:`tls_requested`)."""
        greeting = self._handshake
        if greeting is None:
            raise UsageError("after_tls() before on_handshake()")
        name = greeting.auth_plugin or self.default_plugin
        if name not in self.plugins:
            name = self.default_plugin
        self.plugin = self._new_plugin(name)
        data = self.plugin.start(greeting.scramble)
        return [HandshakeResponse.of(
            capabilities=self._caps, username=self.user, auth_response=data,
            auth_plugin=name if self._caps & C.CLIENT_PLUGIN_AUTH else None,
            database=self.database, connect_attrs=self.connect_attrs,
            character_set=self.character_set)]

    def on_auth(self, event: ProtocolEvent) -> list[ProtocolEvent]:
        """Answer an AuthSwitchRequest, AuthMoreData or AuthNextFactor."""
        if isinstance(event, (AuthSwitchRequest, AuthNextFactor)):
            if isinstance(event, AuthNextFactor):
                raise AuthenticationError(f"multi-factor authentication ({event.plugin}) "
                                          "is not supported")
            self.plugin = self._new_plugin(event.plugin)
            return [AuthData.of(self.plugin.start(event.data))]
        if isinstance(event, AuthMoreData):
            if self.plugin is None:
                raise AuthenticationError("AuthMoreData before any auth method")
            reply = self.plugin.resume(event.data)
            return [] if reply is None else [AuthData.of(reply)]
        raise UsageError(f"on_auth() takes auth events, not {type(event).__name__}")


def client_tls_context(verify: bool = False) -> ssl.SSLContext:
    """A TLS context for ``tls="preferred"/"required"`` without a context of your own:
    it encrypts but does not verify the certificate (as MySQL's ``--ssl-mode=REQUIRED``),
    since servers run with self-signed certificates by default.  Pass a verifying
    context of your own for VERIFY_CA / VERIFY_IDENTITY."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context.load_default_certs()
    return context
