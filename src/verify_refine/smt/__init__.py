"""The prover: SMT-LIB2 encoding of patterns, proof obligations, and the solver wrapper (the only Z3 user)."""
