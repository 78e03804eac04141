"""Benchmark: decoding MySQL binary JSON (``mysqlproto.jsonbinary``).

    python benchmarks/json_decode.py [--repeat N] [--seconds S]

Times ``decode_json`` -- the fast decoder, which hands any doubt to the checked one --
against the checked decoder alone (``_Decoder``, the one with precise error paths), on
a few representative documents encoded by ``encode_json``:

- ``rows doc``: the JSON column of ``benchmarks/rows.py``'s mixed table;
- ``array of 100 objects``: small objects with ints, strings, a double, a literal;
- ``long strings``: an object whose values are strings of 200 B to 20 KB.

Prints documents/s for each (best of ``--repeat`` rounds: the machine may be shared)
and the speedup.  Both decoders are checked to give the same value first.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mysqlproto import jsonbinary  # noqa: E402
from mysqlproto.jsonbinary import decode_json, encode_json  # noqa: E402

DOCUMENTS = {
    "rows doc": {"id": 1, "name": "n1", "tags": ["x", "y"],
                 "nested": {"ok": True, "score": 0.5}},
    "array of 100 objects": [
        {"id": i, "name": f"user-{i}", "email": f"user{i}@example.com",
         "score": i * 1.25, "active": i % 3 == 0, "group": i % 7}
        for i in range(100)],
    "long strings": {"title": "t" * 200, "body": "lorem ipsum dolor " * 1000,
                     "summary": "é" * 500, "tags": ["alpha" * 40, "beta" * 60]},
}


def rate(decode, data: bytes, seconds: float, repeat: int) -> float:
    """Best documents/s over ``repeat`` rounds of about ``seconds`` each."""
    n = 1
    while True:  # calibrate a batch size
        start = time.perf_counter()
        for _ in range(n):
            decode(data)
        elapsed = time.perf_counter() - start
        if elapsed > seconds / 5:
            break
        n *= 2
    batch = max(1, int(n * seconds / elapsed))
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(batch):
            decode(data)
        best = max(best, batch / (time.perf_counter() - start))
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.3)
    args = parser.parse_args(argv)
    checked = jsonbinary._decode_json_checked
    print(f"{'document':<24}{'bytes':>8}{'checked docs/s':>17}{'decode_json docs/s':>21}"
          f"{'speedup':>9}")
    for name, value in DOCUMENTS.items():
        data = encode_json(value)
        assert decode_json(data) == checked(data) == value
        slow = rate(checked, data, args.seconds, args.repeat)
        fast = rate(decode_json, data, args.seconds, args.repeat)
        print(f"{name:<24}{len(data):>8}{slow:>17,.0f}{fast:>21,.0f}{fast / slow:>8.1f}x")


if __name__ == "__main__":
    main()
