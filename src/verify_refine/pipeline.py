"""The one refine-and-prove pipeline: refine -> refined document -> hints -> obligations ->
prover -> proof kernel -> certificate, and the re-check of a certificate. Every command, the
benchmarks and the mutation harness go through it; nothing else calls the prover or the kernel.

A result is proved only when the obligations hold and the proof kernel agrees: there is no way
to get a proved refinement, or a certificate, that skipped the kernel.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from . import catalog_slice, certificate, split_proof
from .inputs import guards as guards_mod
from .inputs.catalog import Catalog
from .inputs.findings import UnusedSet
from .inputs.model import Policy
from .inputs.policy import parse_policy
from .inputs.recommendation import CREATE, EMPTY_POLICY, Recommendation, Step, select_steps
from .jsonout import dumps
from .prove import kernel_call as kernelcheck
from .prove import obligations, prover, whole
from .prove.plan import Plan
from .refine import fit as fitter
from .refine import hints as provenance
from .refine import refiner as refiner
from .refine import split
from .refine.refiner import Refinement
from .report import document, size
from .verdict import INPUTS, Problem, Verdict, verdict_of

DEFAULT_TIMEOUT_S = 10.0
STALE, CERTIFICATE = "VR-stale", "VR-certificate"


@dataclass
class ProvedRefinement:
    """A refinement and what was proved of it. `verdict` is None when proving was skipped
    (`--no-prove`): such a result is reported as unproved and has no certificate."""

    refinement: Refinement
    text: str  # the refined policy as written: 2-space JSON and a final newline
    refined: Policy
    hints: dict
    proving: Proving | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    fitting: fitter.Fitting | None = None  # with --fit: which outcome, sizes, exposure added
    cover: Refinement | None = None  # when it does not fit: the smallest cover found, unproved

    @property
    def verdict(self) -> Verdict | None:
        return None if self.proving is None else self.proving.verdict

    @property
    def problems(self) -> list[Problem]:
        return [] if self.proving is None else self.proving.problems

    @property
    def proved(self) -> bool:
        return self.verdict is Verdict.PROVED

    @property
    def document(self) -> dict:
        """The refined policy as a Python value."""
        return json.loads(self.text)

    def certificate(self, *, cert_path: str, original_path: str, unused_path: str,
                    refined_path: str, catalog_path: str | None) -> dict:
        """The proof certificate (a JSON-ready dict) of a proved refinement."""
        if not self.proved:
            raise ValueError("only a proved refinement has a certificate")
        ref = self.refinement
        return certificate.build(
            cert_path=cert_path, original_path=original_path, unused_path=unused_path,
            refined_path=refined_path, catalog_path=catalog_path, original=ref.policy,
            refined=self.refined, unused=ref.unused, catalog=ref.catalog, hints=self.hints,
            plan=self.proving.plan, proof=self.proving.proof, timeout_s=self.timeout_s)


def refine_and_prove(policy: Policy, unused: UnusedSet, catalog: Catalog, *,
                     timeout_s: float = DEFAULT_TIMEOUT_S, solver: str = "z3",
                     prove: bool = True, refined_source: str = "<refined>",
                     fit: int | None = None) -> ProvedRefinement:
    """Refine a policy by an unused set over a catalog, and prove the result: the obligations
    with `solver`, then the proof kernel on the documents' bytes and the findings' bytes.
    With `fit` (IAM characters), a refinement over it is traded for a smaller cover, proved
    fitted instead of minimal; one that no cover brings under stays minimal (`fitting` says)."""
    result = refiner.refine(policy, catalog, unused)
    fitting = cover = None
    if fit is not None:
        cover, fitting = fitter.fit(result, fit, refined_size)
        if fitting.status == fitter.FITTED:
            result, cover = cover, None
    text = dumps(document.refined_document(result)) + "\n"
    refined = parse_policy(text.encode("utf-8"), refined_source, allow_empty=True)
    hints = provenance.hints(result)
    if fitting is not None and fitting.status == fitter.FITTED:
        hints["fit"] = {"target": int(fit)}  # a plain int, whatever int type was given
    out = ProvedRefinement(result, text, refined, hints, timeout_s=timeout_s, fitting=fitting,
                           cover=cover if fitting and fitting.status == fitter.TOO_LARGE
                           else None)
    if prove:
        out.proving = prove_refinement(policy, refined, out.hints, unused, catalog,
                                       timeout_s=timeout_s, solver=solver)
    return out


def refined_size(result: Refinement) -> int:
    """The refined policy's size as IAM counts it (whitespace excluded)."""
    return size.iam_size(dumps(document.refined_document(result)))


