"""The pack's policies, by concern. Importing this starts nothing (the PolicyPack, which
serves and blocks, is built only in policy/__main__.py)."""

from policies import deployability, reliability, security, sizing

ALL_POLICIES = [*sizing.POLICIES, *security.POLICIES, *reliability.POLICIES, *deployability.POLICIES]
