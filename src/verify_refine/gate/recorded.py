"""The files a certificate records: relative names of regular files, checked before opening."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from .walk import inside, kind

# name -> (where the certificate records it, what it is)
RECORDED = {"original": (("files", "original"), "original policy"),
            "unused": (("files", "unused"), "unused set"),
            "refined": (("files", "refined"), "refined policy"),
            "catalog": (("catalog", "path"), "catalog")}


@dataclass
class Refusal:
    """A recorded file that is not read: its rule, its place in the certificate, and why."""

    name: str
    at: tuple
    rule: str
    message: str


def refusals(cert: dict, cert_path: str, root: str | None,
             names=tuple(RECORDED)) -> list[Refusal]:
    """Why some of the named recorded files must not be opened: an absolute name, a name that
    resolves (links followed) outside the root (when one is given), or a file that is there but
    is not a regular file (a folder, a device such as /dev/zero, a FIFO). A missing file, or a
    name that is not a string, is left to the reader, which reports it."""
    folder = os.path.dirname(os.path.realpath(cert_path))  # as certificate.file_paths does
    out = []
    for name in names:
        at, what = RECORDED[name]
        section = cert.get(at[0])
        recorded = section.get(at[1]) if isinstance(section, dict) else None
        if not isinstance(recorded, str) or not recorded:
            continue
        problem = _problem(recorded, folder, root, what)
        if problem:
            out.append(Refusal(name, at, *problem))
    return out


def _problem(recorded: str, folder: str, root: str | None, what: str) -> tuple[str, str] | None:
    shown = f"the {what} file `{recorded}` recorded by the certificate"
    if "\0" in recorded:
        return "VR-input", f"{shown} holds a NUL character"
    if is_absolute(recorded):
        return ("VR-outside", f"{shown} is an absolute path; a certificate names its files "
                              "relative to its own folder")
    try:
        real = os.path.realpath(os.path.join(folder, recorded))
    except (OSError, ValueError) as exc:
        return "VR-input", f"{shown} cannot be resolved: {exc}"
    if root is not None and not inside(real, root):
        return ("VR-outside", f"{shown} resolves to `{real}`, outside the root `{root}`; the "
                              "gate reads only files inside the tree under review")
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return "VR-input", f"{shown}: {exc.strerror}"
    if not stat.S_ISREG(mode):
        return "VR-input", f"{shown} is not a regular file ({kind(mode)})"
    return None


def is_absolute(name: str) -> bool:
    """Absolute on this system, on POSIX, or on Windows (a drive, a leading separator)."""
    return (os.path.isabs(name) or PurePosixPath(name).is_absolute()
            or name.startswith("\\") or bool(PureWindowsPath(name).drive))

