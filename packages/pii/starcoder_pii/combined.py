"""StarCoder's final detector: the NER model, with the regexes for the structured classes.

StarCoder's redaction pipeline combined its NER model with the regex
detectors for emails and IP addresses (Li et al. 2023, section 4.4): a regex
knows the exact shape of an address, a model knows the context of a
password. :class:`CombinedDetector` takes the baseline's spans for
``regex_classes`` and the NER model's spans for every other class; where they
overlap, the longer span wins.
"""

from __future__ import annotations

from .spans import EMAIL, IP_ADDRESS, PiiSpan, resolve_overlaps


class CombinedDetector:
    """NER for the learned classes, regexes for ``regex_classes``, both for ``union_classes``."""

    name = "ner+regex"

    def __init__(
        self,
        ner,
        baseline,
        regex_classes: tuple[str, ...] = (EMAIL, IP_ADDRESS),
        union_classes: tuple[str, ...] = (),
    ):
        self.ner, self.baseline = ner, baseline
        self.regex_classes, self.union_classes = regex_classes, union_classes

    def __call__(self, text: str, path: str = "file.txt") -> list[PiiSpan]:
        return self.detect_batch([text], [path])[0]

    def detect_batch(self, texts: list[str], paths: list[str]) -> list[list[PiiSpan]]:
        learned = self.ner.detect_batch(texts, paths)
        out = []
        for text, path, spans in zip(texts, paths, learned, strict=True):
            both = self.regex_classes + self.union_classes
            rules = [s for s in self.baseline(text, path) if s.label in both]
            fixed = [s for s in rules if s.label in self.regex_classes]
            learned = [  # the regexes' addresses take precedence over the model's spans
                s
                for s in spans
                if s.label not in self.regex_classes and not any(s.overlaps(r) for r in fixed)
            ]
            out.append(resolve_overlaps(learned + rules))
        return out
