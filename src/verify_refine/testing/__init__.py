"""Helpers for tests and benchmarks: oracles, hypothesis strategies, refiner mutants and the corpus
draw (needs the test extra: `pip install -e '.[test]'`)."""
