"""commands/alarms/evaluation.py against the CloudWatch user guide's own examples ("How alarm
state is evaluated when data is missing"): both tables, every row, every treatment. In the
guide's data points, 0 is a non-breaching point, X a breaching one and - a missing one,
oldest first; CloudWatch retrieves 5 points for these 3-period alarms."""

from __future__ import annotations

import pytest

from commands.alarms.evaluation import ALARM, INSUFFICIENT, OK, Alarm, Unsupported, evaluate, run, statistic

RETAIN = "retain current state"
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")

# "Datapoints to Alarm and Evaluation Periods are both 3."
THREE_OF_THREE = [
    ("0 - X - X", (OK, OK, OK, OK)),
    ("0 - - - -", (OK, OK, OK, OK)),
    ("- - - - -", (INSUFFICIENT, RETAIN, ALARM, OK)),
    ("0 X X - X", (ALARM, ALARM, ALARM, ALARM)),
    ("- - - - X", (INSUFFICIENT, RETAIN, ALARM, OK)),
    ("X - - - -", (ALARM, RETAIN, ALARM, OK)),
]
# "Datapoints to Alarm is only 2 while Evaluation Periods is 3. This is a 2 out of 3, M out of N alarm."
TWO_OF_THREE = [
    ("0 - X - X", (ALARM, ALARM, ALARM, ALARM)),
    ("0 0 X 0 X", (ALARM, ALARM, ALARM, ALARM)),
    ("0 - X - -", (OK, OK, ALARM, OK)),
    ("- - - - 0", (OK, OK, ALARM, OK)),
    ("- - - - X", (INSUFFICIENT, RETAIN, ALARM, OK)),
]


def alarm(m: int, n: int, treat: str, comparison: str = "GreaterThanThreshold") -> Alarm:
    return Alarm.from_inputs(
        "a",
        {
            "namespace": "N",
            "metricName": "M",
            "statistic": "Sum",
            "comparisonOperator": comparison,
            "threshold": 5,
            "period": 300,
            "evaluationPeriods": n,
            "datapointsToAlarm": m,
            "treatMissingData": treat,
        },
    )


def points(row: str) -> list[float | None]:
    return [{"0": 0.0, "X": 10.0, "-": None}[c] for c in row.split()]


@pytest.mark.parametrize("m, rows", [(3, THREE_OF_THREE), (2, TWO_OF_THREE)], ids=["3-of-3", "2-of-3"])
def test_every_row_of_the_user_guides_tables(m, rows):
    wrong = []
    for row, expected in rows:
        for treat, want in zip(TREATMENTS, expected):
            for current in (OK, ALARM):
                got = evaluate(alarm(m, 3, treat), points(row), current)
                if got != (current if want == RETAIN else want):
                    wrong.append((row, treat, current, got, want))
    assert wrong == []


def test_breaching_points_need_not_be_consecutive_but_must_be_within_the_last_n():
    # "The breaching data points do not have to be consecutive, they just must all be within the
    # last number of data points equal to Evaluation Period."
    two_of_five = alarm(2, 5, "notBreaching")
    assert evaluate(two_of_five, points("X 0 0 X 0"), OK) == ALARM
    assert evaluate(two_of_five, points("X 0 0 0 0 X 0"), OK) == OK


def test_an_alarm_starts_insufficient_and_stays_in_alarm_while_breaching():
    states = run(alarm(3, 3, "notBreaching"), [0.0, 10.0, 10.0, 10.0, 10.0, 0.0])
    assert states == [OK, OK, OK, ALARM, ALARM, OK]
    assert run(alarm(1, 1, "missing"), [None])[0] == INSUFFICIENT


def test_statistics_over_a_periods_samples():
    samples = [1.0, 2.0, 3.0, 4.0, 100.0]
    assert [statistic(s, samples) for s in ("Sum", "Average", "Minimum", "Maximum", "SampleCount")] == [
        110.0,
        22.0,
        1.0,
        100.0,
        5.0,
    ]
    assert statistic("p95", list(map(float, range(1, 101)))) == 95.0
    assert statistic("Sum", []) is None, "no sample is a missing datapoint, not a zero"


def test_what_the_simulation_cannot_evaluate_is_said_not_skipped():
    with pytest.raises(Unsupported, match="metric math"):
        Alarm.from_inputs("m", {"metricQueries": [{"id": "e1"}], "comparisonOperator": "GreaterThanThreshold"})
    with pytest.raises(Unsupported, match="LessThanLowerOrGreaterThanUpperThreshold"):
        alarm(1, 1, "missing", comparison="LessThanLowerOrGreaterThanUpperThreshold")


def test_treat_missing_data_defaults_to_missing():
    inputs = {"namespace": "N", "metricName": "M", "statistic": "Sum", "comparisonOperator": "GreaterThanThreshold"}
    assert Alarm.from_inputs(
        "a", {**inputs, "threshold": 1, "period": 60, "evaluationPeriods": 1}
    ).treat_missing_data == ("missing")
