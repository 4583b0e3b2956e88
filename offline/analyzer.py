"""A client of the Pulumi analyzer protocol: runs the policy pack the way the engine does.

`pulumi preview --policy-pack policy --policy-pack-config FILE` starts the pack as its own
process (`python -u -m pulumi.policy <engine> .` in the pack directory, with PULUMI_STACK,
PULUMI_PROJECT, PULUMI_DRY_RUN, PULUMI_CONFIG...), reads the port it prints, asks it for its
policies (GetAnalyzerInfo), reconciles the organization's config with the schema defaults
(pulumi/pulumi pkg/resource/analyzer/config.go, ReconcilePolicyPackConfig), sends it with
Configure (an enforcement level for every policy), then sends each resource's inputs with
Analyze and the whole stack's outputs, parents and dependencies with AnalyzeStack. This module
does the same over the same gRPC protocol, with no CLI and no cloud.

Where the engine accepts a config silently, this client is stricter: a policy name that the
pack does not have, or a setting a policy does not declare, is an error (a typo would
otherwise switch nothing off or on without a word).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from jsonschema import Draft7Validator
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi.runtime.proto import analyzer_pb2_grpc

PACK_DIR = Path(__file__).resolve().parent.parent / "policy"
EXAMPLE_POLICY_CONFIG = PACK_DIR / "config.example.json"

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
_LEVEL_TO_PROTO = {
    "advisory": proto.ADVISORY,
    "mandatory": proto.MANDATORY,
    "remediate": proto.REMEDIATE,
    "disabled": proto.DISABLED,
}
_PROTO_TO_LEVEL = {v: k for k, v in _LEVEL_TO_PROTO.items()}
_PROTO_TO_SEVERITY = {
    proto.POLICY_SEVERITY_LOW: "low",
    proto.POLICY_SEVERITY_MEDIUM: "medium",
    proto.POLICY_SEVERITY_HIGH: "high",
    proto.POLICY_SEVERITY_CRITICAL: "critical",
}
# The pack never dials the engine (Python packs only log through it); the argument is required.
_ENGINE_ADDRESS = "127.0.0.1:0"
_START_TIMEOUT_S = 60
_RPC_TIMEOUT_S = 60


class PolicyError(Exception):
    """Bad policy config or a pack that cannot run; str(e) is one line for the user."""


class Resource(Protocol):
    """What the client needs of a previewed resource (offline.engine.RenderedResource)."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict
    outputs: dict
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    protect: bool
    delete_before_replace: bool
    ignore_changes: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """One diagnostic, as the CLI prints it: policy, level, resource and message."""

    policy: str
    level: str
    urn: str  # "" for a stack-level finding not tied to a resource
    description: str
    message: str  # what the policy said, without the description the SDK prefixes
    severity: str = ""  # low, medium, high, critical ("" when the policy declares none)

    @property
    def resource(self) -> str:
        return self.urn.rsplit("::", 1)[-1] if self.urn else "(stack)"

    @property
    def blocking(self) -> bool:
        return self.level == "mandatory"

    def as_dict(self) -> dict[str, str]:
        return {
            "policy": self.policy,
            "level": self.level,
            "severity": self.severity,
            "resource": self.resource,
            "urn": self.urn,
            "description": self.description,
            "message": self.message,
        }


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    level: str
    properties: dict[str, dict] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    # What the Pulumi Cloud console and the CLI show next to a violation.
    severity: str = ""
    remediation_steps: str = ""
    url: str = ""
    tags: tuple[str, ...] = ()
    framework: str = ""  # "name: reference"


@dataclass(frozen=True)
class PolicyConfig:
    """One policy's reconciled config: what Configure sends for it."""

    level: str
    properties: dict[str, Any]


# --- policy config, as the engine reads and reconciles it ---------------------------------


