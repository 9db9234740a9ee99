"""Paths derived from data (role, user and policy names): encoded into safe names, proved inside the output folder."""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
from pathlib import Path

from ..errors import InputError

# A plain name is kept as it is: portable characters, no leading dot (never `.`, `..` or a
# hidden file), no leading `+=,@-` (never read as a command-line option), no trailing dot.
_PLAIN = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_+=,.@-]*[A-Za-z0-9_+=,@-])?")
_NOT_KEPT = re.compile(r"[^A-Za-z0-9_+=,.@-]")
# Names Windows gives to devices, whatever follows the first dot.
_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
            *(f"lpt{i}" for i in range(10))}
PLAIN_MAX = 128  # IAM's longest policy name; longer names keep a prefix and a hash
PREFIX_MAX = 48
HASH_CHARS = 12  # hex digits of SHA-256: 48 bits
# What `safe_part` accepts: a component, or one with a dotted file suffix appended.
_SAFE_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_+=,.@~-]*")
PART_MAX = 200


def component(name: str) -> str:
    """One path component for name: name itself when it is plain and at most PLAIN_MAX
    characters; else a readable prefix (characters outside [A-Za-z0-9_+=,.@-] become `_`,
    leading dots and option characters are dropped, at most PREFIX_MAX, `_` when nothing is
    left) then `~` and the first
    HASH_CHARS hex digits of the SHA-256 of the exact name (UTF-8, lone surrogates escaped).
    Plain results hold no `~` and hashed ones end in `~` + hex, so two names give the same
    component only when their hashes agree."""
    if _PLAIN.fullmatch(name) and len(name) <= PLAIN_MAX \
            and name.split(".", 1)[0].lower() not in _DEVICES:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    prefix = _NOT_KEPT.sub("_", name).lstrip(".+=,@-")[:PREFIX_MAX].rstrip(".")
    return f"{prefix or '_'}~{digest}"


class Names:
    """Components handed out for one folder, distinct even where the file system ignores
    case: the first claimant of a name gets `component(name)`, a later one that would clash
    gets `<component>.<tag>`, then `<component>~2`, `~3`, ... (and `reserved` is never given)."""

    def __init__(self, reserved=()):
        self.taken = {r.lower() for r in reserved}

    def claim(self, name: str, tag: str) -> str:
        first = component(name)
        later = (f"{first}~{n}" for n in itertools.count(2))
        for candidate in itertools.chain((first, f"{first}.{tag}"), later):
            if candidate.lower() not in self.taken:
                self.taken.add(candidate.lower())
                return candidate
        raise AssertionError("unreachable: the candidates never run out")


def safe_part(part: str) -> bool:
    """A name `inside` accepts as one component: no separator, no leading dot, nothing that
    is not portable, not too long."""
    return bool(_SAFE_PART.fullmatch(part)) and len(part) <= PART_MAX and not part.endswith(".")


def inside(outdir: str | Path, *parts: str) -> Path:
    """outdir/part/... after proving that it stays inside outdir: each part is a safe
    component, and the path, with every symbolic link resolved, lies under outdir's own
    resolved path (a link planted in outdir that leads out is refused). Returns the path as
    joined, not resolved, so that messages show the user's spelling."""
    return Path(_inside(str(outdir), parts))


def _inside(outdir: str, parts: tuple[str, ...]) -> str:
    path = os.path.join(_spelled(outdir), *parts)
    for part in parts:
        if not safe_part(part):
            raise InputError(f"refusing to write: `{part}` is not a safe file name", path)
    root = _real_folder(outdir)
    real = _real_path(path, parts)
    # both resolved (absolute, normalized): under root exactly when it starts with root + /
    if real == root or not real.startswith(root.rstrip(os.sep) + os.sep):
        raise InputError(f"refusing to write: it resolves to `{real}`, outside the output "
                         f"folder `{root}` (a symbolic link?)", path)
    return path


@functools.lru_cache(maxsize=64)
def _spelled(outdir: str) -> str:
    """OUTDIR as pathlib spells it (`./out/` is `out`), as the paths of messages show it."""
    return str(Path(outdir))


