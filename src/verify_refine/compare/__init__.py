"""Research comparisons: refinement strategies side by side, judged by the same prover."""
