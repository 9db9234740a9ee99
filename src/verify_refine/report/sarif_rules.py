"""What code scanning shows of each gate rule: severity, tags, help text, link to GATE.md."""

from __future__ import annotations

import re
import textwrap
from functools import cache
from importlib import metadata

# Where docs/GATE.md is published, when the installed package does not say (it should: it is
# pyproject.toml's [project.urls] Repository, and a test holds the two equal).
REPOSITORY = "https://github.com/verify-refine/verify-refine"
GATE_DOC = "blob/main/docs/GATE.md"

# rule id -> (security-severity, tags, how to fix it). GitHub reads a security-severity of
# 9.0 and up as critical, 7.0 to 8.9 high, 4.0 to 6.9 medium, 0.1 to 3.9 low, and only for
# rules tagged "security". High: a policy may grant what its certificate says it does not, or
# what no proof covers. Medium: a proof is broken but grants no more than it claims (a lost
# action, a misread input), or an input cannot be read. Low: nothing is granted beyond what
# was proved; something is out of date, less narrow than it could be, or undecided.
RULE_HELP = {
    "VR-sound": ("8.8", ["proof"],
                 "Re-run `verify-refine refine ... --certificate` on the original policy and "
                 "commit both files; never edit a refined policy by hand."),
    "VR-removes": ("8.0", ["proof"],
                   "Re-run `verify-refine refine ... --certificate` on the original policy and "
                   "commit both files; never edit a refined policy by hand."),
    "VR-complete": ("4.0", ["proof"],
                    "Re-run `verify-refine refine ... --certificate` on the original policy and "
                    "commit both files; never edit a refined policy by hand."),
    "VR-minimal": ("2.0", ["proof"],
                   "Re-run `verify-refine refine ... --certificate` on the original policy and "
                   "commit both files; never edit a refined policy by hand."),
    "VR-fitted": ("4.0", ["proof"],
                  "Re-run `verify-refine refine ... --fit TARGET --certificate` on the original "
                  "policy and commit both files; never edit a refined policy by hand."),
    "VR-structure": ("8.0", ["proof"],
                     "Re-run `verify-refine refine ... --certificate` on the original policy "
                     "and commit both files; never edit a refined policy by hand."),
    "VR-inputs": ("6.0", ["proof"],
                  "Report it with the findings file: the tool misread it, and the certificate "
                  "is not trusted."),
    "VR-stale": ("7.5", ["integrity"],
                 "Re-run `verify-refine refine ... --certificate` and commit both files, or "
                 "revert the edit."),
    "VR-certificate": ("8.0", ["integrity"],
                       "Regenerate the certificate with `verify-refine refine ... "
                       "--certificate`."),
    "VR-missing-certificate": ("7.0", ["coverage"],
                               "Certify the policy (`verify-refine refine ORIGINAL --unused "
                               "FINDINGS -o FILE --certificate CERT`), or leave it out on "
                               "purpose with `--require` or `--exclude`."),
    "VR-duplicate-certificate": ("4.0", ["coverage"],
                                 "Keep the certificate that is the policy's proof and delete "
                                 "the others (a stray copy, or the certificate of another "
                                 "original refined into the same file)."),
    "VR-unreadable": ("5.0", ["input"],
                      "Regenerate the certificate, or rename a file that is not one."),
    "VR-input": ("5.0", ["input"],
                 "Commit the missing file, fix the parse error at the given line, or record a "
                 "regular file."),
    "VR-outside": ("7.0", ["input"],
                   "Point the link inside the repository or remove it; keep the certified "
                   "files inside the repository and regenerate the certificate, which then "
                   "records names relative to itself."),
    "VR-unknown": ("3.0", ["solver"],
                   "Give a larger `--timeout`, or try `--solver cvc5`."),
    "VR-catalog-drift": ("3.0", ["catalog"],
                         "Re-certify against the current catalog (`verify-refine recertify`) "
                         "and commit the rewritten files."),
}
BASE_TAGS = ["security", "iam"]


@cache
def repository() -> str:
    """The project's repository URL, as the installed package's metadata names it."""
    try:
        urls = metadata.metadata("verify-refine").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository" and url.strip():
            return url.strip().rstrip("/")
    return REPOSITORY


def help_uri(rule_id: str) -> str:
    """The rule's own section of docs/GATE.md (its heading is the rule id)."""
    return f"{repository()}/{GATE_DOC}#{rule_id.lower()}"


def severity_name(score: str) -> str:
    value = float(score)
    return ("critical" if value >= 9 else "high" if value >= 7 else "medium" if value >= 4
            else "low" if value > 0 else "none")


def descriptor(rule: tuple) -> dict:
    """A SARIF reportingDescriptor for one row of sarif.RULES."""
    rule_id, name, level, short, full = rule
    score, tags, fix = RULE_HELP[rule_id]
    return {"id": rule_id, "name": name,
            "shortDescription": {"text": short},
            "fullDescription": {"text": full},
            "defaultConfiguration": {"level": level},
            "helpUri": help_uri(rule_id),
            "help": {"text": f"{full}\n\nHow to fix it: {fix}\n\nMore: {help_uri(rule_id)}",
                     "markdown": f"{section_body(rule)}\n\n[docs/GATE.md: {rule_id}]"
                                 f"({help_uri(rule_id)})"},
            "properties": {"security-severity": score, "tags": BASE_TAGS + tags}}


def section_body(rule: tuple) -> str:
    """What docs/GATE.md says of a rule under its heading, and code scanning in its help."""
    rule_id, _, level, short, full = rule
    score, tags, fix = RULE_HELP[rule_id]
    paragraphs = (f"**{markdown(short)}** {markdown(full)}", f"**How to fix it:** {markdown(fix)}",
                  f"Level: {level}. Security severity: {score} ({severity_name(score)}). Tags: "
                  f"{', '.join(BASE_TAGS + tags)}.")
    return "\n\n".join(textwrap.fill(p, width=99, break_long_words=False,
                                     break_on_hyphens=False) for p in paragraphs)


def rules_markdown(rules) -> str:
    """The rules section of docs/GATE.md, one heading per rule (tests hold the two equal)."""
    return "\n\n".join(f"### {rule[0]}\n\n{section_body(rule)}" for rule in rules) + "\n"


def markdown(text: str) -> str:
    """TEXT with `*`, `_` and `<` escaped outside code spans, so globs show as written."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(part if part.startswith("`") else re.sub(r"([*_<])", r"\\\1", part)
                   for part in parts)
