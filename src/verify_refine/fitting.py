"""What each outcome of `--fit` means for the user: the lines to print, whether to write, the
exit code; and the hook where a proved split will go when no single policy fits."""

from __future__ import annotations

from dataclasses import dataclass, field

from .refine import fit as fitter
from .verdict import Exit


def split_step(done, target: int) -> Outcome | None:
    """Where a proved split into several policies will go when the smallest cover found
    (`done.cover`) is still over the target: its Outcome, or None when there is no split;
    today there is none, and the outcome is "does not fit"."""
    return None


@dataclass
class Outcome:
    """What to tell the user and do: summary lines, warnings, an error, write or not, exit."""

    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    exit: int = Exit.OK

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
               f"{found}, over the target of {f.target:,}; no split into several policies "
               "is made yet")
    if allow_oversize:
        return Outcome([f"fit: {message}"], [f"{message}; the minimal refinement is written "
                                             "anyway (--allow-oversize): IAM will refuse it"])
    return Outcome([], [], f"{message}; nothing written (--allow-oversize writes it anyway)",
                   Exit.REFUTED)
