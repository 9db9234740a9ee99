"""Assurance: the provers against oracles, mutants, other solvers and the real corpus."""
