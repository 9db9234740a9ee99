"""An original policy edited after certification fails the gate with VR-stale at the statement
that was edited (the first one the certificate's obligations or the structure checks no longer
describe), so the annotation lands where the change is; an edit no statement shows (the Version)
is placed at the first statement, and so is one no obligation reads (the resources of a
statement the refinement removed)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import BLOG, EXAMPLES, certify_example
from verify_refine.cli import main
from verify_refine.inputs.policy import parse_policy

CATALOGS = {"blog": BLOG / "catalog-2024-10-24.json",
            "deployer": EXAMPLES / "deployer" / "catalog-2026-10-27.json"}


@pytest.fixture(scope="module")
def certified(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("stale-at")
    for name, catalog in CATALOGS.items():
        certify_example(catalog, base / name)
    return base


def edit(statement: dict, kind: str) -> None:
    """Change what a statement means: its resources, a condition, an action nothing knows,
    or every action of its first entry's service."""
    if kind == "resource":
        statement["Resource"] = "arn:aws:s3:::edited-after-certification/*"
    elif kind == "condition":
        statement["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
    else:
        actions = statement["Action"] if isinstance(statement["Action"], list) \
            else [statement["Action"]]
        added = "nosuchservice:DoSomething" if kind == "unknown-action" \
            else actions[0].split(":")[0] + ":*"
        statement["Action"] = [*actions, added]


def stale_lines(capsys, folder: Path) -> list[str]:
    code = main(["gate", str(folder), "--root", str(folder), "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 1, out
    return [line for line in out.splitlines() if ": error: " in line]


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(example=st.sampled_from(sorted(CATALOGS)), data=st.data())
def test_an_edited_statement_is_where_the_gate_points(certified, capsys, example, data):
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / example
        shutil.copytree(certified / example, folder)
        doc = json.loads((folder / "policy.json").read_text())
        index = data.draw(st.integers(0, len(doc["Statement"]) - 1), label="statement")
        statement = doc["Statement"][index]
        hints = json.loads((folder / "x.cert.json").read_text())["hints"]["statements"]
        removed = hints[index]["refined"] is None  # its resources are then no one's concern
        kinds = [] if removed else ["resource", "condition"]
        if statement["Effect"] == "Allow":
            kinds.append("unknown-action")
            if statement["Action"] != "logs:*":  # all of the service already: no change
                kinds.append("widen")
        edit(statement, data.draw(st.sampled_from(kinds), label="edit"))
        (folder / "policy.json").write_text(json.dumps(doc, indent=2) + "\n")
        span = parse_policy((folder / "policy.json").read_bytes(), "policy.json") \
            .statements[index].span
        [line] = stale_lines(capsys, folder)
        assert line.startswith(f"{folder / 'policy.json'}:{span.line}:{span.column}: error: "
                               "VR-stale: the original file is not the one certified")


def test_an_edit_outside_the_statements_points_at_the_first(certified, capsys, tmp_path):
    folder = tmp_path / "blog"
    shutil.copytree(certified / "blog", folder)
    text = (folder / "policy.json").read_text()
    (folder / "policy.json").write_text(text.replace('"2012-10-17"', '"2008-10-17"'))
    span = parse_policy((folder / "policy.json").read_bytes(), "p").statements[0].span
    [line] = stale_lines(capsys, folder)
    assert line.startswith(f"{folder / 'policy.json'}:{span.line}:{span.column}: error: "
                           "VR-stale: ")