def load_policy_config(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON file given to --policy-pack-config: {"all": level, "<policy>": level | {...}}."""
    try:
        raw = Path(path).read_text()
    except FileNotFoundError:
        raise PolicyError(f"policy config {path}: no such file") from None
    except OSError as e:
        raise PolicyError(f"policy config {path}: cannot read it ({e.strerror})") from None
    if not raw.strip():
        return {}  # the engine accepts an empty file as "no config"
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as e:
        raise PolicyError(
            f"policy config {path}: not valid JSON ({e.msg} at line {e.lineno} column {e.colno})"
        ) from None
    if not isinstance(config, dict):
        raise PolicyError(f"policy config {path}: must be a JSON object of policy names, got {type(config).__name__}")
    return config


def _parse_entry(name: str, value: Any) -> tuple[str | None, dict[str, Any]]:
    """(enforcement level or None, properties) of one top-level entry (config.go parsePolicyPackConfig)."""
    if isinstance(value, str):
        if value not in LEVELS:
            raise PolicyError(
                f"policy config: {name}: {value!r} is not an enforcement level (allowed: {', '.join(LEVELS)})"
            )
        return value, {}
    if isinstance(value, dict):
        props = dict(value)
        level = props.pop("enforcementLevel", None)
        if level is not None and level not in LEVELS:
            raise PolicyError(
                f"policy config: {name}.enforcementLevel: {level!r} is not an enforcement level "
                f"(allowed: {', '.join(LEVELS)})"
            )
        return level, props
    raise PolicyError(
        f"policy config: {name}: {json.dumps(value)} is not valid; must be an enforcement level string or an object"
    )


def reconcile(
    policies: Sequence[PolicyInfo],
    config: Mapping[str, Any],
    initial: Mapping[str, tuple[str | None, dict]] | None = None,
) -> dict[str, PolicyConfig]:
    """Schema defaults, then the pack's initial config, then `all`, then per-policy entries;
    every policy ends with an enforcement level. Raises PolicyError (one line) on bad config."""
    known = {p.name: p for p in policies}
    given = {name: _parse_entry(name, value) for name, value in config.items()}
    for name, (_, props) in given.items():
        if name == "all":
            if props:
                raise PolicyError(
                    f"policy config: all: only an enforcement level applies to all policies, "
                    f"not {', '.join(sorted(props))}"
                )
            continue
        if name not in known:
            raise PolicyError(f"policy config: unknown policy {name!r} (policies: {', '.join(sorted(known))})")
        undeclared = sorted(set(props) - set(known[name].properties))
        if undeclared:
            settable = ", ".join(sorted(known[name].properties)) or "none"
            raise PolicyError(f"policy config: {name}: unknown setting {undeclared[0]!r} (settings: {settable})")

    result = {
        p.name: PolicyConfig(p.level, {k: v["default"] for k, v in p.properties.items() if "default" in v})
        for p in policies
    }
    for layer in (initial or {}, given):
        all_level = layer.get("all", (None, {}))[0]
        if all_level:
            result = {name: PolicyConfig(all_level, c.properties) for name, c in result.items()}
        for name, (level, props) in layer.items():
            if name == "all" or name not in result:
                continue
            current = result[name]
            result[name] = PolicyConfig(level or current.level, {**current.properties, **props})

    errors = [f"{p.name}: {error}" for p in policies for error in _schema_errors(p, result[p.name].properties)]
    if errors:
        raise PolicyError("policy config: " + "; ".join(errors))
    return result


def _schema_errors(policy: PolicyInfo, properties: Mapping[str, Any]) -> list[str]:
    """The engine's check (gojsonschema over {type: object, properties, required})."""
    schema: dict[str, Any] = {"type": "object", "properties": policy.properties}
    if policy.required:
        schema["required"] = list(policy.required)
    errors = []
    for error in sorted(Draft7Validator(schema).iter_errors(dict(properties)), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in error.absolute_path)
        errors.append(f"{where}: {error.message}" if where else error.message)
    return errors


# --- wire format -------------------------------------------------------------------------


def to_struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """Properties as the engine marshals them: a Struct (so every number becomes a float)."""
    struct = struct_pb2.Struct()
    struct.update(_jsonable(dict(values)))
    return struct


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def _options(resource: Resource) -> proto.AnalyzerResourceOptions:
    return proto.AnalyzerResourceOptions(
        protect=bool(resource.protect),
        ignoreChanges=list(resource.ignore_changes),
        deleteBeforeReplace=bool(resource.delete_before_replace),
        deleteBeforeReplaceDefined=True,
        parent=resource.parent or "",
    )


def _verdicts(response: proto.AnalyzeResponse, default_urn: str) -> list[Verdict]:
    found = []
    for d in response.diagnostics:
        prefix = d.description + "\n"
        message = d.message[len(prefix) :] if d.description and d.message.startswith(prefix) else d.message
        found.append(
            Verdict(
                policy=d.policyName,
                level=_PROTO_TO_LEVEL.get(d.enforcementLevel, "advisory"),
                urn=d.urn or default_urn,
                description=d.description,
                message=message,
                severity=_PROTO_TO_SEVERITY.get(d.severity, ""),
            )
        )
    return found


# --- the pack process --------------------------------------------------------------------


class AnalyzerClient:
    """Speaks the analyzer protocol to a pack through a stub (`AnalyzerStub` over gRPC, or
    anything with the same methods): what the engine does once the pack is up."""

    def __init__(self, stub: Any) -> None:
        self.stub = stub
        self.info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=_RPC_TIMEOUT_S)
        self.policies = [
            PolicyInfo(
                name=p.name,
                description=p.description,
                level=_PROTO_TO_LEVEL.get(p.enforcementLevel, "advisory"),
                properties=json_format.MessageToDict(p.configSchema.properties),
                required=tuple(p.configSchema.required),
                severity=_PROTO_TO_SEVERITY.get(p.severity, ""),
                remediation_steps=p.remediation_steps,
                url=p.url,
                tags=tuple(p.tags),
                framework=": ".join(x for x in (p.framework.name, p.framework.reference) if x),
            )
            for p in self.info.policies
        ]
        # As the engine reads it: a level is always present on the wire (0 = advisory).
        self._initial = {
            name: (_PROTO_TO_LEVEL.get(c.enforcementLevel, "advisory"), json_format.MessageToDict(c.properties))
            for name, c in self.info.initialConfig.items()
        }

    def configure_stack(
        self, *, stack: str, project: str, organization: str, dry_run: bool, config: Mapping[str, str]
    ) -> None:
        self.stub.ConfigureStack(
            proto.AnalyzerStackConfigureRequest(
                stack=stack, project=project, organization=organization, dry_run=dry_run, config=dict(config)
            ),
            timeout=_RPC_TIMEOUT_S,
        )

    def configure(self, policy_config: Mapping[str, Any] | None) -> dict[str, PolicyConfig]:
        """Reconcile the organization's config and send it (every policy gets a level: the
        SDK reads a missing level as 0 = advisory, which would silently downgrade it)."""
        reconciled = reconcile(self.policies, policy_config or {}, self._initial)
        self.stub.Configure(
            proto.ConfigureAnalyzerRequest(
                policyConfig={
                    name: proto.PolicyConfig(
                        enforcementLevel=_LEVEL_TO_PROTO[c.level], properties=to_struct(c.properties)
                    )
                    for name, c in reconciled.items()
                }
            ),
            timeout=_RPC_TIMEOUT_S,
        )
        return reconciled

    def analyze(self, resources: Sequence[Resource]) -> list[Verdict]:
        """Analyze for each resource (its inputs), then AnalyzeStack (outputs and graph)."""
        verdicts: list[Verdict] = []
        for r in resources:
            response = self.stub.Analyze(
                proto.AnalyzeRequest(
                    type=r.type, properties=to_struct(r.inputs), urn=r.urn, name=r.name, options=_options(r)
                ),
                timeout=_RPC_TIMEOUT_S,
            )
            verdicts += _verdicts(response, r.urn)
        response = self.stub.AnalyzeStack(
            proto.AnalyzeStackRequest(
                resources=[
                    proto.AnalyzerResource(
                        type=r.type,
                        properties=to_struct(r.outputs),
                        urn=r.urn,
                        name=r.name,
                        options=_options(r),
                        parent=r.parent or "",
                        dependencies=list(r.dependencies),
                        propertyDependencies={
                            k: proto.AnalyzerPropertyDependencies(urns=list(v))
                            for k, v in r.property_dependencies.items()
                        },
                    )
                    for r in resources
                ]
            ),
            timeout=_RPC_TIMEOUT_S,
        )
        return verdicts + _verdicts(response, "")