def new_run() -> None:
    """Forget the folders resolved and listed so far: a process that runs batch again (or a
    test) resolves them anew, so a link planted between two runs is seen."""
    _real_folder.cache_clear()
    _links.cache_clear()
    _policy_files.cache_clear()


@functools.lru_cache(maxsize=1 << 17)  # a folder a principal: organizations have many
def _real_folder(folder: str) -> str:
    """A folder with every symbolic link resolved: once a run (`inside` asks about each file
    of a principal's folder, and about OUTDIR each time)."""
    return os.path.realpath(folder)


@functools.lru_cache(maxsize=1 << 17)
def _links(real_folder: str) -> frozenset[str]:
    """The names in a (resolved) folder that are symbolic links, listed once a run: one
    directory read tells them all apart, where asking each file would take an lstat each
    (none when the folder is not there yet)."""
    try:
        with os.scandir(real_folder) as entries:
            return frozenset(e.name for e in entries if e.is_symlink())
    except OSError:
        return frozenset()


def real_path(path: str) -> str:
    """os.path.realpath(path), its folder's resolved once a run."""
    folder, name = os.path.split(path)
    real_folder = _real_folder(folder)
    real = os.path.join(real_folder, name)
    return os.path.realpath(real) if name in _links(real_folder) else real


def _real_path(path: str, parts: tuple[str, ...]) -> str:
    """os.path.realpath(path), its folder's resolved once a run: the last part, a safe name
    (no `..`), resolves on its own only when it is a symbolic link."""
    if len(parts) < 2:
        return os.path.realpath(path)
    return real_path(path)


# --- the files `verify-refine batch` writes ------------------------------------------------------

SUMMARIES = ("summary.md", "summary.csv")
RESERVED = (*SUMMARIES, "plan.sh")  # no principal's folder takes these names
POLICY_FILES = ("original", "refined", "cert")
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,16}")


def assign(principals, tasks) -> None:
    """Set each principal's `folder` under OUTDIR (never a summary's name; a user who shares a
    role's name gets `<name>.user`) and each task's file `stem` in that folder (an inline and a
    managed policy of one name: `<name>.managed` for the later one)."""
    folders = Names(reserved=RESERVED)
    for who in principals:
        who.folder = folders.claim(who.name, who.kind)
    stems: dict[str, Names] = {}
    for task in tasks:
        task.stem = stems.setdefault(task.principal.folder, Names()).claim(task.policy, task.kind)


def findings_copy(source: Path) -> str:
    """The name of the copy of a principal's findings file: `findings` and the source's suffix
    when it is plain (`.json` makes an empty file JSON), else `.txt` (read as text, as the
    source was)."""
    return "findings" + (source.suffix if _SUFFIX.fullmatch(source.suffix) else ".txt")


def policy_files(outdir, task) -> tuple[str, str, str]:
    """A task's `<stem>.original.json`, `.refined.json` and `.cert.json`, proved inside (once
    in a run: a batch asks for them several times a task)."""
    return _policy_files(str(outdir), task.principal.folder, task.stem)


@functools.lru_cache(maxsize=1 << 17)
def _policy_files(outdir: str, folder: str, stem: str) -> tuple[str, str, str]:
    return tuple(_inside(outdir, (folder, f"{stem}.{kind}.json")) for kind in POLICY_FILES)


def prove_all(outdir, tasks) -> None:
    """Before anything is written: every file the batch will write for these tasks, and the
    summaries, lie inside outdir (InputError, exit 2, otherwise)."""
    seen = set()
    for task in tasks:
        who = task.principal
        if id(who) not in seen:
            seen.add(id(who))
            inside(outdir, who.folder)
            if who.findings is not None:
                inside(outdir, who.folder, findings_copy(who.findings))
        policy_files(outdir, task)
    for name in SUMMARIES:
        inside(outdir, name)


def make_folder(outdir, folder: str) -> Path:
    """outdir/folder, proved inside and created if missing."""
    path = inside(outdir, folder)
    try:
        path.mkdir(exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create folder: {exc.strerror}", str(path)) from None
    return path
