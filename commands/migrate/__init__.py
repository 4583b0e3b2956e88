"""`make migrate`: what a move between profiles or settings does, before it touches production.

diff (resources matched by URN, with replacements), safety (data at risk), rollout (instance
refresh and ECS deployment), advice (the guide's staged moves, architecture) and policy (the
pack on the target) each take the two rendered sides; plan puts them together; report prints.
"""
