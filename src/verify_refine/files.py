"""Files in and out: reading an input with a one-line error, and writing an output atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputError


def read_input(path: str, what: str) -> bytes:
    p = Path(path)
    if p.is_dir():
        raise InputError(f"is a directory; expected a {what} file", path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", path) from None


def check_writable(path: str) -> Path:
    """The folder an output goes to, checked before any work is done."""
    target = Path(path)
    if target.is_dir():
        raise InputError("is a directory; expected an output file name", path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write: folder {folder} does not exist", path)
    if not os.access(folder, os.W_OK):
        raise InputError(f"cannot write: folder {folder} is not writable", path)
    return folder


def write_atomically(path: str, text: str) -> None:
    """Write a file so that readers see the old content or the whole new one, never a part."""
    target = Path(path)
    folder = check_writable(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode_for(target))
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write: {exc.strerror}", path) from None


def mode_for(target: Path) -> int:
    """An existing file keeps its mode; a new one gets the default the umask allows."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
