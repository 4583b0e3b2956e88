"""The sizing guide's principles: at least two instances, compute-optimized families,
elastic EFS throughput, a bounded ECS task maximum that the instances can hold, and
(advisory) "fewer, beefier" instances."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from guide.instance_types import InstanceTypeNameError, parse
from guide.sizing import InstanceCapacity, instance_capacity
from guide.type_tokens import (
    ASG,
    ECS_CAPACITY_PROVIDER,
    ECS_SERVICE,
    ECS_TASK_DEFINITION,
    EFS_FILE_SYSTEM,
    LAUNCH_TEMPLATE,
    SCALING_TARGET,
)
from policies.common import (
    ECS_DESIRED_COUNT,
    about,
    current_stack,
    instance_spec,
    instance_types,
    json_list,
    mapping,
    number,
    schema,
    settings,
    show,
    text,
)
from policies.graph import linked, of_type

# --- asg-min-instances -------------------------------------------------------------------

ASG_MIN_SCHEMA = schema(
    minInstances={"type": "integer", "minimum": 1, "default": 2, "description": "Smallest allowed ASG minSize."},
)


def check_asg_min_instances(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != ASG:
        return
    minimum = settings(args, ASG_MIN_SCHEMA)["minInstances"]
    size = number(args.props.get("minSize"))
    if size is None or size < minimum:
        report(
            f"minSize is {show(size)}; set it (pypiserver:asgMinSize) to at least {minimum}: with a single "
            "instance, its failure or replacement (every instance refresh) takes the index down."
        )


asg_min_instances = ResourceValidationPolicy(
    name="asg-min-instances",
    description="The Auto Scaling group keeps at least two instances, for availability.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=ASG_MIN_SCHEMA,
    validate=check_asg_min_instances,
    **about(
        "sizing",
        Severity.HIGH,
        "Set pypiserver:asgMinSize to at least the configured minInstances (2 by default) so the Auto "
        "Scaling group always keeps a second instance serving while one fails or is replaced.",
        "https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-capacity-limits.html",
    ),
)

# --- compute-optimized-instances ---------------------------------------------------------

# The class comes from the type's name (AWS's naming convention: the c series is compute
# optimized, t burstable); the family lists are the organization's overrides, not a catalog.
FAMILY_SCHEMA = schema(
    allowedFamilies={
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Families (the name before the dot, e.g. m7i or c7i-flex) allowed although "
        "their name does not make them compute-optimized.",
    },
    deniedFamilies={
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Families refused although compute-optimized (e.g. an older generation).",
    },
    burstableStacks={
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Stacks (by name) the organization lets run burstable (t-series) types.",
    },
)

CLASS_WORDS = {
    "general": "general purpose",
    "memory": "memory optimized",
    "storage": "storage optimized",
    "accelerated": "accelerated computing",
    "hpc": "high performance computing",
    "unknown": "of a series AWS's naming convention does not define",
}


def family_problem(instance_type: str, cfg: dict[str, Any], stack: str) -> str | None:
    """Why this instance type is not allowed for this stack, or None if it is."""
    try:
        name = parse(instance_type)
    except InstanceTypeNameError as e:
        return (
            f"{e}: its class cannot be read from it. Set pypiserver:instanceType to an EC2 instance type "
            "such as c7a.large."
        )
    fam = name.family
    if fam in cfg["deniedFamilies"]:
        return (
            f"{instance_type}: family {fam} is denied by this organization's policy config (deniedFamilies). "
            "Set pypiserver:instanceType to another compute-optimized family, e.g. c7a.large."
        )
    if fam in cfg["allowedFamilies"] or name.instance_class == "compute":
        return None
    if name.instance_class == "burstable":
        if stack in cfg["burstableStacks"]:
            return None
        return (
            f"{instance_type} is burstable ({fam}): under sustained load it spends its CPU credits, then runs "
            "at its 20-40 % baseline (or bills the surplus in unlimited mode), so latency climbs and bursts "
            f"fail. Use a compute-optimized type (e.g. c6a.large) in pypiserver:instanceType; stack '{stack}' "
            "is not among the stacks this organization's policy config allows burstable types for "
            "(burstableStacks)."
        )
    return (
        f"{instance_type} is not compute-optimized (family {fam} is {CLASS_WORDS[name.instance_class]}, "
        f"series '{name.series}'; by AWS's naming convention compute-optimized families start with c): "
        "pypiserver is CPU-bound, and other families pay for memory, storage or accelerators it does not use. "
        "Set pypiserver:instanceType to e.g. c6a.large or c7a.large, or add the family to allowedFamilies in "
        "the policy config."
    )


def check_compute_optimized(args: ResourceValidationArgs, report: ReportViolation) -> None:
    cfg = settings(args, FAMILY_SCHEMA)
    stack = current_stack()
    for instance_type in instance_types(args.resource_type, args.props):
        problem = family_problem(instance_type, cfg, stack)
        if problem:
            report(problem)


compute_optimized_instances = ResourceValidationPolicy(
    name="compute-optimized-instances",
    description="Instances are compute-optimized; burstable types only for stacks the organization names.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=FAMILY_SCHEMA,
    validate=check_compute_optimized,
    **about(
        "sizing",
        Severity.MEDIUM,
        "Set pypiserver:instanceType to a compute-optimized type (a c-series family such as c7a, c7i, c7g, "
        "c7i-flex); for a stack that may run burstable t-series types, add its name to burstableStacks; to "
        "allow or refuse a family regardless of its class, list it in allowedFamilies or deniedFamilies.",
        "https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html",
    ),
)

# --- efs-throughput-mode -----------------------------------------------------------------

EFS_MODES = ["elastic", "provisioned", "bursting"]
EFS_MODE_SCHEMA = schema(
    allowedModes={
        "type": "array",
        "items": {"type": "string", "enum": EFS_MODES},
        "default": ["elastic"],
        "description": 'EFS throughput modes allowed (add "provisioned" for steady, heavy loads).',
    },
)


def check_efs_throughput_mode(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EFS_FILE_SYSTEM:
        return
    allowed = settings(args, EFS_MODE_SCHEMA)["allowedModes"]
    # AWS's default when the input is absent is bursting.
    mode = text(args.props.get("throughputMode")) or "bursting"
    if mode in allowed:
        return
    why = (
        "a small file system earns about 50 KiB/s of baseline per GiB stored, and pypiserver's metadata scans "
        "drain the burst credits, after which every request slows"
        if mode == "bursting"
        else "this organization allows only " + ", ".join(allowed)
    )
    report(f"throughputMode is {mode}: {why}. Set pypiserver:efsThroughputMode to elastic.")


efs_throughput_mode = ResourceValidationPolicy(
    name="efs-throughput-mode",
    description="EFS uses elastic throughput (provisioned only where the organization allows it).",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=EFS_MODE_SCHEMA,
    validate=check_efs_throughput_mode,
    **about(
        "sizing",
        Severity.HIGH,
        "Set pypiserver:efsThroughputMode to elastic (or to a mode listed in allowedModes, e.g. "
        "provisioned with pypiserver:efsProvisionedThroughputMibps).",
        "https://docs.aws.amazon.com/efs/latest/ug/performance.html",
    ),
)

# --- ecs-task-max-bounded ----------------------------------------------------------------

TASK_RATIO_SCHEMA = schema(
    maxToMinRatio={
        "type": "number",
        "minimum": 1,
        "default": 2,
        "description": "Largest allowed maxCapacity / minCapacity of the ECS service's scaling target.",
    },
)


def is_ecs_scaling_target(resource_type: str, props: Any) -> bool:
    return resource_type == SCALING_TARGET and props.get("scalableDimension") == ECS_DESIRED_COUNT


def check_task_max_bounded(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_ecs_scaling_target(args.resource_type, args.props):
        return
    ratio = number(settings(args, TASK_RATIO_SCHEMA)["maxToMinRatio"])
    maximum, minimum = number(args.props.get("maxCapacity")), number(args.props.get("minCapacity"))
    if maximum is None:
        report("the scaling target has no maxCapacity: set pypiserver:taskMaxCount so scaling has a ceiling.")
    elif minimum is not None and ratio is not None and maximum > ratio * minimum:
        report(
            f"maxCapacity {show(maximum)} is more than {show(ratio)} x minCapacity {show(minimum)} = "
            f"{show(ratio * minimum)}: set pypiserver:taskMaxCount to at most {show(ratio * minimum)} "
            "(or raise taskMinCount); beyond that, add capacity with a larger instance type instead."
        )


ecs_task_max_bounded = ResourceValidationPolicy(
    name="ecs-task-max-bounded",
    description="The ECS service's scaling target has a maximum, at most a set ratio of its minimum.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=TASK_RATIO_SCHEMA,
    validate=check_task_max_bounded,
    **about(
        "sizing",
        Severity.MEDIUM,
        "Set pypiserver:taskMaxCount to at most maxToMinRatio x taskMinCount (2 x by default), or raise "
        "pypiserver:taskMinCount; grow with a larger instance type instead of more tasks.",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-auto-scaling.html",
    ),
)

# --- ecs-task-max-fits-instances (stack) --------------------------------------------------

# Instance types the built-in catalog lacks, described by the organization.
EXTRA_INSTANCE_TYPES = {
    "type": "object",
    "default": {},
    "additionalProperties": {
        "type": "object",
        "required": ["vcpu", "memoryMib"],
        "properties": {"vcpu": {"type": "integer", "minimum": 1}, "memoryMib": {"type": "integer", "minimum": 1}},
    },
    "description": "vCPU and memory of instance types missing from the pack's catalog: {type: {vcpu, memoryMib}}.",
}
FITS_SCHEMA = schema(extraInstanceTypes=EXTRA_INSTANCE_TYPES)


def task_reservation(task_definition: Any) -> tuple[int, int]:
    """(CPU units, MiB) one task reserves: the task-level cpu/memory when set (ECS places by
    those), else the sum over containers of cpu and memoryReservation (memory if no soft limit)."""
    props = task_definition.props
    task_cpu, task_memory = number(props.get("cpu")), number(props.get("memory"))
    containers = [mapping(c) for c in json_list(props.get("containerDefinitions"))]
    cpu = task_cpu or sum(number(c.get("cpu")) or 0 for c in containers)
    memory = task_memory or sum(number(c.get("memoryReservation")) or number(c.get("memory")) or 0 for c in containers)
    return int(cpu), int(memory)


def describe(capacity: InstanceCapacity) -> str:
    return (
        f"{capacity.tasks_per_instance} per instance, limited by {capacity.limited_by}: "
        f"room for {capacity.tasks_by_memory} by memory, {capacity.tasks_by_cpu} by CPU"
    )


def check_task_max_fits(args: StackValidationArgs, report: ReportViolation) -> None:
    extra = settings(args, FITS_SCHEMA)["extraInstanceTypes"]
    resources = args.resources
    for target in of_type(resources, SCALING_TARGET):
        maximum = number(target.props.get("maxCapacity"))
        if not is_ecs_scaling_target(target.resource_type, target.props) or maximum is None:
            continue
        for service in linked(target, resources, ECS_SERVICE):
            task_definitions = linked(service, resources, ECS_TASK_DEFINITION)
            providers = linked(service, resources, ECS_CAPACITY_PROVIDER)
            groups = (
                [g for p in providers for g in linked(p, resources, ASG)]
                if providers
                else linked(service, resources, ASG)
            )
            if len(task_definitions) != 1 or not groups:
                continue  # Fargate or an unlinked service: no instances to fit into.
            cpu, memory = task_reservation(task_definitions[0])
            if cpu <= 0 or memory <= 0:
                report(
                    f"the task definition reserves {cpu} CPU units and {memory} MiB: set cpu and "
                    "memoryReservation on its containers, or no bound on tasks per instance exists.",
                    target.urn,
                )
                continue
            room, parts = 0, []
            for group in groups:
                types = [
                    t
                    for lt in linked(group, resources, LAUNCH_TEMPLATE)
                    for t in instance_types(LAUNCH_TEMPLATE, lt.props)
                ] + instance_types(ASG, group.props)
                unknown = [t for t in types if instance_spec(t, extra) is None]
                if unknown or not types:
                    # The pack cannot ask AWS (it runs without credentials): an unknown size is a
                    # finding, never a silent pass.
                    report(
                        f"cannot bound tasks per instance: the vCPU and memory of instance type "
                        f"{', '.join(unknown) or 'unset'} are neither in this policy's extraInstanceTypes nor "
                        "in the catalog the pack ships; add it under extraInstanceTypes {vcpu, memoryMib} in "
                        "the policy config (AWS's figures: aws ec2 describe-instance-types --instance-types "
                        f"{' '.join(unknown) or '<type>'}).",
                        target.urn,
                    )
                    return
                # With several types (mixed instances), count on the smallest.
                capacity = min(
                    (
                        instance_capacity(s.vcpu, s.memory_mib, cpu, memory)
                        for s in (instance_spec(t, extra) for t in types)
                        if s is not None  # every type is known here: unknown ones returned above
                    ),
                    key=lambda c: c.tasks_per_instance,
                )
                size = int(number(group.props.get("maxSize")) or 0)
                room += capacity.tasks_per_instance * size
                parts.append(f"{size} x {'/'.join(types)} ({describe(capacity)})")
            if maximum > room:
                report(
                    f"maxCapacity {show(maximum)} tasks, but the instances at ASG maxSize hold at most {room}: "
                    f"{' + '.join(parts)}, each task reserving {cpu} CPU units and {memory} MiB. Tasks beyond "
                    f"{room} would never be placed. Lower pypiserver:taskMaxCount to {room}, or raise "
                    "asgMaxSize or the instance type.",
                    target.urn,
                )


ecs_task_max_fits_instances = StackValidationPolicy(
    name="ecs-task-max-fits-instances",
    description="The ECS task maximum fits on the ASG at its maximum size (tasks per instance x maxSize).",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=FITS_SCHEMA,
    validate=check_task_max_fits,
    **about(
        "sizing",
        Severity.MEDIUM,
        "Lower pypiserver:taskMaxCount to what the instances hold at ASG maxSize, or raise "
        "pypiserver:asgMaxSize or the instance type; for an instance type the pack does not know, add its"
        " {vcpu, memoryMib} under extraInstanceTypes in the policy config.",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/asg-capacity-providers.html",
    ),
)

# --- fewer, beefier (advisory) -----------------------------------------------------------

VCPU_SCHEMA = schema(
    minVcpu={"type": "integer", "minimum": 1, "default": 2, "description": "Fewest vCPUs per instance."},
    extraInstanceTypes=EXTRA_INSTANCE_TYPES,
)


def check_instance_min_vcpu(args: ResourceValidationArgs, report: ReportViolation) -> None:
    cfg = settings(args, VCPU_SCHEMA)
    minimum = cfg["minVcpu"]
    for instance_type in instance_types(args.resource_type, args.props):
        spec = instance_spec(instance_type, cfg["extraInstanceTypes"])
        if spec is None:
            report(
                f"cannot check {instance_type}: its vCPU count is neither in this policy's extraInstanceTypes "
                "nor in the catalog the pack ships; add it under extraInstanceTypes {vcpu, memoryMib} in the "
                f"policy config (aws ec2 describe-instance-types --instance-types {instance_type})."
            )
        elif spec.vcpu < minimum:
            report(
                f"{instance_type} has {spec.vcpu} vCPU: fewer, beefier instances absorb the bursts that "
                f"HTTP keep-alive pins to one instance; use at least {minimum} vCPU per instance."
            )


instance_min_vcpu = ResourceValidationPolicy(
    name="instance-min-vcpu",
    description="Fewer, beefier instances: each has at least 2 vCPU.",
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=VCPU_SCHEMA,
    validate=check_instance_min_vcpu,
    **about(
        "sizing",
        Severity.LOW,
        "Set pypiserver:instanceType to a size with at least minVcpu vCPUs (2 by default), e.g. "
        "c7a.large; for a type the pack does not know, add its {vcpu, memoryMib} under extraInstanceTypes"
        " in the policy config.",
        "https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html",
    ),
)

ASG_MAX_SCHEMA = schema(
    maxInstances={"type": "integer", "minimum": 1, "default": 4, "description": "Largest advised ASG maxSize."},
)


def check_asg_max_instances(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != ASG:
        return
    maximum = settings(args, ASG_MAX_SCHEMA)["maxInstances"]
    size = number(args.props.get("maxSize"))
    if size is not None and size > maximum:
        report(
            f"maxSize is {show(size)}: the guide recommends 2-{maximum} larger instances over many small ones "
            "(fewer ALB targets, less variance under bursts); move to a larger instance type and lower "
            f"pypiserver:asgMaxSize to {maximum} or less."
        )


asg_max_instances = ResourceValidationPolicy(
    name="asg-max-instances",
    description="Fewer, beefier instances: the Auto Scaling group grows to at most 4 instances.",
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=ASG_MAX_SCHEMA,
    validate=check_asg_max_instances,
    **about(
        "sizing",
        Severity.LOW,
        "Lower pypiserver:asgMaxSize to maxInstances (4 by default) or fewer and move to a larger instance type.",
        "https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-capacity-limits.html",
    ),
)

POLICIES = [
    asg_min_instances,
    compute_optimized_instances,
    efs_throughput_mode,
    ecs_task_max_bounded,
    ecs_task_max_fits_instances,
    instance_min_vcpu,
    asg_max_instances,
]
