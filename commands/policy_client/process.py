"""A client of the Pulumi analyzer protocol: runs the policy pack the way the engine does.

`pulumi preview --policy-pack policy --policy-pack-config FILE` starts the pack as its own
process (`python -u -m pulumi.policy <engine> .` in the pack directory, with PULUMI_STACK,
PULUMI_PROJECT, PULUMI_DRY_RUN, PULUMI_CONFIG...), reads the port it prints, asks it for its
policies (GetAnalyzerInfo), reconciles the organization's config with the schema defaults
(pulumi/pulumi pkg/resource/analyzer/config.go, ReconcilePolicyPackConfig), sends it with
Configure (an enforcement level for every policy), then sends each resource's inputs with
Analyze and the whole stack's outputs, parents and dependencies with AnalyzeStack. This module
does the same over the same gRPC protocol, with no CLI and no cloud.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi.runtime.proto import analyzer_pb2_grpc

from .config import PolicyConfig, reconcile
from .records import PolicyError, PolicyInfo, Resource, Verdict

PACK_DIR = Path(__file__).resolve().parents[2] / "policy"
EXAMPLE_POLICY_CONFIG = PACK_DIR / "config.example.json"

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
    """Verdicts for an commands.engine.StackPreview; `config` is the stack's PULUMI_CONFIG."""
    return check(
        preview.resources, stack=preview.stack, project=preview.project, config=config, policy_config=policy_config
    )
