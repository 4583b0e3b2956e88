"""Shared test setup. Tests mirror the packages (tests/<package>/); helpers live in
tests/support/ and are imported as `tests.support.<module>`."""

# The policy pack's fixtures (analyze, pack_pool) reach every test by name, as pytest fixtures
# should, instead of being imported; loading it also puts policy/ on sys.path for the pack's modules.
pytest_plugins = ["tests.support.policy_fixtures"]
