"""`verify-refine batch` writes only inside its output folder, whatever the role, user and policy
names hold (`..`, `a/b`, `a\\b`, NUL, case twins, Unicode, 300 characters), and never through a
symbolic link that leads out; each principal and policy gets files of its own."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import AWS_FIXTURES, BLOG_CATALOG, run
from verify_refine.batch import outpaths
from verify_refine.errors import InputError

ACCOUNT_ID = "111122223333"
# Names the file system or a naive sanitiser would confuse: traversal, separators, case
# twins, names equal after replacing a character by `_`, reserved and device names.
HOSTILE = [".", "..", "...", "../x", "../../etc", "a/b", "a\\b", "a_b", "a b", "/abs",
           "x/..", "Deploy", "deploy", "DEPLOY", "summary.md", "SUMMARY.CSV", "findings",
           "con", "nul.txt", "-rf", ".hidden", "trailing.", "a\x00b", "日本語", "e\u0301",
           "\u00e9", "x" * 64, "y" * 129, "z" * 300, "DeployRole", "DeployRole.user",
           "p.managed", "p", "a\rb", "a\nb", "a|b", "a\\|b"]
NAMES = st.one_of(st.sampled_from(HOSTILE),
                  st.text(st.sampled_from("aA./\\_-~@é\x00 "), min_size=1, max_size=6),
                  st.text(min_size=1, max_size=200))


def every_path(top: Path) -> set[str]:
    """Every file, folder and link under top, as paths relative to it (links not followed)."""
    found = set()
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(folder, name), top))
    return found


def outside_of(out: Path, created: set[str], top: Path) -> set[str]:
    """The created paths (relative to top) that are neither in out nor out's parent folders."""
    return {p for p in created if not (top / p).resolve().is_relative_to(out.resolve())
            and not out.resolve().is_relative_to((top / p).resolve())}


