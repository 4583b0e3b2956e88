"""The stack's alarms over time: CloudWatch's evaluation of every rendered MetricAlarm
(evaluation.py) against the datapoints AWS would emit in each failure scenario (scenarios.py),
and who each alarm notifies (notifications.py). `python -m commands.alarms --stack heavy`
prints the scenario x alarm table."""
