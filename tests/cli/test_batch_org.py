"""`batch` over an organization: a folder of accounts as `pull` writes each (or --account
arguments) gives a folder per account as the single-account batch writes it, and the
organization's summary (md, csv, json) and removed.png, consistent with the accounts' own."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import struct
from pathlib import Path

import pytest

from tests.helpers import MANAGED, require, run, script
from verify_refine.report import org_summary
from verify_refine.testing import org


@pytest.fixture(scope="module")
def tiny_org(tmp_path_factory) -> Path:
    """The tiny synthetic organization: 3 accounts of 4 roles with small managed policies."""
    folder = tmp_path_factory.mktemp("org") / "org"
    org.generate(require(MANAGED), folder, org.TINY)
    return folder


@pytest.fixture(scope="module")
def org_run(tiny_org, tmp_path_factory):
    """`batch ORG -o OUT` once; its exit code, stdout, stderr and OUT."""
    out = tmp_path_factory.mktemp("out") / "out"
    done = script("batch", tiny_org, "-o", out, "--jobs", "2")
    return done.returncode, done.stdout, done.stderr, out


def csv_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_every_account_gets_its_folder_and_the_organization_its_summary(org_run, tiny_org):
    code, stdout, err, out = org_run
    assert code == 0, err
    accounts = sorted(p.name for p in tiny_org.iterdir())
    assert accounts == [org.account_id(k) for k in range(3)]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        accounts + ["removed.png", "summary.csv", "summary.json", "summary.md"])
    for account in accounts:
        assert (out / account / "summary.md").is_file() and (out / account / "summary.csv")
        assert any((out / account).glob("*/*.cert.json"))
    assert stdout.splitlines()[-1].startswith("batch: 3 accounts, 12 principals, ")
    width, height = png_size(out / "removed.png")
    assert width > 100 and height > 100


def test_the_organization_summary_adds_up_the_accounts_summaries(org_run):
    code, _, err, out = org_run
    table = csv_rows(out / "summary.csv")
    assert [r["account"] for r in table] == [org.account_id(k) for k in range(3)] + ["total"]
    every = []
    for line in table[:-1]:
        rows = csv_rows(out / line["account"] / "summary.csv")
        every += [(line["account"], r) for r in rows]
        assert int(line["policies"]) == len(rows)
        assert int(line["principals"]) == len({r["principal"] for r in rows}) == 4
        for verdict in org_summary.VERDICTS:
            assert int(line[verdict]) == sum(r["verdict"] == verdict for r in rows)
        assert int(line["catalog_actions_removed"]) == sum(
            int(r["catalog_actions_removed"]) for r in rows if r["verdict"] in
            ("proved", "detach"))
        assert line["summary"] == f"{line['account']}/summary.md"
    for column in org_summary.COUNTS:
        assert int(table[-1][column]) == sum(int(r[column]) for r in table[:-1])
    assert int(table[-1]["catalog_actions_removed"]) > 0
    data = json.loads((out / "summary.json").read_text())
    assert [{k: str(v) for k, v in a.items()} for a in data["accounts"]] == table[:-1]
    removed: dict[tuple[str, str], int] = {}
    for account, r in every:
        if r["verdict"] in ("proved", "detach"):
            key = (account, r["principal"])
            removed[key] = removed.get(key, 0) + int(r["catalog_actions_removed"])
    top = [(p["account"], p["principal"], p["catalog_actions_removed"])
           for p in data["most_over_privileged"]]
    expected = sorted(((a, p, n) for (a, p), n in removed.items() if n),
                      key=lambda t: (-t[2], t[0], t[1]))[:org_summary.TOP]
    assert top == expected
    md = (out / "summary.md").read_text()
    for line in table[:-1]:
        assert f"| {line['account']} | 4 | {line['policies']} | " in md
    assert f"| {top[0][0]} | {top[0][1]} | role | {top[0][2]} |" in md


def test_account_arguments_give_what_the_folder_gives(org_run, tiny_org, capsys, tmp_path):
    out = tmp_path / "out"
    accounts = [f"{p / org.AUTH}:{p / org.FINDINGS}" for p in sorted(tiny_org.iterdir())]
    code, stdout, err = run(capsys, "batch", *(x for a in accounts for x in ("--account", a)),
                            "-o", out, "--jobs", "2")
    assert code == org_run[0] == 0, err
    assert stdout.splitlines()[-1] == org_run[1].splitlines()[-1]
    for name in ("summary.csv", "summary.json", "summary.md"):
        assert (out / name).read_bytes() == (org_run[3] / name).read_bytes()
    for account in sorted(tiny_org.iterdir()):
        assert (out / account.name / "summary.csv").read_bytes() == \
            (org_run[3] / account.name / "summary.csv").read_bytes()


def test_an_account_with_nothing_to_refine_is_a_note_and_the_others_run(capsys, tmp_path):
    src = require(MANAGED)
    organization = tmp_path / "org"
    org.generate(src, organization, org.Shape(2, 2, seed=3, max_bytes=400, max_actions=20))
    idle = sorted(organization.iterdir())[0]
    for finding in (idle / org.FINDINGS).iterdir():
        finding.unlink()
    code, stdout, err = run(capsys, "batch", organization, "-o", tmp_path / "out")
    assert code == 0, err
    table = csv_rows(tmp_path / "out" / "summary.csv")
    assert table[0]["account"] == idle.name and table[0]["policies"] == "0"
    assert table[0]["note"].startswith("nothing to refine: no role or user of ")
    assert int(table[1]["policies"]) > 0


def test_without_matplotlib_the_summaries_are_written_and_the_picture_is_a_note(
        tiny_org, tmp_path):
    blocker = tmp_path / "blocker" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for the test')\n")
    env = dict(os.environ, PYTHONPATH=str(blocker.parent))
    organization = tmp_path / "org"
    organization.mkdir()
    os.symlink(sorted(tiny_org.iterdir())[0], organization / "one")
    done = script("batch", organization, "-o", tmp_path / "out", env=env)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "out" / "removed.png").exists()
    assert (tmp_path / "out" / "summary.csv").is_file()
    assert "note: removed.png not drawn: matplotlib is not installed" in done.stderr
    assert "- removed.png not drawn: matplotlib is not installed" in \
        (tmp_path / "out" / "summary.md").read_text()


def test_ctrl_c_while_the_summaries_are_written_is_too_late_to_stop_a_finished_run(
        tiny_org, capsys, tmp_path, monkeypatch):
    """Every result is in: a Ctrl-C that lands while the picture is drawn neither cuts the
    summaries short nor turns the run into an interrupted one (exit 0, all files written)."""
    from verify_refine.report import org_plot

    real_write = org_plot.write

    def interrupted_while_drawing(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # the user's Ctrl-C, delivered now
        return real_write(*args, **kwargs)

    monkeypatch.setattr(org_plot, "write", interrupted_while_drawing)
    out = tmp_path / "out"
    code, _, err = run(capsys, "batch", tiny_org, "-o", out, "--jobs", "1")
    assert code == 0, err
    assert "interrupted" not in err and "policies/s" in err.splitlines()[-1]
    assert {p.name for p in out.iterdir() if p.is_file()} == \
        {"summary.md", "summary.csv", "summary.json", "removed.png"}
