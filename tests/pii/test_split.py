"""The real-file set's validation / test parts: by package, stable, every class in each."""

from collections import Counter

from starcoder_pii.real_eval import (
    SPLIT_SALT,
    TEST,
    VALIDATION,
    load_real_windows,
    split_windows,
    window_part,
)


def test_parts_split_by_package_and_hold_every_class():
    windows = load_real_windows()
    parts = split_windows(windows)
    assert SPLIT_SALT == 262 and sum(len(p) for p in parts.values()) == len(windows)
    packages = {name: {w.package for w in part} for name, part in parts.items()}
    assert not packages[VALIDATION] & packages[TEST]
    for part in parts.values():
        counts = Counter(s.label for w in part for s in w.spans)
        assert min(counts[c] for c in ("KEY", "PASSWORD", "IP_ADDRESS", "USERNAME")) >= 8
        assert sum(w.hard_negative for w in part) >= 30
    assert window_part("oauthlib") == window_part("oauthlib")
