"""Ctrl-C while the command is still loading its modules: one line, exit 130, no traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from verify_refine import console
from verify_refine.verdict import Exit


def test_the_scripts_exit_code_is_the_interrupt_code():
    assert console.INTERRUPTED == Exit.INTERRUPTED


@pytest.mark.parametrize("after", [0.15, 0.3])  # after Python itself has started
def test_ctrl_c_while_loading_is_one_line(tmp_path, after):
    proc = subprocess.Popen([sys.executable, "-m", "verify_refine", "catalog", "info"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path)
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    if proc.returncode != 0:  # it may have finished before the signal came
        assert proc.returncode in (Exit.INTERRUPTED, -signal.SIGINT), err
        assert err.strip() in ("", "interrupted"), err
