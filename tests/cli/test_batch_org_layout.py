"""A bad organization layout, or a mix of batch's forms, stops `batch` before any work: one line,
exit 2, nothing written, whichever account is broken and however."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import AWS_FIXTURES, BLOG_CATALOG, one_line_error, run

ACCOUNT = AWS_FIXTURES / "account-small.json"
FINDINGS = AWS_FIXTURES / "findings-small"
FIXTURE_ID = "123456789012"


def make_account(folder: Path, account_id: str) -> Path:
    """An account folder as `pull` writes one: the small account under another ID."""
    (folder / "findings").mkdir(parents=True)
    text = ACCOUNT.read_text().replace(FIXTURE_ID, account_id)
    (folder / "authorization-details.json").write_text(text)
    for path in FINDINGS.iterdir():
        (folder / "findings" / path.name).write_text(
            path.read_text().replace(FIXTURE_ID, account_id))
    return folder


def make_org(root: Path, n: int) -> Path:
    for k in range(n):
        make_account(root / "org" / f"acct-{k}", f"{300000000000 + k}")
    return root / "org"


def refused(capsys, *argv) -> str:
    code, stdout, err = run(capsys, "batch", *argv, "--catalog", BLOG_CATALOG)
    assert code == 2 and stdout == "", err
    return one_line_error(err)


BREAKAGES = {
    "no authorization details": lambda f: (f / "authorization-details.json").unlink(),
    "no findings folder": lambda f: shutil.rmtree(f / "findings"),
    "findings is a file": lambda f: (shutil.rmtree(f / "findings"),
                                     (f / "findings").write_text("[]")),
    "malformed details": lambda f: (f / "authorization-details.json").write_text('{"a": [1,]}'),
    "not a details dump": lambda f: (f / "authorization-details.json").write_text('{"x": 1}'),
}


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(n=st.integers(1, 4), data=st.data(), breakage=st.sampled_from(sorted(BREAKAGES)))
def test_any_broken_account_stops_the_run_before_any_work(capsys, tmp_path_factory, n, data,
                                                          breakage):
    root = tmp_path_factory.mktemp("bad")
    organization = make_org(root, n)
    broken = organization / f"acct-{data.draw(st.integers(0, n - 1))}"
    BREAKAGES[breakage](broken)
    line = refused(capsys, organization, "-o", root / "out")
    assert line.startswith(str(broken)), line
    if breakage in ("no authorization details", "no findings folder", "findings is a file"):
        assert line == f"{broken}: not an account folder: expected authorization-details.json " \
                       "and findings/ in it (the layout of docs/AWS.md, one folder per account)"
    if breakage == "malformed details":
        assert line.startswith(f"{broken / 'authorization-details.json'}:1:")
    assert not (root / "out").exists()


def test_an_empty_organization_folder(capsys, tmp_path):
    (tmp_path / "org" / ".hidden").mkdir(parents=True)
    line = refused(capsys, tmp_path / "org", "-o", tmp_path / "out")
    assert line.startswith(f"{tmp_path / 'org'}: no account folder in it: expected ")
    assert not (tmp_path / "out").exists()


def account_arg(folder: Path) -> str:
    return f"{folder / 'authorization-details.json'}:{folder / 'findings'}"


@pytest.mark.parametrize("case", ["org and findings", "account and auth", "no colon",
                                  "missing file", "missing folder", "same account twice",
                                  "output inside org", "cache inside org", "nothing given",
                                  "auth without findings"])
def test_a_mix_of_forms_or_a_bad_account_argument_is_one_line(capsys, tmp_path, case):
    organization = make_org(tmp_path, 2)
    one = organization / "acct-0"
    out = tmp_path / "out"
    argv, expected = {
        "org and findings": ([organization, "--findings", one / "findings", "-o", out],
                             f"{organization}: is a directory; expected an authorization "
                             "details file"),
        "account and auth": ([one / "authorization-details.json", "--account",
                              account_arg(one), "-o", out], "batch: give AUTH.json with "),
        "no colon": (["--account", "nocolon", "-o", out],
                     "batch: --account `nocolon`: expected AUTH.json:FINDINGS_DIR"),
        "missing file": (["--account", f"{tmp_path / 'none.json'}:{one / 'findings'}", "-o",
                          out], f"{tmp_path / 'none.json'}: no such authorization details"),
        "missing folder": (["--account", f"{one / 'authorization-details.json'}:"
                            f"{tmp_path / 'nf'}", "-o", out],
                           f"{tmp_path / 'nf'}: not a folder of findings files"),
        "same account twice": (["--account", account_arg(one), "--account", account_arg(one),
                                "-o", out], "batch: "),
        "output inside org": ([organization, "-o", organization / "out"],
                              f"batch: -o `{organization / 'out'}` is inside the organization"),
        "cache inside org": ([organization, "-o", out, "--cache", organization / "out"],
                             f"batch: --cache `{organization / 'out'}` is inside the "
                             "organization folder"),
        "nothing given": (["-o", out], "batch: give AUTH.json with --findings DIR, "),
        "auth without findings": ([one / "authorization-details.json", "-o", out],
                                  "batch: the following arguments are required: --findings"),
    }[case]
    line = refused(capsys, *argv)
    assert line.startswith(expected), line
    if case == "same account twice":
        assert "are both account `300000000000`: give each account once" in line
    assert not out.exists() and not (organization / "out").exists()


def test_the_account_name_is_the_id_its_arns_name(capsys, tmp_path):
    """Folders named as a person likes; OUTDIR's are the account IDs."""
    make_account(tmp_path / "org" / "production", "444455556666")
    code, _, err = run(capsys, "batch", tmp_path / "org", "-o", tmp_path / "out", "--catalog",
                       BLOG_CATALOG)
    assert code == 0, err
    assert (tmp_path / "out" / "444455556666" / "summary.csv").is_file()
    data = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [a["account"] for a in data["accounts"]] == ["444455556666"]
