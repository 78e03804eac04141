"""Scenarios: SQL workloads run on a real server to make it write binlog events.

One module per scenario (or a few close ones); each declares its scenarios with the
`scenario` decorator from `base`, and `discover()` finds every `Scenario` at module
level in this package, so adding one is adding a file:

    # conformance/scenarios/my_case.py
    from conformance.scenarios.base import Recorder, scenario

    @scenario(mysql="8.0", mariadb="10.5")
    def my_case(t: Recorder) -> None:
        \"\"\"What it covers, in one line.\"\"\"
        t.sql("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
        t.insert("t", [{"id": 1, "v": "x"}])

`Scenario.run(conn, server)` returns the `GroundTruth` the body recorded.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from conformance.scenarios.base import GroundTruth, Recorder, Scenario, Sql, scenario

__all__ = ["GroundTruth", "Recorder", "Scenario", "Sql", "discover", "scenario", "select"]

#: Modules of this package that hold no scenarios.
_NOT_SCENARIOS = frozenset({"base"})


def discover() -> list[Scenario]:
    """Every scenario in this package, ordered by module name then definition order.

    Raises `ValueError` when two scenarios share a name.
    """
    found: list[Scenario] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if info.name in _NOT_SCENARIOS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(
            value
            for value in vars(module).values()
            if isinstance(value, Scenario) and value.module == module.__name__
        )
    names: dict[str, Scenario] = {}
    for item in found:
        if item.name in names:
            raise ValueError(
                f"scenario {item.name!r} is declared in {names[item.name].module}"
                f" and in {item.module}"
            )
        names[item.name] = item
    return found


def select(names: Iterable[str] | None = None) -> list[Scenario]:
    """The scenarios named (all when `names` is empty or None); unknown names raise."""
    everything = discover()
    wanted = list(names or ())
    if not wanted:
        return everything
    by_name = {item.name: item for item in everything}
    unknown = [name for name in wanted if name not in by_name]
    if unknown:
        raise ValueError(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    return [by_name[name] for name in wanted]
