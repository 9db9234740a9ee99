"""Fixtures shared by every test folder (plain helpers are in tests/helpers.py)."""

from __future__ import annotations

import pytest

from tests.helpers import run


class CLI:
    """`verify-refine ARGS...` in this process: exit code, stdout, stderr."""

    def __init__(self, capsys):
        self.capsys = capsys

    def __call__(self, *argv) -> tuple[int, str, str]:
        return run(self.capsys, *argv)


@pytest.fixture
def cli(capsys) -> CLI:
    return CLI(capsys)
