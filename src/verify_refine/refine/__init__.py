"""The refiner: the token trie and the narrowing of each pattern to its shortest safe
prefixes (pure functions), and its provenance as hints the prover checks but never trusts."""
