"""The asyncio client and binlog stream: :mod:`mysqlproto.client` over asyncio streams.

Same sans-IO parts (:class:`~mysqlproto.connection.Connection`,
:class:`~mysqlproto.auth.LoginFlow`, :func:`~mysqlproto.client.dump_setup`,
:class:`~mysqlproto.client.StreamTracker`), same guarantees; only the waiting differs::

    async with AsyncClient("127.0.0.1", 3306, "root", "pw") as client:
        rows = (await client.query("SELECT 1")).rows

    async for event in AsyncBinlogStream("mysql://root:pw@127.0.0.1:3306", until_end=True):
        print(event.name)

TLS is started on the open stream with :meth:`asyncio.StreamWriter.start_tls`.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from mysqlproto.client import (
    HEARTBEATS,
    BinlogStream,
    ClientSettings,
    QueryCollector,
    QueryResult,
    _checksum_alg,
    _coerce_gtids,
    dump_setup,
    is_retryable,
    log,
    server_error,
)
from mysqlproto.connection import (
    CLIENT,
    NEED_DATA,
    AuthMoreData,
    AuthNextFactor,
    AuthSwitchRequest,
    BinlogPacket,
    Command,
    Connection,
    ConnectionClosed,
    EndOfStream,
    Err,
    Handshake,
    Ok,
    ProtocolEvent,
    SemiSyncAck,
    State,
)
from mysqlproto.errors import (
    ConnectionLost,
    MySQLProtoError,
    ProtocolError,
    RetriesExhausted,
    ServerError,
    UsageError,
)
from mysqlproto.events import Event

__all__ = ["AsyncClient", "AsyncBinlogStream"]


class AsyncClient(ClientSettings):
    """An asyncio client connection; the arguments are :class:`~mysqlproto.client.Client`'s."""

    def __init__(self, *args, **options) -> None:
        super().__init__(*args, **options)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> AsyncClient:
        try:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.connect_timeout)
        except TimeoutError as exc:
            raise ConnectionLost(f"connecting to {self.host}:{self.port}: timed out") from exc
        self.conn = Connection(CLIENT)
        try:
            await asyncio.wait_for(self._login(), self.connect_timeout)
        except TimeoutError as exc:
            await self.close()
            raise ConnectionLost(f"logging in to {self.host}:{self.port}: timed out") from exc
        except BaseException:
            await self.close()
            raise
        return self

    async def _login(self) -> None:
        flow = self._login_flow()
        while True:
            event = await self.read_event(timeout=None)
            if isinstance(event, Handshake):
                self.handshake = event
                await self._send_all(flow.on_handshake(event))
                if flow.tls_requested:
                    context, hostname = self._tls_context()
                    assert self.writer is not None
                    await self.writer.start_tls(context, server_hostname=hostname)
                    self.tls_active = True
                    await self._send_all(flow.after_tls())
            elif isinstance(event, (AuthSwitchRequest, AuthMoreData, AuthNextFactor)):
                await self._send_all(flow.on_auth(event))
            elif isinstance(event, Ok):
                return
            elif isinstance(event, Err):
                raise server_error(event, "connect" if self.handshake is None else "auth")
            elif isinstance(event, ConnectionClosed):
                raise ConnectionLost("the server closed the connection during login")

    async def send(self, event: ProtocolEvent) -> None:
        if self.conn is None or self.writer is None:
            raise UsageError("not connected")
        data = self.conn.send(event)
        if self.recorder is not None:
            self.recorder("client", data)
        try:
            self.writer.write(data)
            await self.writer.drain()
        except OSError as exc:
            raise ConnectionLost(f"sending to {self.host}:{self.port}: {exc}") from exc

    async def _send_all(self, events: list[ProtocolEvent]) -> None:
        for event in events:
            await self.send(event)

    async def read_event(self, timeout: float | None | str = "default") -> ProtocolEvent:
        conn, reader = self.conn, self.reader
        if conn is None or reader is None:
            raise UsageError("not connected")
        wait = self.read_timeout if timeout == "default" else timeout
        while True:
            event = conn.next_event()
            if event is not NEED_DATA:
                return event
            try:
                if wait is None:
                    data = await reader.read(self.recv_size)
                else:
                    data = await asyncio.wait_for(reader.read(self.recv_size), wait)
            except TimeoutError as exc:
                raise ConnectionLost(f"no data from {self.host}:{self.port} within "
                                     f"{wait} s") from exc
            except OSError as exc:
                raise ConnectionLost(f"reading from {self.host}:{self.port}: {exc}") from exc
            if self.recorder is not None and data:
                self.recorder("server", data)
            conn.receive_data(data)

    async def query(self, sql: str) -> QueryResult:
        await self.send(Command.query(sql))
        collector = QueryCollector()
        while True:
            event = await self.read_event()
            if isinstance(event, ConnectionClosed):
                raise ConnectionLost("the server closed the connection during a query")
            if collector.feed(event):
                break
        if collector.error is not None:
            raise server_error(collector.error, "query")
        return collector.result()

    async def simple_command(self, command: Command, phase: str) -> ProtocolEvent:
        await self.send(command)
        event = await self.read_event()
        if isinstance(event, Err):
            raise server_error(event, phase)
        if isinstance(event, ConnectionClosed):
            raise ConnectionLost(f"the server closed the connection during {phase}")
        return event

    async def ping(self) -> None:
        await self.simple_command(Command.ping(), "ping")

    async def close(self) -> None:
        writer, self.writer = self.writer, None
        if writer is None:
            return
        try:
            if self.conn is not None and self.conn.state is State.COMMAND:
                writer.write(self.conn.send(Command.quit()))
        except (OSError, MySQLProtoError):
            pass
        writer.close()
        try:
            await writer.wait_closed()
        except (OSError, ssl.SSLError):
            pass

    async def __aenter__(self) -> AsyncClient:
        if self.writer is None:
            await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()


