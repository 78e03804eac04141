"""Vendor event declarations: data, composed into flavours by ``mysqlproto.vendors``.

Each module declares ``SPECS``, a list of :class:`~spec.binlog.eventspec.EventSpec`,
and nothing else is needed for the reader, writer and crafting API to know them.
"""