@dataclass
class Proving:
    """What proving a refinement gave: the verdict and every problem, the obligations and
    their outcomes, and the proof kernel's share (queries, seconds)."""

    verdict: Verdict
    problems: list[Problem]
    plan: Plan
    proof: prover.Proof
    kernel_queries: int = 0
    kernel_seconds: float = 0.0


def prove_refinement(original: Policy, refined: Policy, hints: dict, unused: UnusedSet,
                     catalog: Catalog, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                     solver: str = "z3") -> Proving:
    """Prove a refinement given as a refined policy and its hints (which are only claims):
    the obligations, then, when they hold, the proof kernel."""
    plan = obligations.plan(original, refined, unused, catalog, hints)
    proof = prover.run(plan, unused, catalog, timeout_s, solver)
    out = Proving(proof.verdict, proof.all_problems(catalog), plan, proof)
    if proof.verdict is Verdict.PROVED:
        start = time.perf_counter()
        found, out.kernel_queries = kernelcheck.check(
            kernelcheck.document(original, original.raw),
            kernelcheck.document(refined, refined.raw), unused, catalog, hints, timeout_s)
        out.kernel_seconds = time.perf_counter() - start
        out.problems += found
        out.verdict = verdict_of(out.problems)
    return out


@dataclass
class CertificateCheck:
    """What re-checking a certificate gave: every problem, and how many obligations."""

    problems: list[Problem] = field(default_factory=list)
    obligations: int = 0
    catalog: Catalog | None = None  # the certificate's embedded slice, re-proved over
    unused: UnusedSet | None = None  # the unused set proved against: the recorded guards applied
    drift: object | None = None  # drift.Drift from today's catalog, when the caller looks

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.problems)


def check_certificate(cert: dict, *, original: Policy, refined: Policy, unused: UnusedSet,
                      current: Catalog | None = None, solver: str = "z3",
                      timeout_s: float = DEFAULT_TIMEOUT_S, files: dict | None = None
                      ) -> CertificateCheck:
    """Re-check a certificate (as certificate.read returns it) against its files, over the
    catalog slice it carries, never calling the refiner: the hashes of the files and of the
    slice; then the very same obligations regenerated from the files and the slice, their
    recorded answers obtained again (re-solved, or witnesses evaluated); then the proof kernel,
    given the slice's actions. A stale certificate (a file that is not the one certified) or an
    edited slice is not re-solved. `current`, today's catalog, only helps to locate an edit of
    the slice. `files` names the original, unused and refined files, so that problems about one
    of them say which. The guards the certificate records are applied to `unused` (the findings
    as read) first, as refine applied them."""
    files = files or {}
    catalog = catalog_slice.catalog_of(cert)
    out = CertificateCheck(catalog=catalog)
    try:
        unused = guards_mod.apply(unused, certificate.guards(cert), original, catalog)
    except guards_mod.GuardError as exc:
        out.problems = [Problem(CERTIFICATE, exc.message, certificate_at=exc.at)]
        return out
    out.unused = unused
    stale = _stale(cert, original, refined, unused, files)
    if stale:
        out.problems = stale
        return out
    hints = cert.get("hints") if isinstance(cert.get("hints"), dict) else {}
    plan = obligations.plan(original, refined, unused, catalog, hints)
    sliced = catalog_slice.problems(cert, plan.services | set(unused.expanded), current)
    if sliced:
        out.problems = sliced
        return out
    out.problems = list(plan.problems) + _recorded_fields(cert, plan)
    records = cert.get("obligations")
    if isinstance(records, list):
        found, out.obligations = prover.replay(plan, records, unused, catalog, timeout_s,
                                               solver)
        out.problems += found
    if out.verdict is not Verdict.REFUTED:
        found, _ = kernelcheck.check(
            kernelcheck.document(original, original.raw),
            kernelcheck.document(refined, refined.raw), unused, catalog, hints, timeout_s)
        out.problems += found
    return out


def _stale(cert, original, refined, unused, files) -> list[Problem]:
    digests = cert.get("sha256") if isinstance(cert.get("sha256"), dict) else {}
    actual = {"original": certificate.policy_digest(original), "unused": unused.digest(),
              "refined": certificate.policy_digest(refined)}
    stale = [name for name in actual if digests.get(name) != actual[name]]
    note = ("; no recorded hash matches: a certificate of another policy?" if len(stale) == 3
            else ": edited after certification; re-run `verify-refine refine ... "
                 "--certificate` and commit both files")
    return [Problem(STALE, f"the {name} file is not the one certified (sha256 differs){note}",
                    INPUTS, file=files.get(name)) for name in stale]


