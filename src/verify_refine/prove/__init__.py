"""The prover, the only Z3/cvc5 user: obligations written as SMT-LIB2, the solver wrappers,
the prover that runs and judges them, the proof kernel (the trusted base), and the whole-policy
verifier."""
