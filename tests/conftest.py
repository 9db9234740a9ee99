"""Shared test helpers: where things are, and the command line run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verify_refine.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
BLOG = EXAMPLES / "blog"
BLOG_CATALOG = BLOG / "catalog-2024-10-24.json"
S3_LAMBDA_CATALOG = ROOT / "tests" / "fixtures" / "catalog-2026-10-27-lambda-s3.json"
SHARED = ROOT.parent / "shared"


class CLI:
    """`verify-refine ARGS...` in this process: exit code, stdout, stderr."""

    def __init__(self, capsys):
        self.capsys = capsys

    def __call__(self, *argv) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main([str(a) for a in argv])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(capsys) -> CLI:
    return CLI(capsys)


def write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def policy_doc(*actions: str, key: str = "Action") -> dict:
    """A one-statement Allow policy over the given action entries."""
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", key: list(actions), "Resource": "*"}]}


def files_under(folder: Path) -> list[str]:
    """Every file and folder below `folder`, relative, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def one_line_error(err: str) -> str:
    """The single line a command printed for bad input (never a traceback)."""
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]
