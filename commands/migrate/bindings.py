"""Who may publish what, before and after: trusted publishers bound, unbound or given other
projects, and named publishers whose projects change. Shown as what they are (a change of
publish rights), not only as the task definition's new environment."""

from __future__ import annotations

from .advice import Advice

TOPIC = "publish rights"


def _trusted(cfg) -> dict[str, list[str]]:
    tp = cfg.trusted_publishing
    return {} if tp is None else {p.id: list(p.projects) for p in tp.publishers}


def _named(cfg) -> dict[str, list[str]]:
    return {u.name: list(u.projects) for u in cfg.users if u.publishes}


def _projects(patterns: list[str]) -> str:
    return "every project" if patterns == ["*"] else ", ".join(patterns)


def binding_changes(before, after) -> list[Advice]:
    """`before`/`after` are the two sides' PypiServerConfig."""
    advice = []
    old, new = _trusted(before), _trusted(after)
    for pid in sorted(new.keys() - old.keys()):
        advice.append(Advice("info", TOPIC, f"trusted publisher {pid} bound: may publish {_projects(new[pid])}"))
    for pid in sorted(old.keys() - new.keys()):
        advice.append(
            Advice(
                "warning",
                TOPIC,
                f"trusted publisher {pid} unbound: its upload tokens stop working on every task once the new "
                "task definition runs, and its jobs can no longer mint",
            )
        )
    for pid in sorted(old.keys() & new.keys()):
        if old[pid] != new[pid]:
            advice.append(
                Advice(
                    "info",
                    TOPIC,
                    f"trusted publisher {pid}: projects {_projects(old[pid])} -> {_projects(new[pid])} "
                    "(tokens already minted narrow at once)",
                )
            )
    b_tp, a_tp = before.trusted_publishing, after.trusted_publishing
    if b_tp and a_tp and b_tp.token_minutes != a_tp.token_minutes:
        advice.append(Advice("info", TOPIC, f"upload tokens last {b_tp.token_minutes} -> {a_tp.token_minutes} minutes"))
    if b_tp and a_tp and b_tp.audience != a_tp.audience:
        advice.append(
            Advice("warning", TOPIC, "the audience changes: CI jobs that name it (GitLab's id_tokens aud) must follow")
        )
    old_users, new_users = _named(before), _named(after)
    for name in sorted(old_users.keys() & new_users.keys()):
        if old_users[name] != new_users[name]:
            advice.append(
                Advice(
                    "info",
                    TOPIC,
                    f"user {name}: may publish {_projects(old_users[name])} -> {_projects(new_users[name])}",
                )
            )
    return advice
