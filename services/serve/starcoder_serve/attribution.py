"""The ``attribution`` extension: where a completion comes from, and what secrets it holds.

Code models can reproduce their training data, licences and secrets included.
For each choice, on request, the replica looks the completion up in the
training set's attribution index (StarCoder's membership test and full-text
search, built by ``ray_jobs/build_index.py``) and runs the PII package's
rule-based detectors over it to flag, or replace, the emails, keys, passwords
and IP addresses the model emitted.
"""

from __future__ import annotations

from pathlib import Path

from starcoder_attribution import AttributionQueryError

from .protocol import (
    AttributedSource,
    AttributionOptions,
    ChoiceAttribution,
    CompletionRequest,
    PrivacyFinding,
    RequestError,
)

__all__ = ["CompletionAttribution"]


class CompletionAttribution:
    """Attribution and privacy checks for one replica (the index is opened once)."""

    def __init__(self, index_dir: str | Path | None):
        from starcoder_attribution import Attributor
        from starcoder_pii import BaselineDetector

        self.attributor = Attributor(index_dir) if index_dir else None
        self.detector = BaselineDetector()

    def validate(self, request: CompletionRequest) -> None:
        """Refuse, before any decoding, what this replica cannot answer."""
        options = request.attribution
        if options is None:
            return
        if options.needs_index() and self.attributor is None:
            raise RequestError(
                "This server has no attribution index: start it with one (ray_jobs/serve.py "
                "--attribution-index DIR), or ask only for the privacy check "
                '({"membership": false, "top_k": 0, "privacy": "flag"}).',
                param="attribution",
                code="attribution_unavailable",
            )
        if request.stream and options.privacy == "redact":
            raise RequestError(
                "privacy 'redact' needs the whole completion before any of it is sent: "
                "use stream: false, or privacy 'flag' to be told what was found.",
                param="attribution",
            )

    def annotate(self, text: str, options: AttributionOptions) -> tuple[str, ChoiceAttribution]:
        """The text to return (redacted if asked) and what was found about it."""
        findings, redacted = None, False
        if options.privacy != "off":
            text, findings, redacted = self._privacy(text, redact=options.privacy == "redact")
        result = ChoiceAttribution(privacy=findings, redacted=redacted)
        if not options.needs_index() or not text.strip():
            if options.membership:
                result.member, result.matched_fraction = False, 0.0
            return text, result
        try:
            found = self.attributor.attribute(text, top_k=options.top_k)
        except AttributionQueryError:  # e.g. NUL bytes the model emitted: nothing to match
            result.member, result.matched_fraction = False, 0.0
            return text, result
        if options.membership:
            result.member = found.member
            result.matched_fraction = round(found.matched_fraction, 4)
            result.spans = found.spans
        result.sources = [
            AttributedSource(
                repo=s.repo,
                path=s.path,
                license=s.license,
                score=s.score,
                matching_lines=s.matching_lines,
            )
            for s in found.sources
        ]
        return text, result

    def _privacy(self, text: str, *, redact: bool) -> tuple[str, list[PrivacyFinding], bool]:
        from starcoder_pii import redact as redact_spans
        from starcoder_pii.redact import replacement

        spans = self.detector(text, "completion.txt")
        if not redact:
            return (
                text,
                [PrivacyFinding(type=s.label, start=s.start, end=s.end) for s in spans],
                False,
            )
        redaction = redact_spans(text, spans)
        findings, shift = [], 0
        for span in redaction.spans:  # original offsets -> offsets in the redacted text
            placeholder = replacement(span)
            start = span.start + shift
            findings.append(
                PrivacyFinding(type=span.label, start=start, end=start + len(placeholder))
            )
            shift += len(placeholder) - (span.end - span.start)
        return redaction.text, findings, redaction.changed
