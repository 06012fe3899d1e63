"""The index job on real code: attribution, membership, false positives, bad indexes."""

import json
import random
import string

import pytest
from attribution_fixture import FILES, STDLIB, write_curated
from starcoder_attribution import (
    Attributor,
    BloomFileError,
    IndexNotFoundError,
    SearchIndexError,
    hash_ngrams,
)
from starcoder_attribution.cli import main as cli

from ray_jobs.build_index import main as build_index

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def index_dir(ray_cluster, tmp_path_factory):
    root = tmp_path_factory.mktemp("attribution")
    data = write_curated(root)
    assert build_index(["--data", str(data), "--output", str(root / "index")]) == 0
    return root / "index"


def test_a_copied_snippet_is_attributed_to_its_file(index_dir):
    text = (STDLIB / "calendar.py").read_text()
    start = text.index("def monthrange")
    snippet = "# helper copied into my project\n" + text[start : start + 900]
    result = Attributor(index_dir).attribute(snippet, top_k=3)
    assert result.member and result.matched_fraction > 0.8
    top = result.sources[0]
    assert (top.repo, top.path, top.license) == (
        "zenith/calendar",
        "src/calendar.py",
        "BSD-3-Clause",
    )
    assert len(top.matching_lines) > 10
    [(begin, end)] = result.spans
    assert begin >= snippet.index("def monthrange") and end <= len(snippet)


def test_a_freshly_written_snippet_is_not_a_member(index_dir):
    fresh = '''
def schedule_meetings(people, rooms, slots):
    """Greedy room assignment: the largest meetings pick first."""
    taken = {(room, slot): None for room in rooms for slot in slots}
    for meeting in sorted(people, key=len, reverse=True):
        for key, holder in taken.items():
            if holder is None and key[0].capacity >= len(meeting):
                taken[key] = meeting
                break
    return {key: who for key, who in taken.items() if who}
'''
    result = Attributor(index_dir).attribute(fresh)
    assert not result.member and result.matched_fraction == 0.0 and result.spans == []


def test_measured_false_positive_rate_is_near_the_configured_one(index_dir):
    attributor = Attributor(index_dir)
    configured = attributor.manifest.membership.false_positive_rate
    rng = random.Random(0)
    alphabet = string.ascii_letters + string.digits + " (){}=+-*/.,:"
    probes = ["".join(rng.choices(alphabet, k=50)) for _ in range(40_000)]
    measured = attributor.bloom.contains(*hash_ngrams(probes)).mean()
    assert configured / 1.5 <= measured <= configured * 1.5
    manifest = json.loads((index_dir / "manifest.json").read_text())
    assert manifest["files"] == sum(len(m) for _, _, m in FILES.values())
    assert manifest["distinct_ngrams"] <= manifest["ngrams"]


def test_cli_check_and_in_data(index_dir, tmp_path, capsys):
    snippet = tmp_path / "snippet.py"
    text = (STDLIB / "textwrap.py").read_text()
    snippet.write_text(text[2000:3200])
    assert cli(["check", "--index", str(index_dir), "--json", str(snippet)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["member"] and result["sources"][0]["repo"] == "acme/textkit"
    assert cli(["in-data", "--index", str(index_dir), "acme"]) == 0
    listing = capsys.readouterr().out
    assert "7 files of 'acme'" in listing and "src/heapq.py" in listing and "--optout" in listing


def test_bad_queries_and_broken_indexes_are_clear_errors(index_dir, tmp_path, capsys):
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x7fELF\x00\x01\x02")
    assert cli(["check", "--index", str(index_dir), str(binary)]) == 2
    assert "binary" in capsys.readouterr().err
    assert cli(["check", "--index", str(tmp_path / "none"), str(binary)]) == 2
    assert "manifest.json is missing" in capsys.readouterr().err

    broken = tmp_path / "broken"
    broken.mkdir()
    for item in index_dir.iterdir():
        if item.is_file():
            (broken / item.name).write_bytes(item.read_bytes())
    with pytest.raises(SearchIndexError, match=str(broken / "search")):
        Attributor(broken)
    (broken / "search").mkdir()
    (broken / "search" / "meta.json").write_text("{not json")
    with pytest.raises(SearchIndexError, match="unreadable"):
        Attributor(broken)
    bloom = broken / "membership.bloom"
    bloom.write_bytes(bloom.read_bytes()[:-3])
    with pytest.raises(BloomFileError, match=str(bloom)):
        Attributor(broken)
    (broken / "manifest.json").write_text("{}")
    with pytest.raises(IndexNotFoundError, match="not a valid index manifest"):
        Attributor(broken)


def test_rebuilding_into_a_full_folder_needs_overwrite(index_dir):
    with pytest.raises(SystemExit, match="--overwrite"):
        build_index(["--data", str(index_dir.parent / "data"), "--output", str(index_dir)])
