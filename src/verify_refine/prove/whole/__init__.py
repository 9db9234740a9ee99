"""The whole-policy verifier (`verify`): any refinement proved or refuted, query by query."""

from .equivalence import prove_equal
from .model import resource_matches
from .regex import resource_regex, trie_union
from .results import (
    COMPLETE,
    PROVED,
    REFUTED,
    REMOVES,
    SOUND,
    UNKNOWN,
    CounterexampleError,
    VerifyResult,
)
from .verifier import verify_each, verify_policies

__all__ = ["COMPLETE", "PROVED", "REFUTED", "REMOVES", "SOUND", "UNKNOWN", "CounterexampleError",
           "VerifyResult", "prove_equal", "resource_matches", "resource_regex", "trie_union", "verify_each",
           "verify_policies"]