class PolicyPackProcess(AnalyzerClient):
    """The pack running in its own process, as the engine starts it.

    One process serves one stack (PULUMI_STACK is fixed at start); it can be reconfigured
    and asked about any number of previews of that stack.
    """

    def __init__(
        self,
        *,
        stack: str,
        project: str,
        config: Mapping[str, str] | None = None,
        dry_run: bool = True,
        pack_dir: Path = PACK_DIR,
        organization: str = "organization",
    ) -> None:
        self.stack, self.project = stack, project
        config = dict(config or {})
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
        env.update(
            {
                "PULUMI_STACK": stack,
                "PULUMI_PROJECT": project,
                "PULUMI_ORGANIZATION": organization,
                "PULUMI_DRY_RUN": "true" if dry_run else "false",
                "PULUMI_CONFIG": json.dumps(config),
            }
        )
        self._channel = None
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-u", "-m", "pulumi.policy", _ENGINE_ADDRESS, "."],
                cwd=pack_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as e:
            raise PolicyError(f"cannot start the policy pack in {pack_dir}: {e.strerror}") from None
        self._stderr: list[str] = []
        self._stdout: queue.Queue[bytes] = queue.Queue()
        # Both pipes are read for the pack's whole life: a full pipe would block the pack.
        self._stderr_reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_reader.start()
        threading.Thread(target=self._drain_stdout, daemon=True).start()
        port = self._read_port()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        try:
            super().__init__(analyzer_pb2_grpc.AnalyzerStub(self._channel))
            self.configure_stack(
                stack=stack, project=project, organization=organization, dry_run=dry_run, config=config
            )
        except grpc.RpcError as e:
            self.close()
            raise PolicyError(f"the policy pack does not answer: {e.details()}") from None

    def _drain_stderr(self) -> None:
        assert self._process.stderr is not None  # started with stderr=PIPE
        for line in self._process.stderr:
            self._stderr.append(line.decode(errors="replace").rstrip())

    def _drain_stdout(self) -> None:
        assert self._process.stdout is not None  # started with stdout=PIPE
        for line in self._process.stdout:
            self._stdout.put(line)
        self._stdout.put(b"")  # end of output: the pack exited

    def _read_port(self) -> int:
        """The first stdout line is the port (pulumi_policy.PolicyPack writes "<port>\\n")."""
        try:
            line = self._stdout.get(timeout=_START_TIMEOUT_S)
        except queue.Empty:
            line = b""
        try:
            return int(line.strip())
        except ValueError:
            self.close()
            self._stderr_reader.join(timeout=5)
            last = next((s for s in reversed(self._stderr) if s.strip()), "no output")
            raise PolicyError(f"the policy pack did not start: {last}") from None

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> PolicyPackProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def check(
    resources: Sequence[Resource],
    *,
    stack: str,
    project: str,
    config: Mapping[str, str] | None = None,
    policy_config: Mapping[str, Any] | None = None,
) -> list[Verdict]:
    """Start the pack for a stack, configure it, analyze every resource, stop it."""
    with PolicyPackProcess(stack=stack, project=project, config=config) as pack:
        pack.configure(policy_config)
        return sort_verdicts(pack.analyze(resources))


