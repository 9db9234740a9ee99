"""One refined policy, one certificate: when several certificates that check name the same
refined file, each fails, so a stray copy or a second proof never leaves the policy's provenance
ambiguous. (A certificate that fails already fails the gate on its own account.)"""

from __future__ import annotations

from ..errors import InputError
from ..files import read_input
from ..inputs.jsontext import json_position
from ..report.gate import display
from ..verdict import Problem
from .check import CertOutcome
from .walk import key

RULE = "VR-duplicate-certificate"


def refuse_shared(outcomes: list[CertOutcome], covering=("valid", "unchanged")) -> None:
    """Give each certificate that checks (or, under --changed, is unchanged) and names, as its
    refined file, a file that another such certificate names too a VR-duplicate-certificate
    problem at its `files.refined`, and count it as failed."""
    by_refined: dict[tuple, list[CertOutcome]] = {}
    for outcome in outcomes:  # a template's policies are told apart by their addresses
        if outcome.refined and outcome.status in covering:
            by_refined.setdefault((key(outcome.refined), outcome.address), []).append(outcome)
    for group in by_refined.values():
        if len(group) < 2:
            continue
        for outcome in group:
            others = ", ".join(display(o.path) for o in group if o is not outcome)
            line, column = _recorded_at(outcome.path)
            outcome.problems.append(Problem(
                RULE, f"{display(outcome.refined)} is the refined file of this certificate and "
                      f"of {others}: a refined policy has one certificate (`recertify` refuses "
                      "two); delete the ones that are not its proof",
                file=outcome.path, line=line, column=column, certificate=outcome.path))
            outcome.status = "invalid"


def _recorded_at(cert_path: str) -> tuple[int, int]:
    """Where the certificate records its refined file (the value), or 1:1."""
    try:
        data = read_input(cert_path, "certificate")
        return json_position(data, cert_path, ("files", "refined"))
    except InputError:
        return 1, 1
