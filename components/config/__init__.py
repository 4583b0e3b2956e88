"""The stack's configuration (`pypiserver:*` keys): the model (schema.py), the rules across
settings (checks.py), loading and one-line errors (loading.py), and the values AWS accepts
(aws_values.py). The profiles themselves are the guide's (guide/profiles.py)."""

from .errors import NAMESPACE, ConfigError, key
from .instance import DescribeInstanceType, Hardware, InstanceSpecs
from .loading import load_config
from .schema import PypiServerConfig
from .users import DEFAULT_USERS, Action, User

__all__ = [
    "DEFAULT_USERS",
    "NAMESPACE",
    "Action",
    "ConfigError",
    "DescribeInstanceType",
    "Hardware",
    "InstanceSpecs",
    "PypiServerConfig",
    "User",
    "key",
    "load_config",
]
