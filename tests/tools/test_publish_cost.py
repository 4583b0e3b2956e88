"""tools/publish_cost.py, run small: it mints, uploads both ways, and prints what it measured
(counts and shapes are checked, never times)."""

import re

from tests.support.real_parts import nginx_available, require_real_part
from tools.publish_cost import main


def test_a_small_run_prints_mint_percentiles_and_the_ratio(capsys):
    require_real_part(nginx_available(), "nginx")
    assert main(["--mints", "5", "--uploads", "3", "--clients", "2", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"5 sequential mints: P50 [\d.]+ ms, P95 [\d.]+ ms", out), out
    assert re.search(r"named user [\d.]+/s, minted token [\d.]+/s, token/named = [\d.]+", out), out
