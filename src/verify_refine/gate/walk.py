"""The gate's walk of the tree under review: every folder but .git, links followed inside it."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections import deque
from dataclasses import dataclass, field

from ..errors import UsageError

CERT_SUFFIX = ".cert.json"
NEVER_WALKED = ".git"  # git refuses this name in a tracked path: no pull request can add to it


@dataclass
class Exclusion:
    """One --exclude glob (relative to the root) and the files it kept out of the gate."""

    glob: str
    pattern: re.Pattern
    files: set[str] = field(default_factory=set)
    certificates: set[str] = field(default_factory=set)
    required: set[str] = field(default_factory=set)

    def matches(self, relative: str) -> bool:
        """Whether the glob takes this file or folder (a folder also as `folder/`)."""
        return bool(self.pattern.match(relative) or self.pattern.match(relative + "/"))


@dataclass
class Problem:
    """A file or link the walk cannot hand to the gate: its rule, where it is, and why."""

    rule: str
    path: str
    message: str


@dataclass
class Tree:
    """What the walk found under the paths: certificates, required files, problems."""

    root: str
    certs: dict[str, str] = field(default_factory=dict)
    required: dict[str, str] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)


def find_root(given: str | None) -> str:
    """The real path of the tree under review: --root, else the top of the git work tree that
    holds the current folder, else the current folder."""
    if given is not None:
        try:
            if os.path.isdir(given):
                return os.path.realpath(given)
        except (OSError, ValueError):
            pass
        raise UsageError(f"gate: --root {given}: no such folder")
    try:
        done = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                              timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return os.path.realpath(os.curdir)
    top = os.fsdecode(done.stdout).removesuffix("\n") if done.returncode == 0 else ""
    return os.path.realpath(top) if top and os.path.isdir(top) else os.path.realpath(os.curdir)


def inside(real: str, root: str) -> bool:
    """Whether a real (resolved) path is the root or under it."""
    real, root = os.path.normcase(real), os.path.normcase(root)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def key(path: str) -> str:
    """One name per file, however it is reached."""
    return os.path.normcase(os.path.realpath(path))


def collect(paths: list[str], root: str, require: list[re.Pattern],
            exclusions: list[Exclusion]) -> Tree:
    """Certificates and required files under the paths, each once, in a stable order; links
    leaving the root and files that are not regular become problems, never silent gaps."""
    tree = Tree(root)
    for path in paths:
        _Walker(tree, path, require, exclusions).run()
    return tree


class _Walker:
    """One PATH of the command line: folders first by their own names, then links."""

    def __init__(self, tree: Tree, start: str, require: list[re.Pattern],
                 exclusions: list[Exclusion]):
        self.tree, self.start, self.require, self.exclusions = tree, start, require, exclusions
        self.visited: dict[int, set[str]] = {}  # real folders seen, per id of exclusion (or None)
        self.stack: list[tuple] = []
        self.deferred: deque[tuple] = deque()  # folder links, walked once the real tree is

    def run(self) -> None:
        start, root = self.start, self.tree.root
        try:
            if not os.path.lexists(start):
                raise UsageError(f"gate: {start}: no such file or folder")
            absolute = os.path.abspath(start)
            where = os.path.join(os.path.realpath(os.path.dirname(absolute)),
                                 os.path.basename(absolute))
            real = os.path.realpath(start)
        except (OSError, ValueError) as exc:
            raise UsageError(f"gate: {start}: {getattr(exc, 'strerror', None) or exc}") from None
        if not inside(where, root):
            raise UsageError(f"gate: {start}: outside the root {root}; give --root")
        relative = os.path.relpath(where, root).replace(os.sep, "/")
        relative = "" if relative == "." else relative
        if not inside(real, root):
            self._outside(start, real)
        elif os.path.isdir(real):
            taken = next((e for e in self.exclusions if relative and e.matches(relative)), None)
            self.stack.append((start, real, relative, "", taken))
            self._drain()
        else:
            self._file(start, real, "", None, explicit=True)

    def _drain(self) -> None:
        while self.stack or self.deferred:
            self._folder(*(self.stack.pop() if self.stack else self.deferred.popleft()))

    def _folder(self, shown: str, real: str, relative: str, local: str,
                exclusion: Exclusion | None) -> None:
        """List one folder; its subfolders go on the stack, its folder links wait."""
        seen = self.visited.setdefault(id(exclusion), set())
        if real in seen:
            return
        seen.add(real)
        try:
            with os.scandir(real) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            if exclusion is None:
                self._problem("VR-input", shown, f"cannot list this folder: {exc.strerror}")
            return
        subfolders = []
        for entry in entries:
            name, path = entry.name, os.path.join(shown, entry.name)
            child = f"{relative}/{name}" if relative else name
            child_local = f"{local}/{name}" if local else name
            taken = exclusion or next((e for e in self.exclusions if e.matches(child)), None)
            try:
                link = entry.is_symlink()
                target = os.path.realpath(entry.path) if link else entry.path
                folder = os.path.isdir(target) if link else entry.is_dir(follow_symlinks=False)
            except OSError as exc:
                self._problem("VR-input", path, f"cannot read: {exc.strerror}")
                continue
            if folder and name == NEVER_WALKED:
                continue
            if link and not inside(target, self.tree.root):
                if taken is None and (folder or self._wanted(name, child_local)):
                    self._outside(path, target)
                continue
            item = (path, target, child, child_local, taken)
            if folder and link:
                if taken is None:  # an excluded folder's count is what it holds itself
                    self.deferred.append(item)
            elif folder:
                subfolders.append(item)
            else:
                self._file(path, target, child_local, taken)
        self.stack.extend(reversed(subfolders))

    def _file(self, path: str, real: str, local: str, exclusion: Exclusion | None,
              explicit: bool = False) -> None:
        """A file reached at path: counted by its exclusion, or collected when the gate needs it."""
        is_cert = os.path.basename(path).endswith(CERT_SUFFIX)
        wanted = is_cert or explicit or self._wanted(os.path.basename(path), local)
        file_key = key(real)
        if exclusion is not None:
            exclusion.files.add(file_key)
            if is_cert:
                exclusion.certificates.add(file_key)
            elif wanted:
                exclusion.required.add(file_key)
            return
        if not wanted:
            return
        try:
            mode = os.stat(real).st_mode
        except OSError:
            mode = None  # missing or unreadable: reading it later says which, at its place
        if mode is not None and not stat.S_ISREG(mode):
            self._problem("VR-input", path, f"not a regular file ({kind(mode)}); the gate "
                          "reads only regular files")
            return
        target = self.tree.certs if is_cert else self.tree.required
        target.setdefault(file_key, path)

    def _wanted(self, name: str, local: str) -> bool:
        return name.endswith(CERT_SUFFIX) or any(p.match(local) for p in self.require)

    def _outside(self, path: str, target: str) -> None:
        self._problem("VR-outside", path, f"symbolic link to `{target}`, outside the root "
                      f"`{self.tree.root}`: the gate does not follow it; point it inside the "
                      "root, or remove it")

    def _problem(self, rule: str, path: str, message: str) -> None:
        self.tree.problems.setdefault(os.path.abspath(path), Problem(rule, path, message))


def kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    for test, word in ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return word
    return "not a regular file"