def _recorded_fields(cert, plan) -> list[Problem]:
    """The certificate's own claims that the files give again: summary, verdict, count."""
    problems = []
    if cert.get("summary") != certificate.summary_of(plan):
        problems.append(Problem(CERTIFICATE, "the summary does not count the obligations the "
                                "files give"))
    if cert.get("verdict") != Verdict.PROVED:
        shown = json.dumps(cert.get("verdict"), default=str)
        problems.append(Problem(CERTIFICATE, f"the certificate's verdict is {shown}, not "
                                "proved"))
    records = cert.get("obligations")
    if not isinstance(records, list):
        problems.append(Problem(CERTIFICATE, "the certificate lists no obligations"))
    elif len(records) != len(plan.obligations):
        problems.append(Problem(CERTIFICATE, f"the certificate has {len(records)} obligations; "
                                f"the files give {len(plan.obligations)}"))
    return problems


def verify(original: Policy, refined: Policy, unused: UnusedSet, catalog: Catalog, *,
           timeout_s: float = DEFAULT_TIMEOUT_S) -> whole.VerifyResult:
    """Prove or refute that REFINED is a refinement of ORIGINAL at whole-policy level (sound,
    removes, complete over requests of action and resource), for any refinement, ours or not."""
    try:
        return whole.verify_policies(original, refined, unused, catalog, timeout_s)
    except whole.CounterexampleError as exc:
        return whole.VerifyResult(Verdict.UNKNOWN, (), explanation=(
            f"the solver's counterexample did not re-check ({exc})"))


def verify_each(original: Policy, refined: Policy, unused: UnusedSet, catalog: Catalog, *,
                timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, whole.VerifyResult]:
    """Each of sound, removes and complete decided on its own (for comparisons)."""
    return whole.verify_each(original, refined, unused, catalog, timeout_s)


@dataclass(frozen=True)
class ProvedSplit:
    """A split as written (each part's text, 2-space JSON and a final newline), the parts as
    parsed from that text, and what was proved of them."""

    texts: list[str]
    parts: list[Policy]
    proof: split_proof.SplitProof


def split_and_prove(policy: Policy, catalog: Catalog, *, limit: int,
                    max_parts: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                    name_of=lambda k: f"<part {k}>") -> ProvedSplit:
    """Split POLICY into managed policies of at most LIMIT characters (refine/split.py), parse
    each part from its text (`name_of(k)` names part k in messages) and prove the split
    (prove_split). Raises refine.split.SplitError when no split fits."""
    documents = split.split_policy(dict(policy.members), limit, max_parts)
    texts = [dumps(d) + "\n" for d in documents]
    parts = [parse_policy(t.encode("utf-8"), name_of(k), allow_empty=True)
             for k, t in enumerate(texts, 1)]
    return ProvedSplit(texts, parts, prove_split(policy, parts, catalog, limit=limit,
                                                 timeout_s=timeout_s))


def prove_split(policy: Policy, parts: list[Policy], catalog: Catalog, *,
                limit: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
                ) -> split_proof.SplitProof:
    """Prove that PARTS, attached together, allow exactly the requests POLICY allows (every
    action string, resource and condition value: sound both ways at whole-policy level), and
    without a solver that each part is within LIMIT, has POLICY's Version and holds every Deny
    statement (so that each part alone allows no more than POLICY)."""
    problems = split_proof.structure_problems(policy, parts, limit)
    if problems:
        return split_proof.SplitProof(Verdict.REFUTED, "; ".join(problems))
    union = split_proof.union_policy(policy, parts)
    try:
        result = whole.prove_equal(policy, union, catalog, timeout_s)
    except whole.CounterexampleError as exc:
        return split_proof.SplitProof(Verdict.UNKNOWN, "the solver's counterexample did not "
                                      f"re-check ({exc})")
    return split_proof.SplitProof(Verdict(result.status), result.explanation,
                                  len(result.queries))


@dataclass(frozen=True)
class StepResult:
    """A step and the whole-policy verdict on it (DETACH: ORIGINAL against an empty policy)."""

    step: Step
    result: whole.VerifyResult

    @property
    def status(self) -> Verdict:
        return Verdict(self.result.status)


def verify_recommendation(original: Policy, rec: Recommendation, unused: UnusedSet,
                          catalog: Catalog, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                          policy_id: str | None = None) -> list[StepResult]:
    """Prove or refute each step about ORIGINAL. CREATE_POLICY: the recommended policy is a
    refinement (sound, removes, complete). DETACH_POLICY: ORIGINAL allows no used catalog action,
    i.e. the empty policy is a refinement of it (sound and removes hold for nothing allowed)."""
    out = []
    for step in select_steps(rec, policy_id):
        if step.action == CREATE:
            candidate = parse_policy(step.document, step.source, allow_empty=True)
        else:
            candidate = parse_policy(EMPTY_POLICY, "<empty policy>", allow_empty=True)
        out.append(StepResult(step, verify(original, candidate, unused, catalog,
                                           timeout_s=timeout_s)))
    return out
