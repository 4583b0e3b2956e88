"""The sizing guide as pure facts: its profiles, capacity and cost math, instance catalog and
size ladder, thresholds, alarms, and the Pulumi type tokens every part of the project names.

Standard library only, and relative imports only: the policy pack is published alone (only
policy/ is uploaded), so it ships a generated copy of this whole folder as policy/guide/
(`make sync-guide`; tests/guide/test_pack_copy.py fails while the two trees differ). Both
sides import it by the same name, `guide`.
"""
