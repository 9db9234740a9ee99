"""The `verify-refine` script and `python -m verify_refine`: a Ctrl-C while the tool is still
loading ends as any other Ctrl-C does (one line, exit 130), not with a traceback."""

from __future__ import annotations

import sys

INTERRUPTED = 130  # verdict.Exit.INTERRUPTED, which is not loaded yet


def entry_point() -> None:
    try:
        from .cli import entry_point as run
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(INTERRUPTED)
    run()
