"""CloudWatch Logs filter patterns for JSON log events, the subset the stack uses: one or more
`$.field = value` / `$.field != value` conditions joined by `&&`, values being "strings" or
numbers. Lets tests check a metric filter against real log lines before AWS sees it.

CloudWatch Logs ("Filter pattern syntax for metric filters, subscription filters, filter
log events, and Live Tail", JSON log events): "{ PropertySelector EqualityOperator String }"
and "{ PropertySelector NumericOperator Number }", conditions combined with "&&" and "||";
a log event that is not JSON matches no JSON pattern.
"""

from __future__ import annotations

import json
import re

_CONDITION = re.compile(r'^\$\.([A-Za-z_][A-Za-z0-9_]*)\s*(=|!=)\s*(?:"([^"]*)"|(-?\d+(?:\.\d+)?))$')


class UnsupportedPattern(ValueError):
    """A pattern outside the subset (say which part), rather than a silent wrong answer."""


def parse(pattern: str) -> list[tuple[str, str, str | float]]:
    text = pattern.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise UnsupportedPattern(f"{pattern!r}: only JSON patterns {{ ... }} are supported")
    conditions = []
    for part in text[1:-1].split("&&"):
        m = _CONDITION.match(part.strip())
        if m is None:
            raise UnsupportedPattern(f'{part.strip()!r}: expected $.field = "text" or $.field != number')
        field, op, string, number = m.groups()
        conditions.append((field, op, string if string is not None else float(number)))
    return conditions


def matches(pattern: str, line: str) -> bool:
    conditions = parse(pattern)
    try:
        event = json.loads(line)
    except ValueError:
        return False
    if not isinstance(event, dict):
        return False
    for field, op, want in conditions:
        if field not in event:
            return False
        got = event[field]
        equal = (
            (got == want)
            if isinstance(want, float) and not isinstance(got, bool)
            else (isinstance(got, str) and got == want)
        )
        if equal != (op == "="):
            return False
    return True
