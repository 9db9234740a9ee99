"""Issue 14's "done when" for Terraform, as a new user would try it: a folder whose role holds a
jsonencode policy, and one whose role holds an aws_iam_policy_document; one
`refine FOLDER --unused FINDING --in-place --certificate DIR` each refines every policy the role
holds, the diff touches only action lines, every certificate checks, the gate over the folders
is green, and a hand edit adding an unused action is red at that statement's action list. Under
`gate --changed`, a staged .tf file of a certified policy's folder (the one that uses a policy
document, not the one that declares it) has that certificate checked, and certificates of one
template that nothing touched are not taken for duplicates."""

from __future__ import annotations

import difflib
import json
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES, run
from verify_refine.iac.reading import read_sources

pytest.importorskip("tree_sitter_hcl")

IAC = FIXTURES / "iac"
# folder -> (the fixture, the role's name, the policies the role holds that change)
FOLDERS = {"jsonencode": ("app-role", ["aws_iam_role_policy.app"]),
           "document": ("app", ["data.aws_iam_policy_document.app"])}


def finding_for(role: str) -> str:
    """The fixture get-finding-v2 output (s3:PutObject, sqs:DeleteQueue, dynamodb:* unused),
    about the role named ROLE."""
    finding = json.loads((IAC / "app-role-finding.json").read_text())
    finding["resource"] = f"arn:aws:iam::123456789012:role/{role}"
    return json.dumps(finding, indent=1)


def action_lines(folder) -> dict[str, set[int]]:
    """Per file name, the 1-based lines of every Action/NotAction value of every policy."""
    out: dict[str, set[int]] = {}
    for source in read_sources(str(folder)):
        for policy in source.policies:
            for stmt in policy.statements:
                first = source.text.count("\n", 0, stmt.value.start) + 1
                last = source.text.count("\n", 0, max(stmt.value.end - 1, stmt.value.start)) + 1
                out.setdefault(source.path.rsplit("/", 1)[-1], set()).update(
                    range(first, last + 1))
    return out


@pytest.fixture(scope="module")
def certified(tmp_path_factory):
    """Both fixture folders and their findings, refined in place with certificates."""
    root = tmp_path_factory.mktemp("done")
    before = {}
    for name, (role, _) in FOLDERS.items():
        shutil.copytree(IAC / "terraform" / name, root / name)
        (root / f"{name}-finding.json").write_text(finding_for(role))
        before[name] = ({p.name: p.read_text() for p in (root / name).glob("*.tf")},
                        action_lines(root / name))
        from verify_refine.cli import main
        assert main(["refine", str(root / name), "--unused", str(root / f"{name}-finding.json"),
                     "--in-place", "--certificate", str(root / f"{name}-certs")]) == 0
    return root, before


@pytest.fixture
def work(certified, tmp_path):
    shutil.copytree(certified[0], tmp_path / "repo")
    return tmp_path / "repo"


def gate(capsys, folder, *changed):
    """The gate over FOLDER; given CHANGED files, as the pre-commit hook runs it (--changed)."""
    flags = ["--changed"] if changed else []
    return run(capsys, "gate", *flags, "--root", folder, "--jobs", "1", folder, *changed)


@pytest.mark.parametrize("name", FOLDERS)
def test_one_command_refines_the_roles_policies_touching_only_action_lines(certified, name):
    root, before = certified
    texts, allowed = before[name]
    changed = set()
    for file, old in texts.items():
        new = (root / name / file).read_text()
        for group in difflib.SequenceMatcher(None, old.splitlines(), new.splitlines()) \
                .get_grouped_opcodes(0):
            for tag, i1, i2, _, _ in group:
                if tag != "equal":
                    changed.add(file)
                    lines = set(range(i1 + 1, i2 + 1)) or {i1}
                    assert lines <= allowed.get(file, set()), (file, lines, new)
    assert changed, "nothing was refined"
    after = {p.address: p for s in read_sources(str(root / name)) for p in s.policies}
    for address in FOLDERS[name][1]:  # the unused s3:PutObject is allowed no more
        for statement in after[address].document["Statement"]:
            allowed = statement.get("Action", [])
            assert "s3:PutObject" not in ([allowed] if isinstance(allowed, str) else allowed)
            if "NotAction" in statement:
                assert "s3:PutObject" in statement["NotAction"]


