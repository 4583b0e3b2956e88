"""Who an alarm's actions reach. An SNS topic of the stack reaches someone only through a
subscription of the stack (`alarmEmails` make them); a topic outside the stack (`alarmTopicArns`)
is counted as reaching someone, since its subscriptions cannot be seen from here. Other actions
(scaling, EC2) notify nobody."""

from __future__ import annotations

from dataclasses import dataclass

from guide.type_tokens import METRIC_ALARM, SNS_TOPIC, SNS_TOPIC_SUBSCRIPTION


@dataclass(frozen=True)
class Reach:
    notified: bool
    silent_topics: tuple[str, ...]  # the stack's topics it publishes to that nobody subscribes to


def reach(preview, actions: tuple[str, ...] | list[str]) -> Reach:
    topics = {t.outputs["arn"]: t.name for t in preview.of_type(SNS_TOPIC)}
    subscribed = {s.inputs.get("topic") for s in preview.of_type(SNS_TOPIC_SUBSCRIPTION)}
    notified, silent = False, []
    for action in actions:
        if action in topics:
            if action in subscribed:
                notified = True
            else:
                silent.append(topics[action])
        elif action.split(":")[2:3] == ["sns"]:
            notified = True
    return Reach(notified, tuple(dict.fromkeys(silent)))


def unheard(preview) -> tuple[int, tuple[str, ...]]:
    """(alarms that notify nobody, the stack's topics they publish to without a subscriber)."""
    count, topics = 0, list[str]()
    for alarm in preview.of_type(METRIC_ALARM):
        found = reach(preview, alarm.inputs.get("alarmActions") or [])
        if not found.notified:
            count += 1
            topics += found.silent_topics
    return count, tuple(dict.fromkeys(topics))


def unheard_line(preview) -> str | None:
    """The one line the preview prints when alarms notify nobody (None when every alarm does)."""
    count, topics = unheard(preview)
    if not count:
        return None
    where = f"publish to {', '.join(topics)}, which has no subscriber" if topics else "have no SNS topic action"
    return f"alarms: {count} alarm(s) reach nobody ({where}): set pypiserver:alarmEmails or pypiserver:alarmTopicArns"
