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


def pytest_configure(config):
    """The proof cache batch uses by default, for this session: a fresh folder, never the
    user's (module fixtures that run batch share it)."""
    import os
    import tempfile

    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="verify-refine-test-cache-")
    _deliver_ctrl_c()


def _deliver_ctrl_c() -> None:
    """SIGINT taken as Python takes it, here and in every child a test starts: a shell starts a
    background job (`pytest &`) with SIGINT ignored, children inherit that, and the tests of
    Ctrl-C would see their interrupt vanish."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _own_proof_cache(tmp_path_factory, monkeypatch):
    """Each test starts with an empty default proof cache: no result leaks between tests."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))

