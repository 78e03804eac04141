"""Benchmark: read the whole binlog corpus with checksums verified.

    python benchmarks/read_corpus.py [--corpus DIR] [--repeat N]

Reports events/s and MB/s for (a) decoding every event (framing, CRC32, body schema,
compressed payloads expanded) and (b) decoding plus re-serializing every event
(the ``mysqlproto roundtrip`` work).  Figures are wall-clock on this machine; run on an
otherwise idle machine and compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mysqlproto.binlog import BinlogWriter, read_binlog  # noqa: E402

BROKEN = {"binlog_truncated_event.000001", "binlog_truncated_prev_gtid_event.000001",
          "corrupt-relay-bin.000624"}


def load(corpus: Path) -> list[tuple[str, bytes]]:
    files = []
    for path in sorted(corpus.rglob("*")):
        if not path.is_file() or path.suffix in (".md", ".txt") or path.name in BROKEN:
            continue
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        files.append((str(path), data))
    return files


def run(files, roundtrip: bool) -> tuple[int, float]:
    events = 0
    start = time.perf_counter()
    for _name, data in files:
        writer = BinlogWriter() if roundtrip else None
        if writer:
            writer.begin()
        for event in read_binlog(data, keep_raw=roundtrip):
            events += 1
            if writer and writer.encode(event) != event.raw:
                raise SystemExit(f"not byte-identical: {_name} @{event.offset}")
    return events, time.perf_counter() - start


def main() -> int:
    default = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("MYSQLPROTO_CORPUS", default)))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = load(args.corpus)
    total_bytes = sum(len(d) for _, d in files)
    print(f"corpus: {len(files)} files, {total_bytes / 1e6:.2f} MB")
    for label, roundtrip in (("decode", False), ("decode+encode", True)):
        times = []
        for _ in range(args.repeat):
            events, seconds = run(files, roundtrip)
            times.append(seconds)
        best = min(times)
        print(f"{label:14s} events={events} best={best:.2f}s median={statistics.median(times):.2f}s "
              f"-> {events / best:,.0f} events/s, {total_bytes / best / 1e6:.2f} MB/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
