"""Issue 10, item 3: the proof kernel reads the unused set from the findings file's bytes itself,
so a reader that misreads the findings cannot get a wrong refinement past it.

Two halves: the kernel's own reader agrees with the untrusted reader on every findings file it
accepts (fixtures, and generated files in every format); and when the untrusted reader is made
to misread (a fault injected into our own code, as a bug would), `refine` fails closed through
the kernel, exit 1, nothing written.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import BLOG, BLOG_CATALOG, ROOT, files_under, write_json
from verify_refine.errors import InputError
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings
from verify_refine.prove import kernel
from verify_refine.spec.glob import fold

CATALOG = catalog_mod.load(str(BLOG_CATALOG))
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "findings").iterdir()) + [
    BLOG / "unused.json", ROOT / "examples" / "deployer" / "unused.json",
    ROOT / "examples" / "analyst" / "unused.json"]


def both_readers(path: Path):
    """Our reading and the kernel's, of what the kernel is handed: the file itself when it
    reads that format, else (Security Hub's OCSF findings, --unused-since)
    the names of the set read."""
    unused, _ = findings.load(str(path), CATALOG)
    ours = ({fold(a) for a in unused.actions}, {fold(s) for s in unused.services})
    handed = path.read_bytes() if unused.kernel_reads else unused.names_bytes()
    assert unused.kernel_bytes() == handed
    return ours, kernel.read_unused(handed)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_the_kernel_reads_every_fixture_as_the_reader_does(path):
    ours, theirs = both_readers(path)
    assert ours == theirs


def test_the_kernel_reads_the_access_analyzer_formats_itself():
    kinds = {p.name: findings.load(str(p), CATALOG)[0].kernel_reads for p in FIXTURES}
    assert kinds["get-finding-v2.json"] and kinds["list.json"] and kinds["names.txt"]
    assert not kinds["securityhub-get-findings-v2.json"]


NAMES = st.sampled_from(["GetObject", "PutObject", "GetBucketAcl", "ListBucket", "Invoke",
                         "GetFunction", "Ghost"])
SERVICES = st.sampled_from(["s3", "lambda", "S3", "LAMBDA", "sqs"])


@st.composite
def findings_files(draw) -> bytes:
    """A findings file in one of the formats, with case changes, whole services, repeats,
    comments and a BOM now and then."""
    picks = draw(st.lists(st.tuples(SERVICES, st.one_of(st.none(), NAMES)), min_size=1,
                          max_size=6))
    kind = draw(st.sampled_from(["names", "entries", "v2", "text"]))
    if kind == "names":
        text = json.dumps([f"{s}:{n or '*'}" for s, n in picks])
    elif kind == "text":
        text = "# unused\r\n" + "".join(f"  {s}:{n or '*'}  # note\r\n" for s, n in picks)
    else:
        entries = [{"serviceNamespace": s, "actions": [] if n is None else [
            {"action": n} if kind == "v2" else n]} for s, n in picks]
        if kind == "v2":
            text = json.dumps({"findingType": "UnusedPermission", "findingDetails": [
                {"unusedPermissionDetails": e} for e in entries]})
        else:
            text = json.dumps(entries)
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=findings_files())
def test_the_kernel_reads_generated_findings_as_the_reader_does(tmp_path, data):
    path = tmp_path / "u.json"
    path.write_bytes(data)
    try:
        ours, theirs = both_readers(path)
    except InputError:
        return  # the reader refuses it: it never reaches the kernel
    assert ours == theirs


def test_unreadable_findings_fail_the_kernel():
    for data in (b"\xff", b"[1]", b'"s3:x"', b'{"no": 1}', b"s3:a:b", b'[{"actions": ["x"]}]'):
        result = kernel.check({"Statement": []}, {"Statement": []}, data, [],
                              {"statements": []})
        assert result.verdict == "refuted" and result.failures[0][0] == "inputs"


@pytest.mark.parametrize("fault", ["drop an action", "drop a service", "add an action"])
def test_a_reader_that_misreads_is_caught_by_the_kernel(cli, tmp_path, monkeypatch, fault):
    """Inject the bug class of item 3: the reader hands on a set the file does not name."""
    real = findings._collect

    def misread(entries, catalog, path):
        unused, warnings = real(entries, catalog, path)
        if fault == "drop an action":
            unused = dataclasses.replace(unused, actions=unused.actions[1:])
        elif fault == "drop a service":
            unused = dataclasses.replace(unused, services=())
        else:
            unused = dataclasses.replace(unused, actions=unused.actions + ("s3:ListBucket",))
        return unused, warnings

    monkeypatch.setattr(findings, "_collect", misread)
    unused = write_json(tmp_path / "u.json",
                        ["s3:GetObjectAcl", "s3:GetBucketAcl", "lambda:*"])
    before = files_under(tmp_path)
    code, out, err = cli("refine", BLOG / "policy.json", "--unused", unused, "--catalog",
                         BLOG_CATALOG, "-o", tmp_path / "out.json")
    assert code == 1 and out == "", err
    assert "refuted: inputs: the unused set refined by is not the one the findings file names" \
        in err and "(proof kernel)" in err
    assert files_under(tmp_path) == before
