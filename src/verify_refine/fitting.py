"""What each outcome of `--fit` means for the user: the lines to print, whether to write, the
exit code; and the proved split into managed policies when no single policy fits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import pipeline, split_record
from .refine import fit as fitter
from .refine.split import SplitError
from .report.size import iam_size
from .verdict import Exit

ATTACHED = 10  # managed policies a role or user can have attached by default


def split_step(done, target: int) -> Outcome | None:
    """When the smallest cover found (`done.cover`) is still over the target: prove that cover
    (fitted at its own size, in place of minimal), split it into managed policies of at most
    TARGET characters and prove the split; the Outcome, or None when no split can be made
    (an inline kind, whose quota counts all of a principal's inline policies together, or a
    policy that cannot be cut). A proof that fails is an error, never a written split."""
    kind = getattr(target, "kind", None)
    if kind not in (None, "managed"):
        return None
    ref = done.refinement
    cover = done if done.fitting.size >= done.fitting.minimal_size else pipeline.refine_and_prove(
        ref.policy, ref.unused, ref.catalog, timeout_s=done.timeout_s, fit=done.fitting.size,
        refined_source=done.refined.source)
    if not cover.proved:
        return Outcome(error="the smallest cover was not proved: " + "; ".join(
            p.message for p in cover.problems), exit=cover.verdict.exit_code)
    try:
        parts = pipeline.split_and_prove(cover.refined, ref.catalog, limit=int(target),
                                         timeout_s=done.timeout_s)
    except SplitError:
        return None
    if not parts.proof.proved:
        return Outcome(error=f"the split was not proved: {parts.proof.explanation}",
                       exit=parts.proof.verdict.exit_code)
    k, what = len(parts.texts), ("the smallest cover" if cover is not done
                                 else "the minimal refinement")
    lines = [f"fit: split: {what} ({iam_size(cover.text):,} characters, "
             f"{'fitted' if cover is not done else 'minimal'} proved) into {k} managed "
             f"policies of at most {int(target):,} characters, proved equal to it together "
             f"({parts.proof.queries} queries)"]
    warnings = [f"{k} parts: more than the {ATTACHED} managed policies a role can have "
                "attached by default (the IAM quota can be raised to 20)"] if k > ATTACHED else []
    return Outcome(lines, warnings, replacement=cover, split=parts, limit=int(target))


@dataclass
class Outcome:
    """What to tell the user and do: summary lines, warnings, an error, write or not, exit."""

    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    exit: int = Exit.OK
    replacement: object = None  # the proved refinement to write instead (a split's cover)
    split: object = None  # a proved pipeline.ProvedSplit of what is written, in parts
    limit: int = 0  # each part's limit

    @property
    def write(self) -> bool:
        return self.error is None


def outcome(done, allow_oversize: bool) -> Outcome:
    """The outcome of a refinement made with --fit (done.fitting is set)."""
    f = done.fitting
    if f.status == fitter.FITS:
        return Outcome([f"fit: fits as is: {f.size:,} characters, target {f.target:,}; "
                        "minimal kept"])
    if f.status == fitter.FITTED:
        return Outcome([f"fit: fitted: {f.size:,} characters, target {f.target:,}; "
                        f"{f.saved:,} saved against the minimal refinement's {f.minimal_size:,} "
                        f"by widening {f.swaps} narrowed pattern{'s' * (f.swaps != 1)}; "
                        f"exposure added: {f.exposure_added:,} branch points (where names AWS "
                        "has not published are granted); minimal waived, fitted proved"])
    split = split_step(done, f.target)
    if split is not None:
        return split
    found = (f"the smallest cover found is {f.size:,} characters" if f.size < f.minimal_size
             else "no smaller cover was found")
    message = (f"does not fit: the minimal refinement is {f.minimal_size:,} characters and "
               f"{found}, over the target of {f.target:,}, and no split into managed "
               "policies of that size can be made")
    if allow_oversize:
        return Outcome([f"fit: {message}"], [f"{message}; the minimal refinement is written "
                                             "anyway (--allow-oversize): IAM will refuse it"])
    return Outcome([], [], f"{message}; nothing written (--allow-oversize writes it anyway)",
                   Exit.REFUTED)


def write_parts(policy_path: str, text: str, outcome: Outcome) -> list:
    """A proved split's parts beside POLICY_PATH (<stem>-1.json ... -K.json) and its record
    <stem>.split.json, which names POLICY_PATH; the parts' paths."""
    path = Path(policy_path)
    return split_record.write_split(path.parent, path.stem, policy_path, text.encode("utf-8"),
                                    outcome.split.texts, outcome.split.proof, outcome.limit)


def part_files(policy_path: str, outcome: Outcome) -> dict[str, str]:
    """The files a split writes beside POLICY_PATH, by what they are (for refuse_collisions):
    the parts and the proof record."""
    path = Path(policy_path)
    files = {f"split part {k}": str(path.parent / split_record.part_name(path.stem, k))
             for k in range(1, len(outcome.split.texts) + 1)}
    files["the split record"] = str(path.parent / f"{path.stem}{split_record.SUFFIX}")
    return files
