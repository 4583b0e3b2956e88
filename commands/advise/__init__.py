"""Right-sizing advisor: a deployed stack's CloudWatch metrics against the sizing guide's
scale-up, scale-out, EFS and downgrade rules (`make advise STACK=heavy`).

    traffic.py    percentiles over time; bursts told apart from normal traffic (pure)
    rules.py      the guide's rules on measured series (pure)
    recommend.py  one recommendation, its `make migrate` command and cost change (pure)
    resources.py  the stack's resources, from its outputs or its tags (boto3)
    metrics.py    CloudWatch series and the service's state (boto3)
    report.py     the text and JSON report
    __main__.py   the command line
"""
