"""Which accounts a `batch` over an organization reads: the subfolders of ORG (each as `pull`
writes one account) or the `--account AUTH.json:FINDINGS_DIR` arguments, checked before work."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, UsageError
from ..files import read_input, refuse_collisions
from ..inputs.account import read_account
from . import outpaths
from .cache import default_folder

AUTH = "authorization-details.json"  # what `pull` writes in an account's folder
FINDINGS = "findings"
ORG_FILES = ("summary.md", "summary.csv", "summary.json", "removed.png")  # OUTDIR's own


@dataclass
class AccountInput:
    """One account of the organization: its name (folder under OUTDIR) and its two inputs."""

    label: str
    auth: str
    findings: str
    output: str = ""
    parsed: object = field(default=None, repr=False)  # its Account, read once while labelling


def accounts(args) -> list[AccountInput] | None:
    """The organization's accounts, in order, or None for the single-account form
    (`batch AUTH.json --findings DIR`). Usage errors for a mix of the forms."""
    if args.account:
        if args.auth is not None or args.findings is not None:
            raise UsageError("batch: give AUTH.json with --findings, or an organization folder, "
                             "or --account AUTH.json:FINDINGS_DIR arguments; not several")
        found = [_from_argument(text) for text in args.account]
    elif args.auth is not None and Path(args.auth).is_dir() and args.findings is None:
        found = _from_folder(Path(args.auth))  # with --findings, the single-account form
    else:
        if args.auth is None:
            raise UsageError("batch: give AUTH.json with --findings DIR, an organization folder, "
                             "or --account AUTH.json:FINDINGS_DIR")
        if args.findings is None:
            raise UsageError("batch: the following arguments are required: --findings")
        return None
    _label_all(found)
    _check_outputs(found, args)
    return found


def _from_argument(text: str) -> AccountInput:
    """`AUTH.json:FINDINGS_DIR`, split at the last colon (a findings folder's name holds none)."""
    auth, colon, findings = text.rpartition(":")
    if not colon or not auth or not findings:
        raise UsageError(f"batch: --account `{text}`: expected AUTH.json:FINDINGS_DIR")
    if not Path(auth).is_file():
        raise InputError("no such authorization details file", auth)
    if not Path(findings).is_dir():
        raise InputError("not a folder of findings files", findings)
    return AccountInput("", auth, findings)


def _from_folder(org: Path) -> list[AccountInput]:
    """Every subfolder of ORG (hidden ones aside), each holding authorization-details.json and
    findings/; any other subfolder is bad input."""
    found = []
    for sub in sorted(p for p in org.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not (sub / AUTH).is_file() or not (sub / FINDINGS).is_dir():
            raise InputError(f"not an account folder: expected {AUTH} and {FINDINGS}/ in it "
                             "(the layout of docs/AWS.md, one folder per account)", str(sub))
        found.append(AccountInput(sub.name, str(sub / AUTH), str(sub / FINDINGS)))
    if not found:
        raise InputError(f"no account folder in it: expected <account>/{AUTH} and "
                         f"<account>/{FINDINGS}/ (the layout of docs/AWS.md)", str(org))
    return found


def _label_all(found: list[AccountInput]) -> None:
    """Each account's name: the account ID its principals' ARNs name, else its folder's name
    (or its file's, for --account); the file is read now, so bad input stops the run before any
    work. Two accounts of one name are a usage error."""
    seen: dict[str, str] = {}
    for item in found:
        account = item.parsed = read_account(read_input(item.auth, "authorization details"),
                                             item.auth)
        ids = {who.arn.split(":")[4] for who in account.principals if who.arn.count(":") >= 5}
        fallback = item.label or Path(item.auth).stem
        name = ids.pop() if len(ids) == 1 else fallback
        item.label = outpaths.component(name)
        if item.label in seen:
            raise UsageError(f"batch: {seen[item.label]} and {item.auth} are both account "
                             f"`{item.label}`: give each account once")
        if item.label in ORG_FILES:
            raise UsageError(f"batch: account `{item.label}` would be named like the "
                             "organization's summary: rename its folder")
        seen[item.label] = item.auth


def _check_outputs(found: list[AccountInput], args) -> None:
    """No account's output folder may be one of its inputs, nor OUTDIR lie inside ORG (its
    next run would read OUTDIR as an account)."""
    outdir = Path(args.output)
    if args.auth is not None:
        org = Path(args.auth).resolve()
        cache = None if args.no_cache else Path(args.cache) if args.cache else default_folder()
        for option, given in (("-o", outdir), ("--cache", cache)):
            if given is not None and (given.resolve() == org or org in given.resolve().parents):
                raise UsageError(f"batch: {option} `{given}` is inside the organization "
                                 f"folder `{args.auth}`: give a folder outside it (the next "
                                 "run would read it as an account)")
    for item in found:
        item.output = str(outdir / item.label)
        refuse_collisions({"-o": args.output, "the account's output": item.output},
                          {"the findings folder": item.findings,
                           "the authorization details": item.auth})
