"""gate --changed: the certificates that changed files touch are checked, the others are not."""

from __future__ import annotations

import os
import stat

from .. import certificate
from ..errors import InputError
from ..iac import certified
from . import recorded as recorded_files
from .check import CertOutcome
from .walk import key

UNCHANGED = "unchanged"


def split(paths: list[str]) -> tuple[list[str], list[str]]:
    """Under --changed, the PATHs that are folders (not links) are searched, the current folder
    when none is, and the others are the files that changed: deleted ones, and links, to
    folders too (pre-commit hands over a staged link, which must not narrow the search)."""
    folders = [path for path in paths if _is_folder(path)]
    return folders or ["."], [path for path in paths if not _is_folder(path)]


def _is_folder(path: str) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)


def select(cert_paths: list[str], changed: list[str], catalog: str | None,
           root: str) -> tuple[list[str], list[CertOutcome]]:
    """The certificates to check, in order, and an `unchanged` outcome (naming its refined
    file, for coverage) for each of the others. A certificate is checked when it changed, when
    a file it records changed, and whenever it cannot be shown to be as it was: it does not
    read as a certificate, or a file it records is missing, unreadable, not a regular file or
    outside the root (the check then names it). Every certificate is checked when the --catalog
    file changed (the drift may have), and when a link changed: what a recorded name leads to
    may have changed with it, wherever the link is on the way."""
    keys = {key(path) for path in changed}
    if catalog is not None and key(catalog) in keys or any(map(os.path.islink, changed)):
        return list(cert_paths), []
    to_check, unchanged = [], []
    for path in cert_paths:
        refined = _untouched(path, keys, root, catalog is not None)
        if refined is None:
            to_check.append(path)
        else:  # a template's policies are told apart by address (one certificate each)
            unchanged.append(CertOutcome(path, status=UNCHANGED, refined=refined[0],
                                         address=refined[1]))
    return to_check, unchanged


def _untouched(path: str, keys: set[str], root: str,
               catalog_given: bool) -> tuple[str, str | None] | None:
    """The refined file (and the address in it) of a certificate that neither changed nor
    records a file that changed, and whose recorded files are all there to be read; None when
    it must be checked. A recorded Terraform file stands for every .tf file of its folder: a
    policy document declared in one file is a policy only through its use in another."""
    if key(path) in keys:
        return None
    try:
        cert = certificate.read(path)
    except InputError:
        return None
    recorded = certificate.file_paths(cert, path)
    if set(recorded) != {"original", "unused", "refined"}:
        return None
    names = [n for n in recorded_files.RECORDED if n != "catalog" or not catalog_given]
    if recorded_files.refusals(cert, path, root, names):
        return None
    files = [f for recorded_file in recorded.values() for f in _read_with(recorded_file)]
    catalog_file = certificate.catalog_path(cert, path)
    if catalog_file is not None and not catalog_given:
        files.append(catalog_file)
    if any(key(f) in keys or not _readable(f) for f in files):
        return None
    return recorded["refined"], certified.addresses(cert).get("refined")


def _read_with(path: str) -> list[str]:
    """The files whose change may change what PATH holds: itself, and for a Terraform file
    every .tf file of its folder (the Terraform reader reads the folder)."""
    if not path.endswith(".tf"):
        return [path]
    folder = os.path.dirname(path) or "."
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return [path]
    return [path] + [os.path.join(folder, name) for name in names
                     if name.endswith(".tf") and os.path.join(folder, name) != path]


def _readable(path: str) -> bool:
    """Whether path is a regular file this process may read."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode) and os.access(path, os.R_OK)
    except (OSError, ValueError):
        return False
