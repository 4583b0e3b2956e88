"""The guide's numbers for judging a running stack: "When to Scale Up", "Monitoring Metrics",
"Downgrading" and the profile table. The alarms (alarms.py), the advisor's rules and the
migration advice all read them from here."""

from __future__ import annotations

# "Scale Up Instance Type if: CPU utilization > 80% sustained (not just during bursts)";
# Monitoring Metrics: "ECS CPU > 80% for 10+ minutes".
CPU_SCALE_UP_PERCENT = 80.0
# "Error rate > 1% during normal traffic".
ERROR_RATE_SCALE_UP_PERCENT = 1.0
# "P95 latency > 5 seconds during normal traffic".
P95_SCALE_UP_SECONDS = 5.0
# "CloudWatch shows consistent memory pressure"; its memory alarm: "> 90%".
MEMORY_PRESSURE_PERCENT = 90.0
# "Upgrade EFS Throughput if: PercentIOLimit > 80% sustained".
EFS_IO_LIMIT_PERCENT = 80.0
# Downgrading: "Ensure CPU < 50% sustained, memory < 60%".
DOWNGRADE_CPU_PERCENT = 50.0
DOWNGRADE_MEMORY_PERCENT = 60.0
# "Verify error rates remain low": the normal-load error rate of its smallest configuration
# (2 x t3.small, "< 0.1%") is the loosest figure it calls normal.
DOWNGRADE_ERROR_RATE_PERCENT = 0.1
# "Target: < 1% error rate under burst load" (Error Rate Expectations).
BURST_ERROR_RATE_PERCENT = 1.0
# "Monitor each stage for 24-48 hours": less than that is not enough to judge a size.
MIN_DATA_DAYS = 2.0
# "Normal Load (< 50 concurrent requests)".
NORMAL_LOAD_MAX_CONCURRENCY = 50.0
# Target 5xx responses in an hour its alarm tolerates.
TARGET_5XX_PER_HOUR = 10
# 5xx the load balancer answers itself in 5 minutes before it alarms (not the guide's): a
# working index answers none, an outage hundreds.
ELB_5XX_PER_5_MINUTES = 10
# "2-4 compute-optimized instances rather than many small instances" (fewer, beefier).
MIN_INSTANCES = 2
MAX_INSTANCES = 4
# Fewer, beefier: no instance smaller than 2 vCPUs.
MIN_VCPU = 2
