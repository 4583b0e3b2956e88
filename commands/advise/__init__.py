"""Right-sizing advisor: a deployed stack's CloudWatch metrics against the sizing guide's
scale-up, scale-out, EFS and downgrade rules (`make advise STACK=heavy`).

    traffic.py    percentiles over time; bursts told apart from normal traffic (pure)
    scaling.py    auto-scaling activities: scale-outs, and whether bursts explain them (pure)
    rules.py      the guide's rules on measured series; what could not be judged, and why (pure)
    recommend.py  one recommendation, its `make migrate` command and cost change (pure)
    resources.py  the stack's resources, from its outputs or its tags (boto3)
    metrics.py    CloudWatch series, the service's state and scaling history (boto3)
    aws_errors.py one line for whatever AWS, or a proxy in its place, answers with an error
    report.py     the text and JSON report
    __main__.py   the command line
"""
