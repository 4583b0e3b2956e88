"""`make preview`: what a stack would build and what it costs, offline, with the policy verdicts."""
