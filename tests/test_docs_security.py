"""docs/security.md states the limits, bounds, alarms and measurements the code and the
committed results hold (values read from their one home, never typed in twice)."""

from __future__ import annotations

import json

from components.observability import LOG_ALARMS
from pypi_index import contract, limits
from task.spec import IN_PLACE_CHANGE_BOUND_SECONDS, INDEX_SCAN_SECONDS, MAX_UPLOAD_MIB, OUT_OF_BAND_BOUND_SECONDS
from tests.support.stacks import ROOT

DOC = (ROOT / "docs" / "security.md").read_text()
FLAT = " ".join(DOC.split())


def row(first_cell: str) -> str:
    [line] = [x for x in DOC.splitlines() if x.startswith(f"| {first_cell}")]
    return line


def test_every_limit_is_stated_with_its_value():
    mib = limits.MIB
    assert f"| {MAX_UPLOAD_MIB} MiB |" in row("upload body")
    assert f"| {limits.MAX_FILENAME_BYTES} bytes, ASCII |" in row("filename")
    assert f"| {limits.MAX_ARCHIVE_MEMBERS:,} |" in row("members of one archive")
    assert f"| {limits.MAX_ZIP_DIRECTORY_BYTES:,} bytes (512 per member) |" in row("zip central directory")
    assert limits.MAX_ZIP_DIRECTORY_BYTES == limits.MAX_ARCHIVE_MEMBERS * 512, "as the doc says"
    unpacked = row("unpacked size")
    assert f"{limits.UNPACK_RATIO} × the archive's size" in unpacked
    assert f"at least {limits.UNPACK_FLOOR_BYTES // mib} MiB" in unpacked
    assert f"at most {limits.MAX_UNPACKED_BYTES // (1024 * mib)} GiB" in unpacked
    assert f"| {limits.MAX_METADATA_BYTES // mib} MiB ({limits.MAX_METADATA_BYTES:,} bytes) |" in row("METADATA")
    assert f"({limits.MAX_TAR_EXTENDED_HEADER_BYTES:,} bytes)" in row("a tar extended header")
    assert f"| {limits.MAX_YANK_REASON_CHARS} characters |" in row("yank reason")
    named = {name for name in dir(limits) if name.isupper() and name != "MIB"}
    assert len(named) == 9, f"a new limit needs its row here and in the doc: {sorted(named)}"


def test_the_folder_bounds_are_the_rendered_ones():
    assert f"within {OUT_OF_BAND_BOUND_SECONDS} s (`OUT_OF_BAND_BOUND_SECONDS`)" in FLAT
    assert (
        f"within {IN_PLACE_CHANGE_BOUND_SECONDS} s in place (`IN_PLACE_CHANGE_BOUND_SECONDS`, a sweep round of " in FLAT
    )
    assert f"a sweep round of {contract.CHANGE_SWEEP_SECONDS} s plus a pass" in FLAT
    assert f"the next pass (within {INDEX_SCAN_SECONDS} s)" in FLAT
    assert f"once unchanged for {contract.SETTLE_SECONDS} s" in FLAT


def test_the_alarms_named_are_the_rendered_ones():
    for alarm in LOG_ALARMS[1:]:
        assert f"`{alarm.suffix}`" in DOC, alarm.suffix
    assert f"`{contract.SCAN_FAILED}`" in DOC and f"`{contract.QUARANTINED}`" in DOC


def test_the_refusal_costs_are_the_committed_measurement():
    measured = json.loads((ROOT / "results" / "refusal-cost.json").read_text())
    for name, first_cell in (("rejected login (401)", "rejected login"), ("reader's write (403)", "reader's write")):
        r = measured["rows"][name]
        cells = [c.strip() for c in row(first_cell).strip("|").split("|")]
        assert cells[1:] == [
            str(r["status"]),
            str(r["seconds"]),
            f"{r['pypiserverPeakMiB']} MiB",
            f"{r['pypiserverGrowthMiB']} MiB",
            f"{r['pypiserverCpuMsPerRefusal']} ms, {r['nginxCpuMsPerRefusal']} ms",
        ], name
    assert f"a {measured['fieldMiB']} MiB form field" in FLAT and f"over {measured['small']} refusals" in FLAT


def test_the_sweep_costs_are_the_committed_measurement():
    measured = json.loads((ROOT / "results" / "sweep-cost.json").read_text())
    assert measured["roundSeconds"] == contract.CHANGE_SWEEP_SECONDS
    for r in measured["rows"]:
        line = (
            f"| {r['files']:,} | {r['roundCpuSeconds']:.2f} s | {r['microsecondsPerFile']:.2f} | "
            f"{100 * r['cpuShare']:.3f} % |"
        )
        assert line in DOC, line
    assert f"a {measured['windowSeconds']:g} s window" in FLAT
