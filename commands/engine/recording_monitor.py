"""A mock resource monitor that also records what the program asked for.

The SDK's MockMonitor keeps only (urn, id, state). Policies and migration previews also
need the registration itself: inputs as sent, parent, dependencies and resource options,
which is what the real engine hands to analyzers and uses for diffs.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from guide.type_tokens import STACK

from .records import RenderedResource


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks) -> None:
        super().__init__(mocks)
        self._requests: dict[str, Any] = {}
        self._outputs: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != STACK:
            self._requests[response.urn] = request
        return response

    def RegisterResourceOutputs(self, request):
        self._outputs[request.urn] = rpc.deserialize_properties(request.outputs) or {}
        return super().RegisterResourceOutputs(request)

    def rendered(self) -> list[RenderedResource]:
        resources = []
        for urn, req in self._requests.items():
            registration = self.resources.get(urn)
            resources.append(
                RenderedResource(
                    urn=urn,
                    type=req.type,
                    name=req.name,
                    parent=req.parent or None,
                    custom=bool(req.custom),
                    id=registration.id if registration and req.custom else None,
                    inputs=_plain(rpc.deserialize_properties(req.object)),
                    outputs=_plain(registration.state) if registration and req.custom else {},
                    dependencies=tuple(req.dependencies),
                    property_dependencies={k: tuple(v.urns) for k, v in req.propertyDependencies.items()},
                    protect=bool(req.protect),
                    delete_before_replace=bool(req.deleteBeforeReplace),
                    ignore_changes=tuple(req.ignoreChanges),
                    replacement_trigger=_plain(json_format.MessageToDict(req.replacement_trigger))
                    if req.HasField("replacement_trigger")
                    else None,
                )
            )
        return sorted(resources, key=lambda r: r.urn)

    def component_outputs(self, component_type: str) -> dict[str, Any]:
        """What the component passed to register_outputs (the program exports the same)."""
        found = [urn for urn in self._outputs if urn.split("::")[2].split("$")[-1] == component_type]
        return _plain(self._outputs[found[0]]) if found else {}


def _plain(value: Any) -> Any:
    """Deserialized properties as plain JSON-like values (unwrapping secrets)."""
    if isinstance(value, dict):
        if rpc._special_sig_key in value and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
