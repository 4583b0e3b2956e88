"""What the engine records: every registration as the program sent it, and the stack it makes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Inputs the Pulumi CLI shows as [secret] (the provider marks them secret): the offline
# commands never print them either, even though the mocks' values are made up.
SECRET_INPUTS = {
    "aws:secretsmanager/secretVersion:SecretVersion": ("secretString", "secretBinary"),
    "random:index/randomPassword:RandomPassword": ("result", "bcryptHash"),
}
SECRET_SHOWN = "[secret]"


def shown(type_: str, path: str, value: Any) -> Any:
    """The value as the offline commands print it: [secret] for a secret input or below it."""
    top = path.split(".", 1)[0].split("[", 1)[0]
    return SECRET_SHOWN if top in SECRET_INPUTS.get(type_, ()) and value is not None else value


def shown_inputs(type_: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {k: shown(type_, k, v) for k, v in inputs.items()}


@dataclass(frozen=True)
class RenderedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    id: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    protect: bool = False
    delete_before_replace: bool = False
    ignore_changes: tuple[str, ...] = ()
    # A value whose change replaces the resource (ResourceOptions.replacement_trigger), if any.
    replacement_trigger: Any = None


@dataclass
class StackPreview:
    stack: str
    project: str
    config: Any  # components.config.PypiServerConfig
    resources: list[RenderedResource]
    outputs: dict[str, Any]

    def of_type(self, type_token: str) -> list[RenderedResource]:
        return [r for r in self.resources if r.type == type_token]

    def single(self, type_token: str) -> RenderedResource | None:
        """The one rendered resource of a type, or None (absent, or several)."""
        found = self.of_type(type_token)
        return found[0] if len(found) == 1 else None

    def one(self, type_token: str, name: str | None = None) -> RenderedResource:
        """The single resource of a type (and name); raises if there is not exactly one."""
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {type_token} {name or ''}, found {len(found)}")
        return found[0]
