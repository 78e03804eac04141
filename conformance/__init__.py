"""Conformance suite: runs scenario workloads against real servers and checks binlogs.

`conformance.servers` provides the real MySQL/MariaDB servers the suite and the tests
run against.
"""
