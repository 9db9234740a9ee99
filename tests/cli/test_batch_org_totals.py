"""Whatever the organization (how many accounts, which principals have findings, one account with
none), its summary's line for each account is what that account's own summary.csv says, and the
total is their sum."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli.test_batch_org_layout import make_account
from tests.helpers import BLOG_CATALOG, run
from verify_refine.report import org_summary

PRINCIPAL_FILES = {"app-deployer": "finding-3f1c2a9e.json", "data-reader": "finding-8a0d4b71.json",
                   "ci-bot": "ci-bot.txt"}


def csv_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(kept=st.lists(st.sets(st.sampled_from(sorted(PRINCIPAL_FILES))), min_size=1,
                     max_size=3))
def test_each_accounts_line_is_its_own_summary_and_the_total_their_sum(capsys, tmp_path_factory,
                                                                       kept):
    root = tmp_path_factory.mktemp("org")
    for k, names in enumerate(kept):
        folder = make_account(root / "org" / f"a{k}", f"{500000000000 + k}")
        for name, file in PRINCIPAL_FILES.items():
            if name not in names:
                (folder / "findings" / file).unlink()
    code, stdout, err = run(capsys, "batch", root / "org", "-o", root / "out", "--catalog",
                            BLOG_CATALOG, "--jobs", "2")
    if not any(kept):
        assert code == 2 and "nothing to refine" in err
        assert not (root / "out").exists()
        return
    assert code == 0, err
    table = csv_rows(root / "out" / "summary.csv")
    assert [r["account"] for r in table] == [f"{500000000000 + k}" for k in range(len(kept))] \
        + ["total"]
    for line, names in zip(table, kept):
        if not names:
            assert line["note"].startswith("nothing to refine: ") and line["policies"] == "0"
            continue
        rows = csv_rows(root / "out" / line["account"] / "summary.csv")
        assert {r["principal"] for r in rows} == names
        assert int(line["principals"]) == len(names) and int(line["policies"]) == len(rows)
        for verdict in org_summary.VERDICTS:
            assert int(line[verdict]) == sum(r["verdict"] == verdict for r in rows)
        assert int(line["catalog_actions_removed"]) == sum(
            int(r["catalog_actions_removed"] or 0) for r in rows
            if r["verdict"] in ("proved", "detach"))
    for column in org_summary.COUNTS:
        assert int(table[-1][column]) == sum(int(r[column]) for r in table[:-1])
    data = json.loads((root / "out" / "summary.json").read_text())
    assert data["total"] == {c: int(table[-1][c]) for c in org_summary.COUNTS}
    assert stdout.splitlines()[-1] == org_summary.line(data)