class AsyncBinlogStream(BinlogStream):
    """:class:`~mysqlproto.client.BinlogStream` for asyncio: ``async for event in stream``.

    ``address`` may also be a coroutine function returning ``(host, port)``.
    """

    def __init__(self, dsn: str | None = None, **options: Any) -> None:
        address = options.pop("address", None)
        super().__init__(dsn, **options)
        self.address = address  # type: ignore[assignment]
        self.aclient: AsyncClient | None = None
        self._agen: AsyncIterator[Event] | None = None

    def __iter__(self):  # pragma: no cover - guard
        raise UsageError("AsyncBinlogStream is iterated with 'async for'")

    def __aiter__(self) -> AsyncIterator[Event]:
        if self._agen is None:
            self._agen = self._aevents()
        return self._agen

    async def __anext__(self) -> Event:
        return await self.__aiter__().__anext__()

    async def aclose(self) -> None:
        self._closed = True
        await self._adrop()
        if self._agen is not None:
            await self._agen.aclose()  # type: ignore[attr-defined]

    def close(self) -> None:
        """Stop: the pending read is abandoned at its next wake-up."""
        self._closed = True
        client = self.aclient
        if client is not None and client.writer is not None:
            client.writer.transport.abort()

    async def __aenter__(self) -> AsyncBinlogStream:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def _atarget(self) -> tuple[str, int]:
        if self.address is None:
            return self.host, self.port
        try:
            result = self.address()
            if isinstance(result, Awaitable):
                result = await result
            return result
        except Exception as exc:
            raise ConnectionLost(f"no address to connect to: {exc}") from exc

    async def _aopen(self) -> None:
        host, port = await self._atarget()
        options = {"tls": self.tls, "connect_timeout": self.connect_timeout,
                   "read_timeout": self.read_timeout, "recorder": self.recorder,
                   **self.client_options}
        client = self.aclient = AsyncClient(host, port, self.user, self.password, **options)
        try:
            await client.connect()
        except TimeoutError as exc:
            raise ConnectionLost(str(exc)) from exc
        self.server_flavour = client.flavour
        self.server_version = client.server_version
        tracker = self.tracker
        if self.by_gtid and tracker.resume.gtids is None:
            tracker.resume.gtids = _coerce_gtids(self._gtid_start, client.flavour)
        setup = dump_setup(client.flavour, self.options, tracker.resume, self.by_gtid)
        for sql, optional in setup.statements:
            try:
                await client.query(sql)
            except ServerError:
                if not optional:
                    raise
        alg = _checksum_alg((await client.query("SELECT @master_binlog_checksum")).scalar())
        await client.simple_command(setup.register, "COM_REGISTER_SLAVE")
        if self.options.semi_sync:
            client.conn.semi_sync = "auto"
        await client.send(setup.dump)
        tracker.new_connection(alg)

    async def _adrop(self) -> None:
        client, self.aclient = self.aclient, None
        if client is not None:
            if client.writer is not None:
                client.writer.transport.abort()
            await client.close()

    async def _aevents(self) -> AsyncIterator[Event]:
        failures = 0
        try:
            while not self._closed:
                progressed = False
                try:
                    await self._aopen()
                    client = self.aclient
                    tracker = self.tracker
                    while True:
                        event = await client.read_event()
                        if isinstance(event, BinlogPacket):
                            batch = tracker.feed(event)
                            await self._asend_acks(tracker.immediate_acks)
                            if batch is None:
                                continue
                            self.file = batch.file
                            for item in batch.events:
                                if not self.include_heartbeats and item.type_code in HEARTBEATS:
                                    continue
                                yield item
                            tracker.commit(batch)
                            if batch.ack is not None:
                                await self._asend_acks([batch.ack])
                            if batch.resume is not None and not progressed:
                                progressed = True
                                failures = 0
                        elif isinstance(event, EndOfStream):
                            if self.options.until_end:
                                return
                            # Not asked for: the server ended the dump, as MariaDB
                            # does when it shuts down (an EOF, not an error).
                            raise ConnectionLost("the server ended the binlog dump")
                        elif isinstance(event, Err):
                            raise server_error(event, "binlog dump")
                        elif isinstance(event, ConnectionClosed):
                            raise ConnectionLost("the server closed the binlog stream")
                        else:
                            raise ProtocolError(f"unexpected {type(event).__name__}",
                                                state="STREAM", packet=type(event).__name__)
                except Exception as exc:
                    await self._adrop()
                    if self._closed:
                        return
                    self.last_error = exc
                    if not is_retryable(exc):
                        raise
                    failures += 1
                    if failures > self.retry.max_retries:
                        raise RetriesExhausted(
                            f"gave up after {failures - 1} reconnection attempts: {exc}",
                            exc) from exc
                    delay = self.retry.delay(failures)
                    log.warning("binlog stream: %s; reconnecting in %.2f s from %s", exc,
                                delay, self.tracker.resume)
                    self.reconnects += 1
                    await asyncio.sleep(delay)
        finally:
            await self._adrop()

    async def _asend_acks(self, acks: list[tuple[str, int]]) -> None:
        while acks:
            file, pos = acks.pop(0)
            assert self.aclient is not None
            await self.aclient.send(SemiSyncAck.of(file, pos))
            self.acks_sent += 1

