"""Conformance suite: runs scenario workloads against real servers and checks binlogs.

- `conformance.servers`: the real MySQL/MariaDB servers the suite and the tests run
  against.
- `conformance.matrix`: the named server configurations covered.
- `conformance.scenarios`: the SQL workloads, one file each, with their ground truth.
- `conformance.capture`: run them, collect the binlog files, round-trip every event.
- `conformance.report`, `conformance.cli`: the Markdown/HTML report and `conformance run`.

See `conformance/README.md`.
"""
