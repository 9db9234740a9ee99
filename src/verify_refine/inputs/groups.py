"""The policies a user has through its groups (GroupDetailList, the user's GroupList): a task for
each member user, naming the group's other members, since a group's policy serves them all."""

from __future__ import annotations

from ..errors import InputError

PREFIX = "group-"  # a group policy's kind: group-inline, group-managed, group-aws-managed


def add_group_tasks(value: dict, account, managed: dict, source: str) -> None:
    """Append to ACCOUNT.tasks each member user's tasks for its groups' inline and attached
    managed policies (MANAGED: ARN -> (index, Policies entry)), then order the tasks by
    principal, so that a user's group policies follow its own."""
    from .account import holder_tasks  # account calls this module

    groups = _groups(value, source)
    users = [who for who in account.principals if who.kind == "user"]
    memberships = [(who, _group_list(item, j, source)) for j, (who, item)
                   in enumerate(zip(users, value.get("UserDetailList", [])))]
    members: dict[str, list[str]] = {}
    for who, names in memberships:
        for name in names:
            members.setdefault(name, []).append(who.name)
    for who, names in memberships:
        for name in names:
            if name not in groups:
                continue  # a dump filtered without groups: nothing to refine
            i, item = groups[name]
            where = f"GroupDetailList[{i}]"
            tasks = holder_tasks(who, item, "GroupPolicyList", where, managed, source)
            for task in tasks:
                task.kind = PREFIX + task.kind
                task.group = name
                task.members = tuple(m for m in members[name] if m != who.name)
            account.tasks += tasks
    order = {id(who): n for n, who in enumerate(account.principals)}
    account.tasks.sort(key=lambda t: order[id(t.principal)])


def _groups(value: dict, source: str) -> dict[str, tuple[int, dict]]:
    """GroupDetailList by GroupName."""
    groups = {}
    for i, item in enumerate(value.get("GroupDetailList", [])):
        if not isinstance(item, dict) or not isinstance(item.get("GroupName"), str):
            raise InputError(f"GroupDetailList[{i}]: expected an object with GroupName", source)
        groups[item["GroupName"]] = (i, item)
    return groups


def _group_list(item: dict, j: int, source: str) -> list[str]:
    """A user's GroupList: the names of its groups, each once."""
    names = item.get("GroupList") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError(f"UserDetailList[{j}].GroupList: expected a list of group names",
                         source)
    return list(dict.fromkeys(names))


def shared_with(task) -> str:
    """The row's `shared_with`: the group and its other members, for a group's policy."""
    if not task.group:
        return ""
    others = ", ".join(task.members) if task.members else "no other member"
    return f"group {task.group}: {others}"
