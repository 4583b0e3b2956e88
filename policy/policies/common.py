"""What every policy needs: resource type tokens, tolerant readers for the properties the
engine sends, settings with schema defaults, and the instance catalog.

How properties arrive (pulumi-policy 1.21): camelCase keys, every number as a float, secrets
already unwrapped, containers wrapped in read-only Mapping/Sequence proxies (not dict/list),
and unknown values (during preview) as sentinels that raise UnknownValueError on access. The
readers below never raise anything else on odd shapes; UnknownValueError is left to the SDK,
which turns it into an advisory "can't run policy ... during preview".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi_policy import PolicyComplianceFramework, PolicyConfigSchema, Severity

from guide.catalog import InstanceSpec, catalog
from guide.instance_types import InstanceClass, InstanceTypeNameError, instance_class
from guide.type_tokens import ASG, EC2_INSTANCE, LAUNCH_TEMPLATE

ECS_DESIRED_COUNT = "ecs:service:DesiredCount"


# --- reading properties -------------------------------------------------------------------


def mapping(value: Any) -> Mapping:
    """The value if it is an object, else an empty one (absent or mistyped blocks)."""
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list:
    """The elements of a list property; [] when absent or not a list. Iterating reads every
    element, so an unknown element raises UnknownValueError here, not later."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return list(value)
    return []


def dig(value: Any, *keys: str) -> Any:
    """props["a"]["b"]... or None when a level is missing or not an object."""
    for key in keys:
        value = mapping(value).get(key)
    return value


def redirects_to_https(action: Any) -> bool:
    """A listener action that sends the client to HTTPS (the only plain-HTTP answer allowed)."""
    action = mapping(action)
    return action.get("type") == "redirect" and dig(action, "redirect", "protocol") == "HTTPS"


def number(value: Any) -> float | None:
    """A numeric property as float (the wire sends floats; some inputs are numeric strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def is_true(value: Any) -> bool:
    """Booleans arrive as bools, or as "true"/"false" strings where the schema says string."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def show(value: float | int | None) -> str:
    """2.0 -> "2", so messages read like the stack file, not like the wire."""
    if value is None:
        return "unset"
    return str(int(value)) if float(value).is_integer() else str(value)


def json_list(value: Any) -> list:
    """A JSON-encoded list property (ECS containerDefinitions); [] when it is not one."""
    if not isinstance(value, str):
        return items(value)
    try:
        decoded = json.loads(value)
    except ValueError:
        return []
    return decoded if isinstance(decoded, list) else []


# --- metadata the Pulumi Cloud console and the CLI show ---------------------------------

# Each policy belongs to one concern (its module), shown as a tag and as the framework the
# console groups policies by; the sizing rules come from the sizing guide, the others from
# the AWS Well-Architected pillars they serve.
CONCERNS = {
    "sizing": PolicyComplianceFramework(
        name="pypiserver sizing guide",
        reference="sizing principles",
        specification="At least two instances, compute-optimized families, "
        "elastic EFS throughput, a bounded task maximum that the "
        "instances can hold; fewer, beefier instances.",
    ),
    "security": PolicyComplianceFramework(name="AWS Well-Architected Framework", reference="Security pillar"),
    "reliability": PolicyComplianceFramework(name="AWS Well-Architected Framework", reference="Reliability pillar"),
    "deployability": PolicyComplianceFramework(
        name="AWS Well-Architected Framework",
        reference="Reliability pillar",
        specification="What renders as valid input must also work once deployed: instances reach AWS's "
        "endpoints, alarms reach their topic, credentials never cross the internet in clear text.",
    ),
}


def about(concern: str, severity: Severity, remediation_steps: str, url: str) -> dict[str, Any]:
    """The metadata keyword arguments every policy passes: severity, what to change, where to
    read more, and its concern (tag and framework)."""
    return {
        "severity": severity,
        "remediation_steps": remediation_steps,
        "url": url,
        "tags": [concern],
        "framework": CONCERNS[concern],
    }


# --- settings ----------------------------------------------------------------------------


def schema(**properties: dict) -> PolicyConfigSchema:
    """A config schema; every property must declare its default (the engine fills defaults
    in, but an in-process run or an older CLI may not, so `settings` applies them too)."""
    for key, prop in properties.items():
        if "default" not in prop:
            raise TypeError(f"config property {key!r} needs a default")
    return PolicyConfigSchema(properties=properties)


def settings(args: Any, config_schema: PolicyConfigSchema) -> dict[str, Any]:
    """The policy's config over its schema defaults. Numbers come back from the engine as
    floats; integer settings are turned back into ints."""
    given = args.get_config() or {}
    result: dict[str, Any] = {}
    for key, prop in config_schema.properties.items():
        value = given.get(key, prop["default"])
        if prop.get("type") == "integer" and isinstance(value, float) and value.is_integer():
            value = int(value)
        result[key] = value
    return result


def current_stack() -> str:
    """The stack being checked. The engine starts the pack with PULUMI_STACK set, and
    pulumi-policy reconfigures the runtime from it before every Analyze/AnalyzeStack."""
    return pulumi.get_stack()


# --- instances ---------------------------------------------------------------------------


def instance_spec(instance_type: str, extra_types: Mapping | None = None) -> InstanceSpec | None:
    """vCPU and memory for a type: the built-in catalog (generated copy of the component's),
    then types the organization adds in policy config as {type: {vcpu, memoryMib}}."""
    known = catalog().get(instance_type)
    if known is not None:
        return known
    extra = mapping(mapping(extra_types).get(instance_type))
    vcpu, memory = number(extra.get("vcpu")), number(extra.get("memoryMib"))
    if vcpu and memory:
        return InstanceSpec(
            vcpu=int(vcpu),
            memory_mib=int(memory),
            hourly_usd=0.0,
            arch="x86_64",
            instance_class=_class_of(instance_type),
        )
    return None


def _class_of(instance_type: str) -> InstanceClass:
    try:
        return instance_class(instance_type)
    except InstanceTypeNameError:
        return "unknown"


def instance_types(resource_type: str, props: Mapping) -> list[str]:
    """Every instance type a launch template, instance or ASG can launch: the template's own,
    and a mixed-instances policy's overrides."""
    if resource_type in (LAUNCH_TEMPLATE, EC2_INSTANCE):
        found = [props.get("instanceType")]
    elif resource_type == ASG:
        overrides = items(dig(props, "mixedInstancesPolicy", "launchTemplate", "overrides"))
        found = [mapping(o).get("instanceType") for o in overrides]
    else:
        found = []
    return [t for t in found if isinstance(t, str) and t]