@pytest.mark.parametrize("name", FOLDERS)
def test_every_certificate_checks(certified, capsys, name):
    certs = sorted((certified[0] / f"{name}-certs").glob("*.cert.json"))
    assert {json.loads(c.read_text())["addresses"]["refined"] for c in certs} >= \
        set(FOLDERS[name][1])
    for cert in certs:
        code, out, err = run(capsys, "check", cert)
        assert code == 0, out + err


def test_the_gate_over_the_folders_is_green(work, capsys):
    code, out, err = gate(capsys, work)
    assert code == 0, out + err
    assert "3 certificates checked, 3 valid, 0 failed" in out


@pytest.mark.parametrize("name, file, after", [
    ("jsonencode", "main.tf", '"s3:GetObject",'),
    ("document", "policies.tf", '"s3:GetObject",'),
])
def test_a_hand_edit_adding_an_unused_action_is_red_at_that_statement(work, capsys, name, file,
                                                                     after):
    path = work / name / file
    lines = path.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == after)
    lines.insert(at + 1, lines[at].replace("s3:GetObject", "s3:PutObject"))
    path.write_text("".join(lines))
    source, policy = next((s, p) for s in read_sources(str(work / name)) for p in s.policies
                          if p.address == FOLDERS[name][1][0])
    place = next(st.value.place for st in policy.statements if st.value.place.line <= at + 2
                 <= source.text.count("\n", 0, st.value.end) + 1)
    code, out, err = gate(capsys, work)
    assert code == 1, out + err
    failure = next(line for line in out.splitlines() if "VR-stale" in line)
    assert f"{name}/{file}:{place.line}:{place.column}: error: VR-stale" in failure, failure
    assert "2 valid, 1 failed" in out


def test_changed_a_staged_file_that_uses_a_policy_document_checks_its_certificate(work, capsys):
    main_tf = work / "document" / "main.tf"
    main_tf.write_text(main_tf.read_text().replace(
        "policy = data.aws_iam_policy_document.app.json", 'policy = "{}"'))
    code, out, err = gate(capsys, work, main_tf)
    assert code == 1, out + err
    assert "no policy `data.aws_iam_policy_document.app`" in out
    assert "1 certificate checked, 0 valid, 1 failed" in out and "2 unchanged" in out


FILES = ["jsonencode/main.tf", "document/main.tf", "document/policies.tf", "notes.txt"]


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(staged=st.lists(st.sampled_from(FILES), min_size=1, max_size=3, unique=True))
def test_changed_checks_each_certificate_of_a_folder_with_a_staged_tf_file(
        certified, tmp_path_factory, capsys, staged):
    """A neutral edit (a comment) to any staged files: the certificates of each folder with a
    staged .tf file are checked and valid, the others unchanged; never a duplicate."""
    work = tmp_path_factory.mktemp("changed") / "repo"
    shutil.copytree(certified[0], work)
    for name in staged:
        path = work / name
        path.write_text(path.read_text() + "\n# reviewed\n" if path.exists() else "notes\n")
    code, out, err = gate(capsys, work, *(work / name for name in staged))
    assert code == 0, out + err
    per_folder = {"jsonencode": 2, "document": 1}
    checked = sum(n for folder, n in per_folder.items()
                  if any(s.startswith(folder + "/") for s in staged))
    assert f"{checked} certificate{'s' if checked != 1 else ''} checked, {checked} valid" in out
    assert "VR-duplicate-certificate" not in out
    if checked < 3:
        assert f"{3 - checked} unchanged" in out
