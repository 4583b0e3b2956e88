"""Rules that span several settings of a stack (min <= max, what needs what, a task that fits
its instance), each a one-line ConfigError naming the keys involved."""

from __future__ import annotations

from guide import sizing
from task.bundles import MAX_USERS
from task.spec import FRONT_CPU_UNITS, FRONT_MEMORY_MIB

from .errors import ConfigError, key
from .schema import PypiServerConfig


def _field_name(cfg: PypiServerConfig, alias: str) -> str:
    return next(n for n, f in type(cfg).model_fields.items() if f.alias == alias)


def check_consistent(cfg: PypiServerConfig) -> None:
    """Every rule that spans several settings; the first one broken raises ConfigError."""
    if cfg.asg_min_size > cfg.asg_max_size:
        raise ConfigError(
            f"{key('asgMinSize')} ({cfg.asg_min_size}) must not exceed {key('asgMaxSize')} ({cfg.asg_max_size})"
        )
    if cfg.container_memory_reservation is not None and cfg.container_memory_reservation > cfg.container_memory:
        raise ConfigError(
            f"{key('containerMemoryReservation')} ({cfg.container_memory_reservation} MiB) must "
            f"not exceed {key('containerMemory')} ({cfg.container_memory} MiB)"
        )
    if cfg.task_min_count is not None and cfg.task_max_count is not None and cfg.task_min_count > cfg.task_max_count:
        raise ConfigError(
            f"{key('taskMinCount')} ({cfg.task_min_count}) must not exceed {key('taskMaxCount')} ({cfg.task_max_count})"
        )
    if cfg.efs_throughput_mode == "provisioned" and cfg.efs_provisioned_throughput_mibps is None:
        raise ConfigError(
            f"{key('efsProvisionedThroughputMibps')} is required when {key('efsThroughputMode')} "
            "is 'provisioned' (1-3414 MiB/s)"
        )
    if cfg.efs_throughput_mode != "provisioned" and cfg.efs_provisioned_throughput_mibps is not None:
        raise ConfigError(
            f"{key('efsProvisionedThroughputMibps')} applies only when {key('efsThroughputMode')} "
            f"is 'provisioned' (it is {cfg.efs_throughput_mode!r})"
        )
    _check_network(cfg)
    if len(cfg.users) > MAX_USERS:
        raise ConfigError(
            f"{key('users')}: {len(cfg.users)} users; at most {MAX_USERS} are supported (the task definition "
            "and its credential secrets are sized and tested for that many); give fewer users, or serve the "
            "others from another stack"
        )
    if cfg.load_balancer_scheme == "internet-facing" and not cfg.allowed_cidrs:
        raise ConfigError(
            f"{key('allowedCidrs')} is required when {key('loadBalancerScheme')} is "
            "'internet-facing'; list your clients' CIDRs (['0.0.0.0/0'] opens it to the world)"
        )
    if cfg.load_balancer_scheme == "internet-facing" and not cfg.domain_enabled and not cfg.allow_plain_http:
        raise ConfigError(
            f"{key('loadBalancerScheme')}: an internet-facing index without {key('zoneId')} serves plain HTTP, "
            f"so credentials and packages cross the internet in clear text; set {key('zoneId')} (HTTPS) or "
            f"{key('allowPlainHttp')}: true to accept that"
        )
    limited = next((u.name for u in cfg.users if u.projects != ["*"]), None)
    if limited and not cfg.front_enabled:
        raise ConfigError(
            f"{key('users')}: {limited} is limited to projects, which the index behind the front checks; "
            f"set {key('frontEnabled')}: true or drop its projects"
        )
    if cfg.trusted_publishing is not None and not (cfg.domain_enabled and cfg.front_enabled):
        raise ConfigError(
            f"{key('trustedPublishing')} needs {key('zoneId')} (HTTPS: uv and the GitHub action reach "
            f"/_/oidc/ over https only) and {key('frontEnabled')}: true (nginx routes the exchange)"
        )
    if cfg.front_enabled and (cfg.pypiserver_cpu_units < 128 or cfg.pypiserver_memory_reservation_mib < 128):
        raise ConfigError(
            f"{key('containerCpu')}/{key('containerMemory')}: with the nginx front on, the task needs at least "
            f"{FRONT_CPU_UNITS + 128} CPU units and {FRONT_MEMORY_MIB + 256} MiB "
            "(nginx's share plus 128 for pypiserver)"
        )
    _check_task_fits(cfg)


def _check_network(cfg: PypiServerConfig) -> None:
    given = cfg.model_fields_set
    if cfg.subnet_ids is not None and cfg.vpc_id is None:
        raise ConfigError(f"{key('vpcId')} is required when {key('subnetIds')} is set (the VPC of those subnets)")
    if cfg.vpc_id is not None and cfg.subnet_ids is None:
        raise ConfigError(
            f"{key('subnetIds')} is required when {key('vpcId')} is set (the instance subnets, "
            "one per AZ, at least 2); leave both unset to let the component build its network"
        )
    if cfg.load_balancer_subnet_ids is not None and cfg.subnet_ids is None:
        raise ConfigError(f"{key('loadBalancerSubnetIds')} needs {key('subnetIds')} and {key('vpcId')} too")
    own_network_only = ("vpcCidr", "availabilityZoneCount", "natGateways")
    if cfg.vpc_id is not None:
        for alias in own_network_only:
            if _field_name(cfg, alias) in given:
                raise ConfigError(
                    f"{key(alias)} applies only when the component builds the VPC "
                    f"(unset {key('vpcId')} and {key('subnetIds')}, or drop {key(alias)})"
                )
    if cfg.instance_public_ip and cfg.vpc_id is None:
        raise ConfigError(
            f"{key('instancePublicIp')} needs {key('vpcId')} and public {key('subnetIds')}; the "
            "network the component builds keeps instances private behind NAT"
        )


def _check_task_fits(cfg: PypiServerConfig) -> None:
    """A task that no instance can hold would never be placed: reject it before AWS does."""
    spec = cfg.instance_spec
    free_mib = sizing.available_memory_mib(spec.memory_mib)
    free_cpu = sizing.available_cpu_units(spec.vcpu)
    if cfg.task_memory_reservation_mib > free_mib:
        raise ConfigError(
            f"{key('containerMemory')}: a task reserves {cfg.task_memory_reservation_mib} MiB but "
            f"{cfg.instance_type} has {free_mib} MiB for tasks ({sizing.SYSTEM_RESERVED_MIB} MiB are kept "
            "for the system); choose a larger instance or less memory"
        )
    if cfg.task_cpu_units > free_cpu:
        raise ConfigError(
            f"{key('containerCpu')}: a task reserves {cfg.task_cpu_units} CPU units but "
            f"{cfg.instance_type} has {free_cpu} for tasks; choose a larger instance or fewer workers"
        )
