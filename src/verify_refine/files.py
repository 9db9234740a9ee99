"""Files in and out: reading an input with a one-line error, and writing an output atomically."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

from .errors import InputError, UsageError


def input_path(path: str) -> Path:
    """path as a Path; a name the system cannot open at all is bad input."""
    if "\0" in path:
        raise InputError("a file name cannot hold a NUL character", path)
    if not path:
        raise InputError("empty file name")
    return Path(path)


MiB = 1024 * 1024
# The most each kind of input may hold. A read stops one byte past its limit, so a device such
# as /dev/zero, or a pipe that never ends, is refused as too large instead of filling memory.
LIMITS = {
    "policy": MiB,  # IAM's own limits are 6,144 to 10,240 characters
    "refined policy": 4 * MiB,  # this tool's output, read back (inputs.policy.MAX_REFINED_BYTES)
    "findings": 64 * MiB,
    "get-finding-recommendation": 64 * MiB,
    "catalog": 256 * MiB,
    "certificate": 256 * MiB,
    "authorization details": 1024 * MiB,
}
DEFAULT_LIMIT = 64 * MiB


STDIN = "-"  # as an input: standard input; as an output: standard output
_stdin_read: dict[str, bytes] = {}  # standard input is read once, whoever asks first


def read_input(path: str, what: str) -> bytes:
    """The bytes of an input file (`-`: standard input), at most LIMITS[what] of them: a
    longer input (a device, an endless pipe) is bad input, found after reading one byte past
    the limit."""
    limit = LIMITS.get(what, DEFAULT_LIMIT)
    if path == STDIN:
        if STDIN not in _stdin_read:
            _stdin_read[STDIN] = sys.stdin.buffer.read(limit + 1)
        data = _stdin_read[STDIN]
        if len(data) > limit:
            raise InputError(f"larger than {limit // MiB} MiB, the limit for a {what} input",
                             "<stdin>")
        return data
    p = input_path(path)
    try:
        if p.is_dir():
            article = "an" if what[0] in "aeiou" else "a"
            raise InputError(f"is a directory; expected {article} {what} file", path)
        with p.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", path) from None
    if len(data) > limit:
        raise InputError(f"larger than {limit // MiB} MiB, the limit for a {what} file", path)
    return data


def check_writable(path: str) -> Path:
    """The folder an output goes to, checked before any work is done."""
    try:
        return _writable_folder(input_path(path), path)
    except OSError as exc:  # a name too long, a loop of links, ...
        raise InputError(f"cannot write: {exc.strerror}", path) from None


def _writable_folder(target: Path, path: str) -> Path:
    if target.is_dir():
        raise InputError("is a directory; expected an output file name", path)
    if target.exists() and not target.is_file():
        raise InputError("is not a regular file; expected an output file name", path)
    folder = target.parent if str(target.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"cannot write: {folder} is not a folder", path)
    if not folder.is_dir():
        raise InputError(f"cannot write: folder {folder} does not exist", path)
    if not os.access(folder, os.W_OK):
        raise InputError(f"cannot write: folder {folder} is not writable", path)
    return folder


def write_atomically(path: str, text: str | bytes, *, sync: bool = True) -> None:
    """Write a file so that readers see the old content or the whole new one, never a part;
    text is written as UTF-8, bytes as they are. `sync` False skips the fsync (milliseconds a
    file), for outputs that a re-run writes again should a system crash lose them."""
    target = Path(path)
    folder = check_writable(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", path) from None
    try:
        binary = isinstance(text, bytes)
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") \
                as handle:
            handle.write(text)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.chmod(tmp, mode_for(target))
        os.replace(tmp, target)
    except BaseException as exc:  # no half-written file is left behind, whatever stopped us
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write: {exc.strerror}", path) from None
        raise


def write_if_changed(path: str, text: str | bytes, *, sync: bool = True) -> bool:
    """write_atomically, unless the file already holds exactly these bytes (a repeated batch
    leaves its unchanged results alone): whether it wrote."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    try:
        with open(path, "rb") as handle:
            if handle.read(len(data) + 1) == data:
                return False
    except OSError:  # absent or unreadable: write it
        pass
    write_atomically(path, data, sync=sync)
    return True


def mode_for(target: Path) -> int:
    """An existing file keeps its mode; a new one gets the default the umask allows."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def refuse_collisions(outputs: dict[str, str | None], inputs: dict[str, str | None]) -> None:
    """Usage error when an output would overwrite an input, or two outputs are one file:
    outputs and inputs map an option or role (`-o`, `the policy`) to a path or None."""
    named = [(k, v) for k, v in outputs.items() if v and v != STDIN]
    for i, (option, path) in enumerate(named):
        for other, other_path in named[i + 1:]:
            if _same_file(path, other_path):
                raise UsageError(f"{option} and {other} name the same file `{path}`")
        for role, source in inputs.items():
            if source and source != STDIN and _same_file(path, source):
                raise UsageError(f"{option} `{path}` is {role}: refusing to overwrite an input")


def _same_file(a: str, b: str) -> bool:
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


@contextlib.contextmanager
def whole_under_ctrl_c():
    """A block that Ctrl-C does not cut in two (one result cached, written and counted): a
    Ctrl-C arriving during it is raised as KeyboardInterrupt when it ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


@contextlib.contextmanager
def finishing():
    """The last writes of a command: Ctrl-C arriving now is too late to stop anything, so it
    is ignored until they are done (an interrupted run writes nothing, a finished one all)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
