from starcoder_pii.evaluate import EXACT, count_matches, format_table, scores
from starcoder_pii.spans import PiiSpan

TEXT = 'pw = "hunter22" mail = "bob@gmail.com" id = "abc"'
GOLD = [PiiSpan(6, 14, "PASSWORD", "hunter22"), PiiSpan(24, 37, "EMAIL", "bob@gmail.com")]


def test_overlap_and_exact_matching():
    predicted = [PiiSpan(5, 15, "PASSWORD", '"hunter22"'), PiiSpan(45, 48, "KEY", "abc")]
    counts = count_matches(GOLD, predicted, text=TEXT)
    assert counts["PASSWORD"] == {"tp": 1, "fp": 0, "fn": 0}
    assert counts["EMAIL"] == {"tp": 0, "fp": 0, "fn": 1}
    assert counts["KEY"] == {"tp": 0, "fp": 1, "fn": 0}
    exact = count_matches(GOLD, [PiiSpan(6, 12, "PASSWORD", "hunter")], EXACT, TEXT)
    assert exact["PASSWORD"] == {"tp": 0, "fp": 1, "fn": 1}


def test_wrong_class_is_a_miss_and_a_false_positive():
    counts = count_matches(GOLD[:1], [PiiSpan(6, 14, "KEY", "hunter22")], text=TEXT)
    assert counts["PASSWORD"]["fn"] == 1 and counts["KEY"]["fp"] == 1


def test_scores_and_table():
    result = scores({"KEY": {"tp": 3, "fp": 1, "fn": 1}, "EMAIL": {"tp": 0, "fp": 0, "fn": 0}})
    assert result["KEY"]["precision"] == 0.75 and result["KEY"]["f1"] == 0.75
    assert result["EMAIL"]["f1"] == 0.0 and result["ALL"]["tp"] == 3
    full = {
        c: {"tp": 1, "fp": 0, "fn": 1}
        for c in ("NAME", "EMAIL", "KEY", "PASSWORD", "IP_ADDRESS", "USERNAME")
    }
    table = format_table({"baseline": {"overlap": scores(full)}, "ner": {"overlap": scores(full)}})
    lines = table.splitlines()
    assert "baseline" in lines[1] and "ner" in lines[1]
    assert lines[3].split()[:4] == ["NAME", "1.000", "0.500", "0.667"]
    assert lines[-1].startswith("ALL")