def sort_verdicts(verdicts: Iterable[Verdict]) -> list[Verdict]:
    """Blocking ones first, then by policy and resource: stable output for people and diffs."""
    return sorted(verdicts, key=lambda v: (not v.blocking, v.policy, v.urn, v.message))


def blocked(verdicts: Iterable[Verdict]) -> bool:
    """The CLI fails a preview when any mandatory policy is violated."""
    return any(v.blocking for v in verdicts)


# --- for the preview command -------------------------------------------------------------


def check_preview(
    preview: Any, policy_config: Mapping[str, Any], config: Mapping[str, str] | None = None
) -> list[Verdict]:
    """Verdicts for an offline.engine.StackPreview; `config` is the stack's PULUMI_CONFIG."""
    return check(
        preview.resources, stack=preview.stack, project=preview.project, config=config, policy_config=policy_config
    )


def render_verdicts(verdicts: Sequence[Verdict], config_path: str | os.PathLike, console: Any) -> None:
    """The verdicts table and a closing line saying whether the CLI would block."""
    from rich.table import Table
    from rich.text import Text

    table = Table("level", "policy", "resource", "message", title=Text(f"Policy verdicts (config: {config_path})"))
    for v in verdicts:
        table.add_row(
            Text(v.level, style="bold red" if v.blocking else "yellow"),
            Text(v.policy),
            Text(v.resource),
            Text(v.message),
        )
    if verdicts:
        console.print(table)
    mandatory = sum(v.blocking for v in verdicts)
    if mandatory:
        console.print(
            f"[bold red]Policy: {mandatory} mandatory violation(s): `pulumi preview` with this pack would fail.[/]"
        )
    else:
        console.print(f"[bold green]Policy: no mandatory violation[/] ({len(verdicts)} advisory).")
