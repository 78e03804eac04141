"""The configuration matrix: named sets of server options the conformance run covers.

Each `Config` fixes one value on every axis below; its name spells them in order,
`<checksum>-<gtid>-<row image>-meta_<metadata>[-<extras>]`, e.g.
`crc32-gtid-full-meta_full`. Running every combination would take hours, so each
flavour gets a covering set (`CONFIGS`): every value of every axis appears at least
once (`uncovered` checks it), combined so that the features that interact most
(compression with row images, metadata with row images, GTIDs with checksums) meet
in more than one way.

| axis | values | MySQL options | MariaDB options |
|------|--------|---------------|-----------------|
| checksum | none, crc32 | `binlog_checksum` | same |
| gtid | nogtid, gtid | `gtid_mode` + `enforce_gtid_consistency` OFF/ON | see below |
| row image | full, minimal, noblob (+ full_nodup on MariaDB 11.4+) | `binlog_row_image` | same |
| metadata | meta_min, meta_full | `binlog_row_metadata` MINIMAL/FULL | MINIMAL/FULL (10.5+) |
| compression | (off), zstd / zlib | `binlog_transaction_compression` | `log_bin_compress` with `log_bin_compress_min_len=10` |
| statement text | (off), rowsquery / annotate | `binlog_rows_query_log_events` | `binlog_annotate_row_events` |

MariaDB always writes GTIDs (GTID_EVENT, GTID_LIST_EVENT); there is nothing to turn
off. Its `gtid` value means `gtid_strict_mode=ON` with `gtid_domain_id=1`, so GTID
and GTID_LIST events carry a domain other than 0; `nogtid` keeps the defaults (strict
mode off, domain 0). MariaDB writes annotate events by default, so `annotate` off is
set explicitly, as is everything else: a config never depends on a server default.

MariaDB-only extras: `alter2pc` (`binlog_alter_two_phase=ON`, 10.8+: START/COMMIT
ALTER query events) and `old_temporal` (`mysql56_temporal_format=OFF`: tables get the
pre-5.6 TIME/DATETIME/TIMESTAMP types).

Not covered: binlog encryption (MySQL `binlog_encryption`, MariaDB `encrypt_binlog`)
needs a keyring, and its files cannot be read without the key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from conformance.servers.base import OptionValue, version_tuple

Version = tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Config:
    """One named set of mysqld options for one flavour (from `min_version` on)."""

    name: str
    flavour: str
    options: Mapping[str, OptionValue]
    axes: Mapping[str, str]
    expected_events: tuple[str, ...] = ()
    min_version: Version = (0,)

    def applies(self, flavour: str, version: str | Version) -> bool:
        have = version_tuple(version) if isinstance(version, str) else tuple(version)
        return flavour == self.flavour and have >= self.min_version


#: Every axis and its values, per flavour.
AXES: dict[str, dict[str, tuple[str, ...]]] = {
    "mysql": {
        "checksum": ("none", "crc32"),
        "gtid": ("nogtid", "gtid"),
        "row_image": ("full", "minimal", "noblob"),
        "metadata": ("meta_min", "meta_full"),
        "compression": ("off", "zstd"),
        "statement_text": ("off", "rowsquery"),
    },
    "mariadb": {
        "checksum": ("none", "crc32"),
        "gtid": ("nogtid", "gtid"),
        "row_image": ("full", "minimal", "noblob"),
        "metadata": ("meta_min", "meta_full"),
        "compression": ("off", "zlib"),
        "statement_text": ("off", "annotate"),
    },
}


def _mysql(checksum: str, gtid: str, image: str, meta: str, *extras: str) -> Config:
    on = gtid == "gtid"
    options: dict[str, OptionValue] = {
        "binlog_checksum": checksum.upper(),
        "gtid_mode": "ON" if on else "OFF",
        "enforce_gtid_consistency": "ON" if on else "OFF",
        "binlog_row_image": image.upper(),
        "binlog_row_metadata": "FULL" if meta == "meta_full" else "MINIMAL",
        "binlog_transaction_compression": "ON" if "zstd" in extras else "OFF",
        "binlog_rows_query_log_events": "ON" if "rowsquery" in extras else "OFF",
    }
    expected = ["GTID_LOG_EVENT" if on else "ANONYMOUS_GTID_LOG_EVENT"]
    if "zstd" in extras:
        expected.append("TRANSACTION_PAYLOAD_EVENT")
    if "rowsquery" in extras:
        expected.append("ROWS_QUERY_LOG_EVENT")
    axes = {
        "checksum": checksum,
        "gtid": gtid,
        "row_image": image,
        "metadata": meta,
        "compression": "zstd" if "zstd" in extras else "off",
        "statement_text": "rowsquery" if "rowsquery" in extras else "off",
    }
    name = "-".join([checksum, gtid, image, meta, *extras])
    return Config(name, "mysql", options, axes, tuple(expected), (8, 0, 20))


def _mariadb(
    checksum: str, gtid: str, image: str, meta: str, *extras: str, min_version: Version = (10, 5)
) -> Config:
    strict = gtid == "gtid"
    options: dict[str, OptionValue] = {
        "binlog_checksum": checksum.upper(),
        "gtid_strict_mode": "ON" if strict else "OFF",
        "gtid_domain_id": 1 if strict else 0,
        "binlog_row_image": image.upper(),
        "binlog_row_metadata": "FULL" if meta == "meta_full" else "MINIMAL",
        "log_bin_compress": "ON" if "zlib" in extras else "OFF",
        "binlog_annotate_row_events": "ON" if "annotate" in extras else "OFF",
    }
    if "zlib" in extras:
        # The smallest threshold the server takes, so nearly every event is compressed.
        options["log_bin_compress_min_len"] = 10
    if "alter2pc" in extras:
        options["binlog_alter_two_phase"] = "ON"
        min_version = max(min_version, (10, 8))
    if "old_temporal" in extras:
        options["mysql56_temporal_format"] = "OFF"
    expected = ["GTID_EVENT", "GTID_LIST_EVENT", "BINLOG_CHECKPOINT_EVENT"]
    if "zlib" in extras:
        expected += ["QUERY_COMPRESSED_EVENT", "WRITE_ROWS_COMPRESSED_EVENT_V1"]
    if "annotate" in extras:
        expected.append("ANNOTATE_ROWS_EVENT")
    axes = {
        "checksum": checksum,
        "gtid": gtid,
        "row_image": image,
        "metadata": meta,
        "compression": "zlib" if "zlib" in extras else "off",
        "statement_text": "annotate" if "annotate" in extras else "off",
    }
    name = "-".join([checksum, gtid, image, meta, *extras])
    return Config(name, "mariadb", options, axes, tuple(expected), min_version)


#: The covering set of each flavour. Each line varies several axes from the ones
#: around it; `uncovered()` is empty for both flavours.
CONFIGS: list[Config] = [
    _mysql("crc32", "gtid", "full", "meta_min"),
    _mysql("none", "nogtid", "full", "meta_full", "rowsquery"),
    _mysql("crc32", "nogtid", "minimal", "meta_full"),
    _mysql("none", "gtid", "noblob", "meta_min", "rowsquery"),
    _mysql("crc32", "gtid", "full", "meta_full", "zstd"),
    _mysql("none", "nogtid", "minimal", "meta_min", "zstd", "rowsquery"),
    _mysql("crc32", "nogtid", "noblob", "meta_full", "zstd"),
    _mysql("crc32", "gtid", "minimal", "meta_full", "rowsquery"),
    _mariadb("crc32", "gtid", "full", "meta_min", "annotate"),
    _mariadb("none", "nogtid", "full", "meta_full"),
    _mariadb("crc32", "nogtid", "minimal", "meta_full", "annotate"),
    _mariadb("none", "gtid", "noblob", "meta_min", "old_temporal", "alter2pc"),
    _mariadb("crc32", "gtid", "full", "meta_full", "zlib", "annotate"),
    _mariadb("none", "nogtid", "minimal", "meta_min", "zlib"),
    _mariadb("crc32", "nogtid", "noblob", "meta_full", "zlib", "annotate", "alter2pc"),
    _mariadb("crc32", "gtid", "full_nodup", "meta_full", "annotate", min_version=(11, 4)),
]


def configs_for(flavour: str, version: str | Version) -> list[Config]:
    """The configs that apply to a server of `flavour` and `version`, in matrix order."""
    return [config for config in CONFIGS if config.applies(flavour, version)]


def select(configs: Iterable[Config], names: Iterable[str] | None) -> list[Config]:
    """`configs` restricted to `names` (all when empty); a name no config has raises."""
    configs = list(configs)
    wanted = list(names or ())
    if not wanted:
        return configs
    known = {config.name for config in CONFIGS}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise ValueError(
            f"unknown config(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return [config for config in configs if config.name in wanted]


def uncovered(flavour: str, version: str | Version | None = None) -> list[str]:
    """`axis=value` pairs of `flavour` that no config (for `version`) uses; [] is good."""
    configs = [
        config
        for config in CONFIGS
        if config.flavour == flavour and (version is None or config.applies(flavour, version))
    ]
    missing = []
    for axis, values in AXES[flavour].items():
        for value in values:
            if not any(config.axes[axis] == value for config in configs):
                missing.append(f"{axis}={value}")
    return missing
