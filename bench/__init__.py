"""The benchmark suite: ``python -m bench.run`` (``make bench``) writes docs/benchmarks.md.

Benchmarks are not tests: nothing here asserts a timing. Each section measures, records the
machine's load average beside its figures, and the report compares the figures with the
targets of issue 7, saying by how much a missed target is missed.
"""
