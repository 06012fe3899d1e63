import random

from starcoder_pii.dataset import (
    InjectionConfig,
    LabelledFile,
    PiiFaker,
    build_labelled_files,
    fill_template,
    inject_file,
    repo_split,
)
from starcoder_pii.spans import PII_CLASSES

HOST = "import os\n\n\ndef main():\n    return os.getcwd()\n"


def test_template_slots_become_exact_spans():
    faker, rng = PiiFaker(0), random.Random(0)
    text, spans = fill_template(
        '{c} Author: «NAME» <«EMAIL»>\nKEY = "«KEY:aws»"\n', "#", faker, rng
    )
    assert text.startswith("# Author: ")
    labels = [label for _, _, label in spans]
    assert labels == ["NAME", "EMAIL", "KEY"]
    key = text[spans[2][0] : spans[2][1]]
    assert key.startswith("AKIA") and len(key) == 20
    assert "@" in text[spans[1][0] : spans[1][1]]


def test_hard_negatives_stay_unlabelled():
    faker, rng = PiiFaker(0), random.Random(0)
    text, spans = fill_template(
        'sha = "«~HEX64»"; m = "«~EXAMPLE_EMAIL»"; v = "«~VERSION»"', "#", faker, rng
    )
    assert spans == [] and "example." in text


def test_injected_spans_point_at_their_values():
    config = InjectionConfig(seed=3, clean_fraction=0.0)
    rng = random.Random(3)
    faker = PiiFaker(3)
    for language in ("python", "javascript", "c", "shell", "yaml", "json", "fortran"):
        text, spans = inject_file(HOST, language, faker, rng, config)
        assert spans and all(text[s.start : s.end] == s.value for s in spans)
        assert all(s.label in PII_CLASSES for s in spans)
        host_lines = HOST.splitlines(keepends=True)
        kept = [line for line in text.splitlines(keepends=True) if line in host_lines]
        assert kept == host_lines  # every host line kept whole, in order


def test_splits_are_disjoint_by_repo():
    hosts = [
        {"repo": f"repo{i % 10}", "path": f"f{i}.py", "language": "python", "content": HOST}
        for i in range(60)
    ]
    files = build_labelled_files(hosts, InjectionConfig(seed=1, test_fraction=0.3))
    train = {f.repo for f in files if f.split == "train"}
    test = {f.repo for f in files if f.split == "test"}
    assert train and test and not train & test
    assert all(repo_split(f.repo, 0.3, 1) == f.split for f in files)


def test_row_round_trip():
    files = build_labelled_files(
        [{"repo": "r", "path": "a.py", "language": "python", "content": HOST}],
        InjectionConfig(seed=2, clean_fraction=0.0),
    )
    again = LabelledFile.from_row(files[0].as_row())
    assert again.spans == files[0].spans and again.text == files[0].text


def test_pseudo_labels_follow_the_host_text_through_injection():
    import random

    from starcoder_pii.dataset import InjectionConfig, PiiFaker, PseudoLabeller, inject_file

    host = "import os\n# Copyright (C) 2003 David Zeuthen\nx = 1\n" * 3
    labeller = PseudoLabeller()
    found = labeller(host, "a.py")
    assert [s.value for s in found] == ["David Zeuthen"] * 3
    text, spans = inject_file(
        host, "python", PiiFaker(1), random.Random(1), InjectionConfig(), host_spans=found
    )
    assert [s.value for s in spans if s.value == "David Zeuthen"] == ["David Zeuthen"] * 3
    assert all(text[s.start : s.end] == s.value for s in spans)
    assert labeller("KEY = 'AKIA4J7ZQX2M5NBVK3WP'\n", "a.py") is None  # secrets: host skipped
