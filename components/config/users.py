"""The named principals of a stack: what each may do, who may read its secret, and its
token's generation (rotation)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from pypi_index.rights import ANY_PROJECT
from task.credentials import login_name

from .aws_values import check_principals
from .trusted_publishing import check_projects

Action = Literal["download", "list", "update"]

# A user name travels in HTTP Basic auth (no ':'), in htpasswd lines and in resource names.
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class User(BaseModel):
    """A named principal: what it may do, who may read its secret, and its token's generation.

    Rotation: bumping `rotation` adds a new token while the one of `rotation - 1` stays valid;
    setting `retiredRotation` to `rotation - 1` retires it (the second, explicit step)."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)

    name: str
    actions: list[Action]
    secret_readers: list[str] = []
    rotation: Annotated[int, Field(ge=0, le=10000)] = 0
    retired_rotation: Annotated[int, Field(ge=0)] | None = None
    # The projects a publisher may upload, remove and yank: names or patterns ('acme-*').
    projects: list[str] = list(ANY_PROJECT)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not USER_NAME.match(v):
            raise ValueError(
                "a user name is 1-64 of A-Z a-z 0-9 . _ - (no ':' or whitespace: it travels in "
                "HTTP Basic auth and htpasswd lines)"
            )
        return v

    @field_validator("actions")
    @classmethod
    def _actions(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("give at least one of download, list, update")
        if len(set(v)) != len(v):
            raise ValueError("lists an action twice")
        return v

    @field_validator("secret_readers")
    @classmethod
    def _readers(cls, v: list[str]) -> list[str]:
        return check_principals(v)

    @field_validator("projects")
    @classmethod
    def _projects(cls, v: list[str]) -> list[str]:
        return check_projects(v)

    @model_validator(mode="after")
    def _rotation(self) -> User:
        if self.projects != list(ANY_PROJECT) and not self.publishes:
            raise ValueError(f"projects limits what a publisher writes; {self.name} has no update action")
        if self.retired_rotation is not None and self.retired_rotation >= self.rotation:
            raise ValueError(
                f"retiredRotation ({self.retired_rotation}) must be below rotation ({self.rotation}): "
                "only a previous token can be retired"
            )
        return self

    @property
    def generations(self) -> tuple[int, ...]:
        """Token generations valid now, oldest first: the current one, and the previous one
        until it is retired."""
        previous = self.rotation - 1
        if previous >= 0 and self.retired_rotation != previous:
            return (previous, self.rotation)
        return (self.rotation,)

    @property
    def publishes(self) -> bool:
        return "update" in self.actions

    @property
    def login(self) -> str:
        """The username its current token logs in with (what its secret's `username` holds)."""
        return login_name(self.name, self.rotation)


# One reader (CI jobs that install) and one publisher (release jobs); the publisher keeps the
# name of the single user of earlier versions, so its clients' username does not change.
DEFAULT_USERS = [
    User(name="reader", actions=["download", "list"]),
    User(name="pypi", actions=["download", "list", "update"]),
]