def summary(out: Path) -> list[dict]:
    with open(out / "summary.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def policy(index: int) -> dict:
    """A small policy that refines and proves fast, told apart from the others by its Sid."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": f"P{index}", "Effect": "Allow", "Resource": "*",
        "Action": ["s3:GetObject", "s3:PutObject", "lambda:InvokeFunction"]}]}


def write_account(folder: Path, principals: list) -> list[dict]:
    """auth.json and a findings folder (get-finding-v2 files, matched by ARN) for principals,
    a list of (kind, name, [(policy kind, policy name), ...]). Returns what each policy should
    become: one dict per policy, its document told apart by its Sid."""
    roles, users, managed, expected = [], [], [], []
    findings = folder / "findings"
    findings.mkdir()
    for i, (kind, name, policies) in enumerate(principals):
        arn = f"arn:aws:iam::{ACCOUNT_ID}:{kind}/p{i}/{name}"  # the path keeps ARNs apart
        inline, attached = [], []
        for j, (pkind, pname) in enumerate(policies):
            document = policy(100 * i + j)
            if pkind == "inline":
                inline.append({"PolicyName": pname, "PolicyDocument": document})
            else:
                parn = f"arn:aws:iam::{ACCOUNT_ID}:policy/p{i}-{j}"
                attached.append({"PolicyName": pname, "PolicyArn": parn})
                managed.append({"PolicyName": pname, "Arn": parn, "DefaultVersionId": "v1",
                                "PolicyVersionList": [{"Document": document, "VersionId": "v1",
                                                       "IsDefaultVersion": True}]})
            expected.append({"principal": name, "principal_type": kind, "policy": pname,
                             "policy_kind": pkind, "document": document, "arn": arn})
        entry = {"Arn": arn, "AttachedManagedPolicies": attached}
        if kind == "role":
            roles.append(dict(entry, RoleName=name, RolePolicyList=inline))
        else:
            users.append(dict(entry, UserName=name, UserPolicyList=inline))
        unused = ["PutObject"] if i % 2 else ["GetObject", "PutObject"]
        (findings / f"finding-{i}.json").write_text(json.dumps({
            "resource": arn, "findingType": "UnusedPermission", "findingDetails": [
                {"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": [
                    {"action": a} for a in unused]}}]}))
    (folder / "auth.json").write_text(json.dumps({
        "RoleDetailList": roles, "UserDetailList": users, "GroupDetailList": [],
        "Policies": managed}))
    return expected


def check_batch(capsys, top: Path, out: Path, expected: list[dict], certs: int) -> list[dict]:
    """Run batch over top/auth.json into out and assert what a user relies on: exit 0, nothing
    created outside out, one row per policy with the exact names, files of its own holding its
    own policy beside its own principal's findings, and certificates that check."""
    before = every_path(top)
    code, _, err = run(capsys, "batch", top / "auth.json", "--findings", top / "findings",
                       "-o", out, "--catalog", BLOG_CATALOG, "--jobs", "2")
    assert code == 0, err
    assert outside_of(out, every_path(top) - before, top) == set()
    rows = summary(out)
    assert len(rows) == len(expected)
    assert all(r["verdict"] == "proved" for r in rows)
    # Files of its own for each policy, also where case does not count.
    assert len({r["files"].lower() for r in rows}) == len(rows)
    by_sid = {e["document"]["Statement"][0]["Sid"]: e for e in expected}
    folders: dict[str, set[str]] = {}  # folder, case folded -> ARNs of principals in it
    for r in rows:
        folder, stem = r["files"].split("/")
        assert outpaths.safe_part(folder) and outpaths.safe_part(stem)
        original = json.loads((out / f"{r['files']}.original.json").read_text())
        e = by_sid.pop(original["Statement"][0]["Sid"])  # each policy's own, once
        assert original == e["document"]
        assert (r["principal_type"], r["principal"], r["policy"], r["policy_kind"]) == \
            (e["principal_type"], e["principal"], e["policy"], e["policy_kind"])
        refined = json.loads((out / f"{r['files']}.refined.json").read_text())
        assert refined["Statement"][0]["Sid"] == e["document"]["Statement"][0]["Sid"]
        copy = json.loads((out / folder / "findings.json").read_text())
        assert copy["resource"] == e["arn"]
        folders.setdefault(folder.lower(), set()).add(e["arn"])
    assert all(len(arns) == 1 for arns in folders.values())  # one principal per folder
    for r in rows[:certs]:
        code, text, err = run(capsys, "check", out / f"{r['files']}.cert.json")
        assert code == 0 and "valid" in text, err
    with open(out / "summary.md", newline="", encoding="utf-8") as handle:
        lines = handle.read().split("\n")  # a Markdown line ends at CR too: none in a row
    table = [line for line in lines if line.startswith("| ")]
    assert len(table) == len(rows) + 1 and not any("\r" in line for line in table)
    return rows


# --- the example -------------------------------------------------------------------------

def test_a_role_named_dot_dot_writes_inside_the_output_folder(capsys, tmp_path, monkeypatch):
    auth = json.loads((AWS_FIXTURES / "account-small.json").read_text())
    auth["RoleDetailList"][0]["RoleName"] = ".."  # app-deployer's findings match by ARN
    (tmp_path / "auth.json").write_text(json.dumps(auth))
    monkeypatch.chdir(tmp_path)
    before = every_path(tmp_path)
    code, _, err = run(capsys, "batch", "auth.json", "--findings", AWS_FIXTURES / "findings-small",
                       "-o", "out/o", "--catalog", BLOG_CATALOG, "--jobs", "2")
    assert code == 0, err
    created = every_path(tmp_path) - before
    assert created and all(p.startswith(os.path.join("out", "o")) for p in created - {"out"})
    assert every_path(tmp_path / "out") == {"o"} | {f"o/{p}" for p in
                                                   every_path(tmp_path / "out" / "o")}
    rows = [r for r in summary(tmp_path / "out" / "o") if r["principal"] == ".."]
    assert [(r["policy"], r["verdict"]) for r in rows] == [
        ("invoke-and-read", "proved"), ("lambda-deploy", "detach"),
        ("AWSLambda_ReadOnlyAccess", "proved")]
    folder = rows[0]["files"].split("/")[0]
    assert folder not in (".", "..") and not folder.startswith(".")
    assert {r["files"] for r in rows} == {f"{folder}/invoke-and-read", f"{folder}/lambda-deploy",
                                          f"{folder}/AWSLambda_ReadOnlyAccess"}
    assert (tmp_path / "out" / "o" / folder / "findings.json").is_file()
    for r in rows:
        code, text, _ = run(capsys, "check", Path("out/o") / f"{r['files']}.cert.json")
        assert code == 0 and "valid" in text
    md = (tmp_path / "out" / "o" / "summary.md").read_text()
    assert f"| .. | role | invoke-and-read | inline | {folder}/invoke-and-read | " in md


# --- generated accounts of hostile names ---------------------------------------------------------

PRINCIPALS = st.lists(st.tuples(st.sampled_from(["role", "user"]), NAMES,
                                st.lists(st.tuples(st.sampled_from(["inline", "managed"]),
                                                   NAMES), min_size=1, max_size=2)),
                      min_size=2, max_size=4)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(principals=PRINCIPALS)
def test_hostile_names_stay_inside_and_apart(capsys, tmp_path_factory, principals):
    top = tmp_path_factory.mktemp("account")
    expected = write_account(top, principals)
    check_batch(capsys, top, top / "out" / "o", expected, certs=2)


def test_names_that_clash_after_sanitising_or_case_folding(capsys, tmp_path):
    """One account holding every hostile name at once, as roles, users and policy names."""
    principals = [("role" if i % 3 else "user", name, [("inline", name), ("managed", name)])
                  for i, name in enumerate(HOSTILE)]
    principals += [("user", "Deploy", [("inline", "p"), ("inline", "p"), ("managed", "p")])]
    rows = check_batch(capsys, tmp_path, tmp_path / "out", write_account(tmp_path, principals),
                       certs=3)
    folder = {(r["principal_type"], r["principal"]): r["files"].split("/")[0] for r in rows}
    assert folder[("role", "DeployRole")] == "DeployRole"  # ordinary names stay readable
    # Case twins: the first keeps its name, the next gets its kind, then a number.
    assert [folder[("role", "Deploy")], folder[("user", "deploy")], folder[("role", "DEPLOY")],
            folder[("user", "Deploy")]] == ["Deploy", "deploy.user", "DEPLOY.role", "Deploy~2"]
    assert folder[("role", "summary.md")] == "summary.md.role"
    assert [r["files"] for r in rows if r["principal"] == "Deploy" and r["principal_type"]
            == "user"] == ["Deploy~2/p", "Deploy~2/p.inline", "Deploy~2/p.managed"]
    assert folder[("role", "..")].endswith("~" + outpaths.component("..").split("~")[1])


# --- symbolic links that lead out ----------------------------------------------------------------

@pytest.mark.parametrize("link, target", [
    ("app-deployer", "elsewhere"),  # a principal's folder
    ("data-reader/read-reports.refined.json", "elsewhere/victim.json"),  # one file
    ("summary.md", "elsewhere/victim.json"),
])
def test_a_link_out_of_the_output_folder_is_refused_before_writing(capsys, tmp_path, link,
                                                                    target):
    out = tmp_path / "out"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "victim.json").write_text("keep me\n")
    (out / link).parent.mkdir(parents=True, exist_ok=True)
    (out / link).symlink_to(tmp_path / target)
    before = {p: (tmp_path / p).read_bytes() for p in every_path(tmp_path)
              if (tmp_path / p).is_file()}
    code, stdout, err = run(capsys, "batch", AWS_FIXTURES / "account-small.json", "--findings",
                            AWS_FIXTURES / "findings-small", "-o", out, "--catalog", BLOG_CATALOG)
    assert (code, stdout) == (2, "")
    assert err.count("\n") == 1 and "refusing to write" in err and "outside the output" in err
    after = {p: (tmp_path / p).read_bytes() for p in every_path(tmp_path)
             if (tmp_path / p).is_file()}
    assert after == before  # nothing written, in the output folder or through the link


