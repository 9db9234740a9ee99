"""The in-place writer for Terraform: splices new action lists into the file's text, written as
the source writes lists (HCL strings in jsonencode and policy documents, JSON strings in a
heredoc or a quoted string), and removes emptied statements with their surrounding syntax."""

from __future__ import annotations

import json

from ..errors import UsageError
from .model import Edit, FoundPolicy, Source

JSON_FORMS = ("terraform-heredoc", "terraform-string")


def rewritten(source: Source, policy: FoundPolicy, edit: Edit) -> str:
    """source.text with the edit applied to policy; nothing else changes."""
    if not policy.form.startswith("terraform-") or policy.form == "terraform-plan":
        raise UsageError(f"cannot write a policy of form `{policy.form}` back into "
                         f"{source.path} (a terraform plan is read only)")
    for index in edit:
        if not 0 <= index < len(policy.statements):
            raise UsageError(f"{policy.address} has no statement {index}")
    styles = policy.style["statements"]
    splices = []
    for index, actions in edit.items():
        if actions is None or list(actions) == styles[index]["actions"]:
            continue  # a list left as it was is not rewritten
        value = policy.statements[index].value
        splices.append((value.start, value.end, render(actions, styles[index], policy.form)))
    removed = sorted(index for index, actions in edit.items() if actions is None)
    splices.extend(_removals(source.text, policy, removed))
    text = source.text
    previous_start = len(text) + 1
    for start, end, replacement in sorted(splices, reverse=True):
        if end > previous_start:
            raise UsageError(f"{policy.address}: the edit touches one place twice")
        text = text[:start] + replacement + text[end:]
        previous_start = start
    return text


def render(actions: list[str], style: dict, form: str) -> str:
    """An action list written in the style the source's list had."""
    quoted = [_quote(action, form) for action in actions]
    if style["scalar"]:
        return quoted[0] if len(quoted) == 1 else "[" + ", ".join(quoted) + "]"
    return ("[" + style["leading"] + style["separator"].join(quoted) + style["trailing"]
            + "]")


def _quote(action: str, form: str) -> str:
    """One action as a string literal of the form: HCL, JSON in a heredoc, or JSON inside an
    HCL string (its quotes and backslashes escaped once more)."""
    if form in JSON_FORMS:
        text = json.dumps(action, ensure_ascii=False)
        text = _hcl_escape(text) if form == "terraform-string" else text
    else:
        text = '"' + _hcl_escape(action) + '"'
    return text.replace("${", "$${").replace("%{", "%%{")


def _hcl_escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\r", "\\r").replace("\t", "\\t"))


# --- removing statements -------------------------------------------------------------------------

def _removals(text: str, policy: FoundPolicy, removed: list[int]) -> list[tuple[int, int, str]]:
    """Splices that remove the statements at `removed` with their surrounding syntax: a
    `statement { }` block with its lines, or a list element with its comma."""
    if not removed:
        return []
    spans = [(s.span.start, s.span.end) for s in policy.statements]
    if policy.form == "terraform-document":
        return [(_line_start(text, spans[i][0]), _line_end(text, spans[i][1]), "")
                for i in removed]
    if not policy.style.get("statement_list", True):
        start, end = policy.style["container"]
        return [(start, end, "[]")]
    splices = []
    for first, last in _runs(removed):
        if last + 1 < len(spans):
            splices.append(_through_comma(text, spans[first][0], spans[last][1]))
        elif first > 0:
            splices.append((spans[first - 1][1], spans[last][1], ""))
        else:
            splices.append((spans[first][0], _after_comma(text, spans[last][1]), ""))
    return splices


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Sorted indexes as runs of consecutive ones: [1, 2, 4] -> [(1, 2), (4, 4)]."""
    runs: list[tuple[int, int]] = []
    for index in indexes:
        if runs and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def _line_start(text: str, offset: int) -> int:
    """The start of offset's line when only blanks stand before it there, else offset."""
    start = text.rfind("\n", 0, offset) + 1
    return start if not text[start:offset].strip(" \t") else offset


def _line_end(text: str, offset: int) -> int:
    """Past the end of offset's line (its line break too) when only blanks follow, else
    offset."""
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end + 1
    return end if not text[offset:end].strip(" \t\r\n") else offset


def _through_comma(text: str, start: int, end: int) -> tuple[int, int, str]:
    """Removes list elements [start, end) with the comma after them: whole lines when they
    stand alone on theirs, else with the blanks that follow."""
    after = _after_comma(text, end)
    line_start = _line_start(text, start)
    if line_start < start or start == 0 or text[start - 1] == "\n":
        return line_start, _line_end(text, after), ""
    return start, after + len(text[after:]) - len(text[after:].lstrip(" \t")), ""


def _after_comma(text: str, offset: int) -> int:
    """Past a comma that follows offset (after blanks), else offset."""
    rest = len(text[offset:]) - len(text[offset:].lstrip(" \t\r\n"))
    return offset + rest + 1 if text[offset + rest:offset + rest + 1] == "," else offset
