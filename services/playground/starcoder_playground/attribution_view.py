"""How the playground shows a completion's attribution: highlighted text and its sources."""

from __future__ import annotations

import html

__all__ = ["ATTRIBUTION_OPTIONS", "render_attribution"]

# What the playground asks the serve app for when attribution is switched on.
ATTRIBUTION_OPTIONS = {"membership": True, "top_k": 3, "privacy": "flag"}

STYLE = (
    "<style>.attribution pre{white-space:pre-wrap}"
    ".attribution mark.member{background:#ffe08a}"
    ".attribution mark.secret{background:#ff9b9b}</style>"
)


def _highlighted(text: str, attribution: dict) -> str:
    """``text`` as HTML, training-data matches and flagged secrets marked."""
    marks = [(a, b, "member", "in the training data") for a, b in attribution.get("spans") or []]
    for finding in attribution.get("privacy") or []:
        marks.append((finding["start"], finding["end"], "secret", finding["type"]))
    boundaries = sorted({0, len(text), *[p for a, b, *_ in marks for p in (a, b)]})
    parts = []
    for start, end in zip(boundaries, boundaries[1:], strict=False):
        piece = html.escape(text[start:end], quote=False)
        covering = [m for m in marks if m[0] <= start and end <= m[1]]
        for _, _, kind, title in covering:  # a secret inside a match is marked twice
            piece = f'<mark class="{kind}" title="{html.escape(title)}">{piece}</mark>'
        parts.append(piece)
    return "".join(parts)


def render_attribution(text: str, attribution: dict | None) -> str:
    """The attribution panel's HTML for one completion (empty when there is nothing to say)."""
    if not attribution:
        return ""
    lines = [STYLE, '<div class="attribution">']
    if attribution.get("member") is not None:
        share = attribution.get("matched_fraction") or 0.0
        verdict = "found in the training data" if attribution["member"] else "not found"
        lines.append(f"<p><b>Membership:</b> {verdict} ({share:.0%} of the text matched)</p>")
    findings = attribution.get("privacy")
    if findings is not None:
        kinds = ", ".join(sorted({f["type"] for f in findings})) or "none"
        lines.append(f"<p><b>Possible secrets or personal data:</b> {html.escape(kinds)}</p>")
    lines.append(f"<pre>{_highlighted(text, attribution)}</pre>")
    sources = attribution.get("sources") or []
    if sources:
        lines.append("<p><b>Closest training files</b></p><ol>")
        for source in sources:
            where = html.escape(f"{source['repo']}/{source['path']}")
            lines.append(
                f"<li><code>{where}</code> &mdash; license {html.escape(source['license'])}"
                f" (score {source['score']:.1f}, {len(source['matching_lines'])} lines match)</li>"
            )
        lines.append("</ol>")
    lines.append("</div>")
    return "\n".join(lines)
