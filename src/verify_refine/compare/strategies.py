"""The refinement strategies compared: ours (token trie) and four baselines.

Each strategy is a function (policy, catalog, unused) -> refined document (a dict in the
shape of `report.document.original_document`): the same statements with every non-action element
untouched, Deny statements untouched, and only Allow `Action` lists changed. A statement
whose Action list ends up empty is removed (as the token-trie refiner does). Allow
`NotAction` statements are left as written by every baseline; only `token-trie` refines them.

Patterns that admit no unused action are kept as written by every strategy except `expand`,
which lists the catalog actions of every wildcard (Repokid's way).
"""

from __future__ import annotations

import bisect
import contextlib
import io

from ..inputs.catalog import Catalog
from ..inputs.findings import UnusedSet
from ..inputs.model import Policy
from ..refine.refiner import refine
from ..refine.unused_index import UnusedIndex
from ..report.document import KEEP, refined_document, rewrite_document
from ..spec.glob import STAR, fold, has_wildcard, literal_head

ORDER = ("token-trie", "char-trie", "expand", "naive", "policyuniverse")


class Skipped(Exception):
    """The strategy cannot run here (an optional package is missing); the message says why."""


def token_trie(policy: Policy, catalog: Catalog, unused: UnusedSet) -> dict:
    """Ours: shortest safe token prefixes (Access Analyzer's rule), via `refine`."""
    return refined_document(refine(policy, catalog, unused))


def char_trie(policy: Policy, catalog: Catalog, unused: UnusedSet) -> dict:
    """The policyuniverse / policy_sentry rule, implemented here on our catalog.

    For a pattern `head*` (wildcards only at the end) that admits an unused action: for each
    used catalog action it matches, the shortest CHARACTER prefix q (extending the head and
    the service's colon) such that q* admits no unused action; a literal when q* covers one
    catalog action, and the action itself when no prefix is safe. A pattern with a wildcard
    anywhere but the end falls back to listing its used catalog actions literally.
    """
    index = UnusedIndex(unused)

    def narrow(text: str) -> list[str]:
        matched = catalog.matching(text)
        used = [a for a in matched if not index.is_unused(a)]
        head = literal_head(text)
        if text[len(head):].strip(STAR) != "":  # a wildcard before the end: list the actions
            return [catalog.canonical(a) for a in used]
        out: list[str] = []
        for action in used:
            spelled = catalog.canonical(action)
            start = max(len(head), action.index(":") + 1)
            chosen = spelled
            for n in range(start + 1, len(action) + 1):
                q = action[:n]
                if _unused_under(index, q):
                    continue
                covered = catalog.with_prefix(q)
                chosen = spelled if len(covered) == 1 else spelled[:n] + STAR
                break
            out.append(chosen)
        return out

    return _per_pattern(policy, catalog, index, narrow)


def expand(policy: Policy, catalog: Catalog, unused: UnusedSet) -> dict:
    """Repokid's way: every used catalog action a wildcard allowed, listed literally (wildcards
    that match no catalog action are kept as written unless they meet an unused service)."""
    index = UnusedIndex(unused)

    def rewrite(text: str) -> list[str]:
        if not has_wildcard(text):
            return [] if index.is_unused(text) else [text]
        matched = catalog.matching(text)
        if not matched:
            return [] if index.admitted_by(text) else [text]
        return [catalog.canonical(a) for a in matched if not index.is_unused(a)]

    return _rewrite_actions(policy, rewrite)


def naive(policy: Policy, catalog: Catalog, unused: UnusedSet) -> dict:
    """Drop the unused literals only; keep every wildcard as written (so it usually still
    admits unused actions: that is the point of this baseline)."""
    index = UnusedIndex(unused)
    return _rewrite_actions(
        policy, lambda t: [t] if has_wildcard(t) or not index.is_unused(t) else [])


def policyuniverse(policy: Policy, catalog: Catalog, unused: UnusedSet) -> dict:
    """The real policyuniverse `minimize_statement_actions`, run on OUR catalog: its module
    global `all_permissions` is replaced by the catalog's (lower-cased) actions while it runs.
    Per statement, one call minimizes the used catalog actions of its wildcards that admit
    unused actions (patterns that need no change stay as written, as for the other
    strategies; unused literals are dropped). Its output is lower-cased (IAM matches actions
    case-insensitively)."""
    try:
        from policyuniverse import expander_minimizer as em
    except ImportError as exc:
        raise Skipped("policyuniverse is not installed (pip install 'verify-refine[compare]')") \
            from exc
    index = UnusedIndex(unused)
    saved = em.all_permissions
    em.all_permissions = set(catalog.with_prefix(""))

    def statement(texts: list[str]) -> list[str]:
        kept, desired = [], set()
        for text in texts:
            if not index.admitted_by(text):
                kept.append(text)
            elif has_wildcard(text):
                desired.update(a for a in catalog.matching(text) if not index.is_unused(a))
        if not desired:
            return kept
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return kept + list(em.minimize_statement_actions(
                {"Effect": "Allow", "Action": sorted(desired)}))

    try:
        return _rewrite_statements(policy, statement)
    finally:
        em.all_permissions = saved


NOTES = {
    "policyuniverse": "policyuniverse.expander_minimizer.minimize_statement_actions on our "
                      "catalog (all_permissions replaced); output lower-cased",
    "char-trie": "character prefixes; mid-string wildcards listed as used actions",
}

STRATEGIES = {
    "token-trie": token_trie,
    "char-trie": char_trie,
    "expand": expand,
    "naive": naive,
    "policyuniverse": policyuniverse,
}


# ---------------------------------------------------------------- shared plumbing


def _unused_under(index: UnusedIndex, folded_prefix: str) -> bool:
    """Some unused action (or unused service) starts with the prefix."""
    lits = index.literals
    i = bisect.bisect_left(lits, folded_prefix)
    if i < len(lits) and lits[i].startswith(folded_prefix):
        return True
    service = folded_prefix.split(":", 1)[0]
    return ":" in folded_prefix and service in index.services


def _per_pattern(policy: Policy, catalog: Catalog, index: UnusedIndex, narrow) -> dict:
    """Keep each pattern that admits nothing unused, drop unused literals, and replace each
    wildcard that admits unused actions by `narrow(pattern)`."""

    def rewrite(text: str) -> list[str]:
        if not index.admitted_by(text):
            return [text]
        if not has_wildcard(text):
            return []
        return narrow(text)

    return _rewrite_actions(policy, rewrite)


def _rewrite_actions(policy: Policy, rewrite) -> dict:
    return _rewrite_statements(policy, lambda texts: [t for x in texts for t in rewrite(x)])


def _rewrite_statements(policy: Policy, rewrite_list) -> dict:
    """Rewrite each Allow Action list as a whole with `rewrite_list(texts) -> texts`."""
    lists = []
    for stmt in policy.statements:
        if stmt.effect != "Allow" or stmt.action_key != "Action":
            lists.append(KEEP)
            continue
        texts = _dedupe(rewrite_list([p.text for p in stmt.patterns]))
        lists.append(texts or None)  # nothing left to allow: the statement goes
    return rewrite_document(policy, lists)


def _dedupe(texts) -> list[str]:
    seen, out = set(), []
    for t in texts:
        if fold(t) not in seen:
            seen.add(fold(t))
            out.append(t)
    return out
