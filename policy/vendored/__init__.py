"""Generated copies of components/sizing.py, catalog.py, instance_types.py, type_tokens.py,
guide_alarms.py and instance_catalog.json: the facts the pack shares with the component.
Do not edit: run `make vendor-policy` after changing the originals
(tests/test_policy_vendored.py fails while they differ). The pack is published on its own,
so it cannot import components/.
"""
