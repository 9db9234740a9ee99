"""Fast questions about the unused set: which unused actions a pattern or prefix admits."""

from __future__ import annotations

from ..inputs.findings import UnusedSet
from ..spec.glob import fold, literal_head, states_after, with_prefix
from ..spec.languages import fast_match


class UnusedIndex:
    """The unused set, folded and sorted, for prefix and pattern look-ups."""

    def __init__(self, unused: UnusedSet, canonical=lambda action: action):
        self.unused = unused
        self.services = sorted(fold(s) for s in unused.services)
        self._names = {fold(a): a for a in unused.actions}
        self.literals = sorted(self._names)

    def name(self, folded: str) -> str:
        return self._names.get(folded, folded)

    def is_unused(self, action: str) -> bool:
        return self.unused.is_unused(action)

    def literals_with_prefix(self, folded_prefix: str) -> list[str]:
        return with_prefix(self.literals, folded_prefix)

    def literals_in(self, pattern: str) -> list[str]:
        """Folded unused actions in lang(pattern)."""
        head = fold(literal_head(pattern))
        return [u for u in self.literals_with_prefix(head) if fast_match(pattern, u)]

    def services_meeting(self, pattern: str) -> list[str]:
        """Unused services `svc:*` whose language meets lang(pattern)."""
        return [f"{s}:*" for s in self.services if states_after(pattern, s + ":")]

    def admitted_by(self, pattern: str) -> list[str]:
        """Everything unused that lang(pattern) admits: folded actions, then `svc:*` patterns."""
        return self.literals_in(pattern) + self.services_meeting(pattern)
