"""tools/auth_cost.py builds valid user lists for each variant it compares."""

from commands.engine import stack_config
from components.config import load_config
from tools.auth_cost import users_json


def test_variants_are_valid_configs_with_the_counted_users():
    for count in (1, 2, 100):
        users = load_config(stack_config("heavy", {"users": users_json(count)})).users
        assert len(users) == count and len({u.name for u in users}) == count
        assert [u.name for u in users if u.publishes] == ["pypi"], "one publisher, the rest readers"