def test_a_link_that_stays_inside_the_output_folder_is_followed(capsys, tmp_path):
    out = tmp_path / "out"
    (out / "bots").mkdir(parents=True)
    (out / "ci-bot").symlink_to(out / "bots")
    code, _, err = run(capsys, "batch", AWS_FIXTURES / "account-small.json", "--findings",
                       AWS_FIXTURES / "findings-small", "-o", out, "--catalog", BLOG_CATALOG)
    assert code == 0, err
    assert (out / "bots" / "ci-publish.cert.json").is_file()


def test_a_link_planted_after_the_first_check_fails_the_write(tmp_path):
    """The write-time check: `inside` refuses separators, dots and links that lead out."""
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "role").symlink_to(tmp_path)
    for parts in [("..",), (".",), ("a/b",), ("a\\b",), (".hidden",), ("role", "x.json"),
                  ("",), ("x" * 300,)]:
        with pytest.raises(InputError, match="refusing to write"):
            outpaths.inside(tmp_path / "o", *parts)
    assert outpaths.inside(tmp_path / "o", "DeployRole", "p.cert.json") == \
        tmp_path / "o" / "DeployRole" / "p.cert.json"


# --- the encoding --------------------------------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(names=st.lists(NAMES, min_size=1, max_size=12), tag=st.sampled_from(["role", "user"]))
def test_names_get_distinct_safe_components(names, tag):
    taken = outpaths.Names(reserved=outpaths.SUMMARIES)
    given_out = [taken.claim(name, tag) for name in names]
    assert len({c.lower() for c in given_out} | {"summary.md", "summary.csv"}) == \
        len(given_out) + 2
    for name, part in zip(names, given_out):
        assert outpaths.safe_part(part) and part.isascii() and part not in (".", "..")
        assert len(part) <= outpaths.PLAIN_MAX + len(".user")
    for a in names:
        for b in names:
            assert (outpaths.component(a) == outpaths.component(b)) == (a == b)
    assert outpaths.component("DeployRole") == "DeployRole"


def test_a_link_planted_between_two_runs_of_one_process_is_refused(capsys, tmp_path):
    """The folders resolved in one run are resolved again in the next (a long-lived process
    running batch twice): a principal's folder replaced by a link that leads out is refused."""
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    argv = ("batch", AWS_FIXTURES / "account-small.json", "--findings",
            AWS_FIXTURES / "findings-small", "-o", out, "--catalog", BLOG_CATALOG, "--no-cache")
    assert run(capsys, *argv)[0] == 0
    shutil.move(out / "app-deployer", elsewhere)
    (out / "app-deployer").symlink_to(elsewhere)
    before = {p.name: p.read_bytes() for p in elsewhere.iterdir()}
    code, stdout, err = run(capsys, *argv)
    assert (code, stdout) == (2, "") and "outside the output" in err
    assert {p.name: p.read_bytes() for p in elsewhere.iterdir()} == before
