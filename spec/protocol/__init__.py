"""The MySQL / MariaDB client/server protocol as construct schemas.

One declarative schema per packet both parses and builds, byte-exact:

* :mod:`~spec.protocol.constants` -- capability, status, command and type codes;
* :mod:`~spec.protocol.framing` -- packet headers, splitting and joining large
  payloads, a sans-IO packet reader, the compressed protocol;
* :mod:`~spec.protocol.handshake` -- connection phase and authentication exchange;
* :mod:`~spec.protocol.generic` -- OK, ERR and EOF packets;
* :mod:`~spec.protocol.commands` -- every ``COM_*`` command, keyed in ``COMMANDS``;
* :mod:`~spec.protocol.resultset` -- column definitions, text and binary rows;
* :mod:`~spec.protocol.binary` -- the binary protocol's typed values;
* :mod:`~spec.gtid_set` -- MySQL's binary GTID set encoding;
* :mod:`~spec.protocol.replication` -- the binlog network stream and semi-sync.

Schemas whose layout depends on the negotiated capabilities read them from the
context parameter ``capabilities`` (the 64-bit value: MariaDB's extended
capabilities in the upper 32 bits), e.g. ``OkPacket.parse(data, capabilities=caps)``.
Reference: https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html and
the MariaDB KB "clientserver-protocol" pages.
"""
