"""pull's file names, whatever IAM names an account holds: every principal's findings file is its
own (distinct also where case is ignored, inside the folder, the same whether one principal or
all are pulled), and an Access Advisor report, which batch matches by file name, is named so
that batch gives it to its principal, or the principal is refused with the reason."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import AWS_FIXTURES
from verify_refine.aws.pull import plan
from verify_refine.batch import outpaths
from verify_refine.batch.findings_match import match_findings
from verify_refine.inputs.account import Principal

# IAM's names: letters, digits and _+=,.@- (unique per kind, whatever the case), up to 64.
NAMES = st.text(string.ascii_letters + string.digits + "_+=,.@-", min_size=1, max_size=64) | \
    st.sampled_from(["con", "nul.txt", "..", ".hidden", "-x", "a.", "Deploy", "deploy"])
ACCOUNTS = st.lists(st.tuples(st.sampled_from(["role", "user"]), NAMES), max_size=8)
REPORT = (AWS_FIXTURES / "access-advisor-action-level.json").read_bytes()


def account(pairs) -> list[Principal]:
    seen, out = set(), []
    for kind, name in pairs:
        if (kind, name.lower()) not in seen:
            seen.add((kind, name.lower()))
            out.append(Principal(name, kind, f"arn:aws:iam::123456789012:{kind}/{name}"))
    return out


@settings(max_examples=100, deadline=None)
@given(ACCOUNTS)
def test_every_principal_has_its_own_findings_file(pairs):
    everyone = account(pairs)
    jobs = plan(everyone, everyone, "access-analyzer")
    stems = [job.stem for job in jobs]
    assert len({s.lower() for s in stems}) == len(stems)
    assert all(not job.problem for job in jobs)
    with tempfile.TemporaryDirectory() as folder:
        for stem in stems:
            outpaths.inside(folder, "findings", f"{stem}.json")  # safe, or InputError
    for who, job in zip(everyone, jobs):
        assert plan(everyone, [who], "access-analyzer")[0].stem == job.stem


@settings(max_examples=100, deadline=None)
@given(ACCOUNTS)
def test_access_advisor_reports_reach_their_principal_or_are_refused(pairs):
    everyone = account(pairs)
    jobs = plan(everyone, everyone, "access-advisor")
    with tempfile.TemporaryDirectory() as folder:
        for job in jobs:
            if not job.problem:
                (Path(folder) / f"{job.stem}.json").write_bytes(REPORT)
        fresh = account(pairs)
        match_findings(Path(folder), fresh)
        for job, who in zip(jobs, fresh):
            if job.problem:
                assert who.findings is None and "batch matches Access Advisor reports by " \
                                                  "file name" in job.problem
            else:
                assert (who.findings, who.problem) == (Path(folder) / f"{who.name}.json", "")
