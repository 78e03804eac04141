"""The event registry: flavours composed from event specs.

A :class:`Flavour` is a value: a name and a mapping from type code to
:class:`~spec.binlog.eventspec.EventSpec`.  ``MYSQL`` and ``MARIADB`` are built from
the schemas in :mod:`spec.binlog.events`; a vendor makes its own flavour with
:meth:`Flavour.extend`, passing its event specs, and hands it to the reader, the
writer, the crafting API or the fake primary.  Nothing global is changed, so two
vendors whose codes collide (Aurora's 100 and PolarDB-X's 101-105 do not; PolarDB-X's
101 and another vendor's 101 would) live side by side in two flavours.

>>> from spec.binlog.eventspec import EventSpec
>>> from construct import GreedyBytes
>>> acme = MYSQL.extend([EventSpec(200, "ACME_EVENT", GreedyBytes)], name="acme")
>>> acme.spec_for(200).name
'ACME_EVENT'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from mysqlproto.errors import RegistryError
from spec.binlog.eventspec import EventSpec


class Flavour:
    """A named, immutable set of event specs keyed by type code."""

    __slots__ = ("name", "_specs", "_by_name", "parent")

    def __init__(self, name: str, specs: Iterable[EventSpec], parent: Flavour | None = None):
        table: dict[int, EventSpec] = {}
        for spec in specs:
            if spec.code in table:
                raise RegistryError(
                    f"flavour {name!r}: type code {spec.code} is declared twice "
                    f"({table[spec.code].name} and {spec.name})"
                )
            table[spec.code] = spec
        self.name = name
        self._specs: Mapping[int, EventSpec] = MappingProxyType(table)
        self._by_name = {spec.name: spec for spec in table.values()}
        self.parent = parent

    @property
    def specs(self) -> Mapping[int, EventSpec]:
        return self._specs

    def spec_for(self, code: int) -> EventSpec | None:
        return self._specs.get(code)

    def spec_named(self, name: str) -> EventSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise RegistryError(f"flavour {self.name!r} has no event named {name!r}") from None

    def extend(
        self, specs: Iterable[EventSpec], *, name: str, replace: bool = False
    ) -> Flavour:
        """A new flavour: this one's events plus ``specs``.

        A code already taken is an error unless ``replace`` is true, in which case the
        new spec wins (a vendor that reuses a code the base flavour leaves unused in
        practice, for instance).
        """
        specs = list(specs)
        merged = dict(self._specs)
        for spec in specs:
            if spec.code in merged and not replace:
                raise RegistryError(
                    f"flavour {name!r}: type code {spec.code} ({spec.name}) is already "
                    f"{merged[spec.code].name} in {self.name!r}; pass replace=True to override"
                )
        seen: set[int] = set()
        for spec in specs:
            if spec.code in seen:
                raise RegistryError(f"flavour {name!r}: type code {spec.code} is declared twice")
            seen.add(spec.code)
            merged[spec.code] = spec
        return Flavour(name, merged.values(), parent=self)

    def __repr__(self) -> str:
        return f"<Flavour {self.name} ({len(self._specs)} events)>"


def _build_base_flavours() -> tuple[Flavour, Flavour]:
    from spec.binlog.events import MARIADB_EVENTS, MYSQL_EVENTS

    return Flavour("mysql", MYSQL_EVENTS), Flavour("mariadb", MARIADB_EVENTS)


MYSQL, MARIADB = _build_base_flavours()


def flavour_for_server_version(server_version: str) -> Flavour:
    """The base flavour matching an FDE's server version string."""
    from spec.binlog.events.fde import is_mariadb_version

    return MARIADB if is_mariadb_version(server_version) else MYSQL
