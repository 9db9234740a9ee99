"""Verdicts, problems and exit codes: the one vocabulary every command reports in.

A verdict is ordered, worst first (refuted < unknown < proved), and a set of them merges to its
worst: anything refuted refutes the whole, else anything undecided leaves it unknown. A Problem
is one reason a verdict is not proved, with where it stands; text, JSON and SARIF are all
rendered from Problems, never from message text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# The properties, in the words used everywhere: code, certificate, CLI, README, tests.
SOUND, REMOVES, COMPLETE, MINIMAL = "sound", "removes", "complete", "minimal"
FITTED = "fitted"  # proved instead of minimal when --fit widened entries to meet a size limit
PROPERTIES = (SOUND, REMOVES, COMPLETE, MINIMAL, FITTED)
STRUCTURE = "structure"  # checked without a solver: only action lists may change
INPUTS = "inputs"  # the inputs a result rests on (the unused set the findings name, ...)


class Verdict(str, enum.Enum):
    """refuted < unknown < proved: the smaller is the worse. A Verdict is also its word
    (`Verdict.PROVED == "proved"`), as reports and certificates write it."""

    REFUTED = "refuted"
    UNKNOWN = "unknown"
    PROVED = "proved"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def rank(self) -> int:
        return ("refuted", "unknown", "proved").index(self.value)

    def __lt__(self, other) -> bool:
        return self.rank < Verdict(other).rank

    def __le__(self, other) -> bool:
        return self.rank <= Verdict(other).rank

    def __gt__(self, other) -> bool:
        return self.rank > Verdict(other).rank

    def __ge__(self, other) -> bool:
        return self.rank >= Verdict(other).rank

    def __hash__(self) -> int:
        return hash(self.value)

    @property
    def exit_code(self) -> int:
        return {Verdict.PROVED: Exit.OK, Verdict.REFUTED: Exit.REFUTED,
                Verdict.UNKNOWN: Exit.UNKNOWN}[self]


def worst(verdicts) -> Verdict:
    """The merge of several verdicts: the worst one (proved when there are none)."""
    return min((Verdict(v) for v in verdicts), default=Verdict.PROVED)


class Exit(enum.IntEnum):
    """Exit codes, the same for every command."""

    OK = 0  # proved, valid, passed
    REFUTED = 1  # refuted, invalid, failed
    INPUT = 2  # bad input or usage
    UNKNOWN = 3  # a solver answered unknown or timed out, or nothing could be decided
    INTERRUPTED = 130  # Ctrl-C


@dataclass(frozen=True)
class Problem:
    """One reason a result is not proved: which rule, which property, where, and why.

    `verdict` is REFUTED for a failure, UNKNOWN for a question left undecided, and PROVED for
    a warning that leaves the result standing (the catalog moved on since a certificate was
    made). `statement` is the 0-based index of the original statement it is about, when it is
    about one; `certificate_at`, the JSON path in the certificate it is about, when it is about
    one of its fields; the location (file, line, column) is filled in by whoever knows the
    files."""

    rule: str
    message: str
    property: str | None = None
    verdict: Verdict = Verdict.REFUTED
    statement: int | None = None
    obligation: str | None = None
    counterexample: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    certificate: str | None = None
    certificate_at: tuple | None = None

    def at(self, file: str | None, line: int | None = None, column: int | None = None,
           certificate: str | None = None) -> Problem:
        """The same problem, located."""
        from dataclasses import replace

        return replace(self, file=file, line=line, column=column,
                       certificate=certificate if certificate is not None else self.certificate)

    def level(self, warn_only: bool = False) -> str:
        """How a report shows it: an error when it refutes the result (unless in shadow
        mode), else a warning (undecided, or a result that stands)."""
        return "error" if self.verdict is Verdict.REFUTED and not warn_only else "warning"

    def where(self) -> str:
        """`FILE:LINE:COLUMN`, `FILE`, or nothing."""
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}:{self.column}" if self.line else self.file


def rule_for(prop: str | None, verdict: Verdict = Verdict.REFUTED) -> str:
    """The rule id of a property that failed (VR-sound, ...), or VR-unknown when undecided."""
    if verdict is Verdict.UNKNOWN:
        return "VR-unknown"
    return f"VR-{prop}" if prop in PROPERTIES + (STRUCTURE, INPUTS) else "VR-certificate"


def verdict_of(problems) -> Verdict:
    """Proved when there is no problem, else the worst problem's verdict."""
    return worst(p.verdict for p in problems)
