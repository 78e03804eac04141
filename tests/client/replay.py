"""Replay a captured conversation through a client and a server :class:`Connection`.

Each end receives what its peer sent and, for every event it parses, the *other* end
sends that event again; the bytes rebuilt that way must be the captured bytes.  That
checks the framing, the sequence ids, the state machine and every packet schema
(parse, then build) over the whole conversation.
"""

from __future__ import annotations

from mysqlproto.connection import CLIENT, NEED_DATA, SERVER, Connection


def replay(chunks: list[tuple[str, bytes]]) -> dict:
    """``chunks``: ``("server" | "client", bytes)`` in the order they travelled.

    Returns the rebuilt bytes per direction, the captured ones, and the events seen.
    """
    client, server = Connection(CLIENT, semi_sync="auto"), Connection(SERVER)
    receiver = {"server": client, "client": server}
    resender = {"server": server, "client": client}
    captured = {"server": bytearray(), "client": bytearray()}
    rebuilt = {"server": bytearray(), "client": bytearray()}
    events: list = []
    for direction, data in chunks:
        captured[direction] += data
        conn = receiver[direction]
        conn.receive_data(data)
        while (event := conn.next_event()) is not NEED_DATA:
            events.append(event)
            rebuilt[direction] += resender[direction].send(event)
    return {"captured": {k: bytes(v) for k, v in captured.items()},
            "rebuilt": {k: bytes(v) for k, v in rebuilt.items()},
            "events": events, "client": client, "server": server}
