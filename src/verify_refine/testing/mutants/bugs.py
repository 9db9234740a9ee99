"""The mutants: each a realistic bug of the refiner, and the few that survive by design."""

from __future__ import annotations

from verify_refine.testing.mutants.mutant import Mutant

R, TRIE, TOK, IDX, REP = ("verify_refine.refine.refiner", "verify_refine.refine.trie", "verify_refine.spec.tokens",
                          "verify_refine.refine.unused_index", "verify_refine.report.document")


def _m(name, bug, module, *edits, into=(), names=()):
    return Mutant(name, bug, module, tuple(edits), tuple(into), tuple(names))


# The refiner's own text for the pieces it emits at a node (edited by one mutant below).
_TEXTS = ("            texts = ((self.catalog.canonical(covered[0]),) if len(covered) == 1 else\n"
          "                     tuple(t for t in emitted if any(fast_match(t, a) "
          "for a in covered)))")
MUTANTS: tuple[Mutant, ...] = (
    _m("fold-node-prefix",
       "safety check compares the node's canonical-case prefix with the folded unused names",
       R, ("        folded = fold(prefix)\n"
           "        i = bisect.bisect_left(self.unused_here, folded)",
           "        folded = prefix\n"
           "        i = bisect.bisect_left(self.unused_here, folded)")),
    _m("fold-unused-names",
       "the unused index keeps unused names in their own case (no case folding)",
       IDX, ("self._names = {fold(a): a for a in unused.actions}",
             "self._names = {a: a for a in unused.actions}"),
       into=(IDX, R), names=("UnusedIndex",)),
    _m("tokens-one-late",
       "token boundaries one character late (GetObject -> GetO|bject)",
       TOK, ("            tokens.append(name[start:i])\n            start = i",
             "            tokens.append(name[start:i + 1])\n            start = i + 1"),
       into=(TRIE,), names=("token_prefixes",)),
    _m("tokens-one-early",
       "token boundaries one character early (GetObject -> Ge|tObject)",
       TOK, ("            tokens.append(name[start:i])\n            start = i",
             "            tokens.append(name[start:i - 1])\n            start = i - 1"),
       into=(TRIE,), names=("token_prefixes",)),
    _m("tokens-no-acronym",
       "acronyms not split from the next word (DBInstances is one token)",
       TOK, ("            boundary = (prev.islower() or prev.isdigit()\n"
             "                        or (prev.isupper() and nxt.islower()))",
             "            boundary = (prev.islower() or prev.isdigit())"),
       into=(TRIE,), names=("token_prefixes",)),
    _m("unsafe-bisect-right",
       "safety check misses an unused action equal to the node (bisect_right): keeps an unsafe "
       "wildcard", R,
       ("i = bisect.bisect_left(self.unused_here, folded)",
        "i = bisect.bisect_right(self.unused_here, folded)")),
    _m("drop-used-inner-action",
       "a used action is kept literally only at a leaf: used actions with longer siblings are "
       "dropped", R,
       ("if node.action is not None and not self.index.is_unused(node.action):",
        "if node.action is not None and not self.index.is_unused(node.action) "
        "and not node.children:")),
    _m("keep-unused-inner-action",
       "an unsafe node's own action is kept literally even when it is unused", R,
       ("if node.action is not None and not self.index.is_unused(node.action):",
        "if node.action is not None:")),
    _m("ignore-unused-services",
       "whole unused services (svc:*) are ignored", R,
       ("    index = UnusedIndex(unused)\n",
        "    index = UnusedIndex(type(unused)(unused.actions, (), unused.unknown))\n")),
    _m("services-only-at-root",
       "an unused service makes only the root unsafe, not the service's own nodes", R,
       ('return f"{service}:*" if service in self.index.services and ":" in folded else None',
        "return None")),
    _m("unknown-unused-forgotten",
       "unused names the catalog does not know are forgotten", R,
       ("    index = UnusedIndex(unused)\n",
        "    index = UnusedIndex(type(unused)(tuple(a for a in unused.actions "
        "if catalog.canonical(a)), unused.services, ()))\n")),
    _m("literal-unused-kept",
       "a literal (wildcard-free) unused action is kept instead of dropped", R,
       ("    if not has_wildcard(text):\n        return PatternOutcome(position, pattern, DROPPED, "
        "names, (), len(matched))",
        "    if not has_wildcard(text):\n        return PatternOutcome(position, pattern, KEPT, "
        "(), (Entry(text, text, position, False),), len(matched))")),
    _m("question-not-wildcard",
       "`?` is not seen as a wildcard: a `?` pattern admitting an unused action is dropped whole",
       R, ("from .unused_index import UnusedIndex\n",
           "from .unused_index import UnusedIndex\n\n"
           "def has_wildcard(pattern):\n    return STAR in pattern\n")),
    _m("question-as-star",
       "a tail of `?` is treated like `*` when a node extends past the pattern's head", R,
       ("if rest and rest.strip(STAR) == \"\" and len(prefix) > len(head):",
        "if rest and rest.strip(STAR + \"?\") == \"\" and len(prefix) > len(head):"),
       ("if any(rest and rest.strip(STAR) == \"\" for rest in rests):",
        "if any(rest and rest.strip(STAR + \"?\") == \"\" for rest in rests):")),
    _m("midstring-suffix-lost",
       "the text after a mid-string wildcard is lost (s3:Get*Acl narrowed to s3:GetBucket*)", R,
       ("    return tuple(without_subsumed_texts([prefix + rest for rest in rests]))",
        "    return (prefix + STAR,)")),
    _m("depth-one-too-long",
       "emits one token below the shortest safe node (not minimal)", R,
       ("        if node.prefix and witness is None:\n            covered",
        "        if node.prefix and witness is None and (not node.children or (\n"
        "                parent_prefix and self.unsafe_witness(parent_prefix) is None)):\n"
        "            covered"),
       ("            self.visit(child, emitted, witness, node.prefix)",
        "            self.visit(child, emitted, witness or parent_witness, node.prefix)")),
    _m("depth-one-too-short",
       "emits the last unsafe node (one token too short) instead of the first safe one", R,
       ("from .unused_index import UnusedIndex\n",
        "from .unused_index import UnusedIndex\nfrom ..spec.tokens import token_parent\n"),
       ("            for text in texts:\n"
        "                self.entries.append(Entry(text, self.pattern, self.position, True,\n"
        "                                          parent, parent_witness, node.prefix, "
        "parent_prefix))",
        "            node_prefix, unsafe_prefix = node.prefix, parent_prefix\n"
        "            if parent_prefix:\n"
        "                texts, node_prefix = parent, parent_prefix\n"
        "                unsafe_prefix = token_parent(parent_prefix)\n"
        "            for text in texts:\n"
        "                self.entries.append(Entry(text, self.pattern, self.position, True,\n"
        "                                          parent, parent_witness, node_prefix, "
        "unsafe_prefix))")),
    _m("safety-outside-pattern",
       "the safety check counts unused actions outside the pattern (deeper than needed)", R,
       ("self.unused_here = index.literals_in(pattern)",
        "self.unused_here = index.literals_with_prefix(fold(literal_head(pattern)))")),
    _m("dedupe-drops-both",
       "duplicate entries (equal languages) are all dropped instead of keeping the first", R,
       ("entries = list(unique.values())",
        "entries = [e for e in unique.values() if [fold(x.text) for x in entries]"
        ".count(fold(e.text)) == 1]")),
    _m("subsumption-inverted",
       "the subsumption test is inverted: the wider of two nested entries is dropped", R,
       ("if j == i or not includes(e.text, entries[j].text):",
        "if j == i or not includes(entries[j].text, e.text):")),
    _m("statement-removed-when-narrowed",
       "an Action statement none of whose patterns is kept verbatim is removed", R,
       ("return StatementResult(stmt, outcomes, (), tuple(entries) or None, True)",
        "return StatementResult(stmt, outcomes, (), tuple(entries) if any("
        "o.status == KEPT for o in outcomes) else None, True)")),
    _m("deny-narrowed",
       "Deny statements are refined like Allow statements", R,
       ('if stmt.effect != "Allow" or stmt.action_key is None:',
        "if stmt.action_key is None:")),
    _m("notaction-as-action",
       "a NotAction list is narrowed as if it were an Action list", R,
       ('elif stmt.action_key == "Action":', 'elif stmt.action_key in ("Action", "NotAction"):')),
    _m("notaction-removed-if-any-unused",
       "an Allow+NotAction statement is removed when any (not every) action it allows is unused",
       R, ("if all(index.is_unused(a) for a in allowed):",
           "if any(index.is_unused(a) for a in allowed):")),
    _m("notaction-first-action-only",
       "NotAction: a prefix counts as all-unused when its first action is unused", R,
       ("pool = self.allowed if not folded_prefix else self._range(folded_prefix)",
        "pool = self.allowed if not folded_prefix else self._range(folded_prefix)[:1]")),
    _m("notaction-unknown-forgotten",
       "NotAction: unused names the catalog does not know are not excluded", R,
       ("        if u not in known:\n", "        if u not in known and u in known:\n")),
    _m("notaction-service-as-action",
       "NotAction: a wholly unused service with one catalog action is excluded by that action "
       "only", R,
       ("single = len(under) == 1 and not whole_service", "single = len(under) == 1")),
    _m("resource-lowercased",
       "Resource is case-folded along with the actions", REP,
       ("        out[key] = value\n    return out",
        "        if key == \"Resource\":\n"
        "            value = fold(value) if isinstance(value, str) else [fold(v) for v in value]\n"
        "        out[key] = value\n    return out"),
       ("from ..jsonout import dumps\n", "from ..jsonout import dumps\nfrom ..spec.glob import fold\n"),
       names=("_with_actions",)),
    _m("condition-dropped",
       "the Condition of a narrowed statement is dropped", REP,
       ("        out[key] = value\n    return out",
        "        if key == \"Condition\":\n            continue\n"
        "        out[key] = value\n    return out"),
       names=("_with_actions",)),
    _m("depth-one-too-long-hinted",
       "emits the children of the shortest safe node, each hinted as that node (not minimal)", R,
       (_TEXTS,
        "            if len(covered) > 1 and node.children:\n"
        "                texts = (node.action,) if node.action is not None else ()\n"
        "                for child in node.ordered_children():\n"
        "                    under = self.covered(child.prefix)\n"
        "                    texts += ((self.catalog.canonical(under[0]),) "
        "if len(under) == 1 else\n"
        "                              tuple(t for t in emission(self.pattern, child.prefix)\n"
        "                                    if any(fast_match(t, a) for a in under)))\n"
        "            else:\n" + _TEXTS.replace("\n    ", "\n        ").replace(
            "            texts", "                texts", 1))),
    _m("uncatalogued-dropped",
       "a pattern that matches no catalog action (a retired or misspelled name) is dropped", R,
       ("    if not removed:\n        entry = Entry(text, text, position, False)",
        "    if not removed and matched:\n        entry = Entry(text, text, position, False)")),
)


# Bugs the prover does not catch: not counted in the kill rate, kept to document what the four
# theorems (as the obligations and the kernel check them) leave out. test_mutants.py asserts that they still
# survive, so a prover that learns to catch one shows up as a test to update.
SURVIVORS: tuple[Mutant, ...] = (
    _m("subsumed-kept",
       "entries equal to or inside another entry are kept (a redundant list)", R,
       ("def without_subsumed(entries) -> list[Entry]:\n",
        "def without_subsumed(entries) -> list[Entry]:\n    return list(entries)\n")),
)

WHY_THEY_SURVIVE = {
    "subsumed-kept":
        "equivalent under the four theorems: a redundant list allows the same strings; "
        "'without subsumed entries' is part of the algorithm, not of a proved property",
}
