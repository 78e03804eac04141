"""Access to the shared corpus of real binlogs (../shared/corpus, read in place).

The corpus's MANIFEST.md names three deliberately broken files; everything else must
decode and round-trip.  Tests skip with a clear reason where the corpus is absent
(outside this workplace); on CI (``CI=true``) its absence is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS = Path(os.environ.get("MYSQLPROTO_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))

BROKEN = {
    # MANIFEST.md, "Deliberately broken files"
    "blackbeam__rust_mysql_common/binlog_truncated_event.000001",
    "blackbeam__rust_mysql_common/binlog_truncated_prev_gtid_event.000001",
    "blackbeam__rust_mysql_common/corrupt-relay-bin.000624",
}


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in (".md", ".txt")
    )


def good_files() -> list[Path]:
    return [p for p in corpus_files() if rel(p) not in BROKEN]


def rel(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def require_corpus() -> None:
    if CORPUS.is_dir():
        return
    reason = f"binlog corpus not found at {CORPUS} (set MYSQLPROTO_CORPUS)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)
