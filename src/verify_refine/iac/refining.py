"""Refine and prove policies found in infrastructure code, and write the proved action lists back
into their sources' text; the text written is read again and must hold exactly the proved
policies (fail closed: a writer's slip is never written)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass

from .. import pipeline
from ..certificate import policy_digest
from ..inputs import guards as guards_mod
from . import extract, reading
from .model import Edit, FoundPolicy, Source


class NotHeld(Exception):
    """The rewritten text does not hold the proved policy (a writer's bug): nothing is written."""


@dataclass
class Refined:
    """One policy of a source, refined and (unless proving was skipped) proved."""

    source: Source
    found: FoundPolicy
    done: pipeline.ProvedRefinement

    @property
    def detach(self) -> bool:
        """Nothing is left to allow: reported, and left in the source for the user to remove."""
        return self.done.refinement.detach

    @property
    def edit(self) -> Edit:
        """The statements whose action list changes (new list) or that go (None)."""
        return {r.statement.index: None if r.removed_statement else [e.text for e in r.entries]
                for r in self.done.refinement.statements if r.changed or r.removed_statement}


def refine_each(pairs: list[tuple[Source, FoundPolicy]], unused, catalog, guards, *,
                timeout_s: float, prove: bool) -> list[Refined]:
    """Each policy refined by the findings (the guards applied per policy, as refine does)."""
    out = []
    for source, found in pairs:
        policy = extract.as_policy(found)
        guarded = guards_mod.apply(unused, guards, policy, catalog)
        done = pipeline.refine_and_prove(policy, guarded, catalog, timeout_s=timeout_s,
                                         prove=prove, refined_source=extract.label(found))
        out.append(Refined(source, found, done))
    return out


def rewritten(results: list[Refined]) -> dict[str, str]:
    """The new text of each source that changes (by path): its edits applied from the last
    policy in the text to the first, so that each policy's spans, as read, still hold (an
    edit changes nothing before its policy); then every policy of the result checked against
    what was proved (an edited policy) or what was read (any other)."""
    by_path: dict[str, list[Refined]] = {}
    for result in results:
        if result.edit and not result.detach:
            by_path.setdefault(result.source.path, []).append(result)
    texts: dict[str, str] = {}
    for path, edits in by_path.items():
        source = edits[0].source
        edits.sort(key=lambda r: min(s.span.start for s in r.found.statements), reverse=True)
        texts[path] = reading.rewrite_all(source, [(r.found, r.edit) for r in edits])
    for path, text in texts.items():
        _check_held(path, text, [r for r in results if r.source.path == path])
    return texts


def _read_like(source: Source, text: str) -> Source:
    """TEXT read by the reader that read SOURCE."""
    form = source.policies[0].form if source.policies else ""
    if form.startswith("cloudformation"):
        from . import cloudformation
        return cloudformation.read(source.path, text)
    return _read_terraform_like(source, text)


def _read_terraform_like(source: Source, text: str) -> Source:
    """TEXT read as the Terraform file SOURCE is, with the other .tf files of its folder (a
    policy document may be declared in one file and used in another): the folder is copied
    aside with TEXT in the file's place, and read there."""
    from . import terraform  # the Terraform reader, when it is installed
    folder, name = os.path.split(os.path.abspath(source.path))
    with tempfile.TemporaryDirectory(prefix="verify-refine-") as aside:
        for other in os.listdir(folder):
            if other.endswith(".tf") and other != name:
                shutil.copyfile(os.path.join(folder, other), os.path.join(aside, other))
        with open(os.path.join(aside, name), "w", encoding="utf-8", newline="") as out:
            out.write(text)
        found = [s for s in terraform.read_folder(aside) if os.path.basename(s.path) == name]
    if not found:
        raise NotHeld(f"{source.path}: the rewritten text reads as no source; nothing written")
    return found[0]


def _check_held(path: str, text: str, results: list[Refined]) -> None:
    """Every policy of the new TEXT is the proved one (edited) or the one read (untouched),
    compared as certificates hash policies."""
    after = {p.address: p for p in _read_like(results[0].source, text).policies}
    expected = {p.address: _digest(p) for p in results[0].source.policies}
    for result in results:
        if result.edit and not result.detach:
            expected[result.found.address] = policy_digest(result.done.refined)
    for address, digest in expected.items():
        if address not in after or _digest(after[address]) != digest:
            raise NotHeld(f"{path}: the rewritten text does not hold the proved policy "
                          f"{address}; nothing written (please report this)")


def _digest(found: FoundPolicy) -> str:
    return policy_digest(extract.as_policy(found, allow_empty=True))
