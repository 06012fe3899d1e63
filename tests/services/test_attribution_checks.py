"""The replica's attribution and privacy checks, without Ray or HTTP."""

from __future__ import annotations

import pytest
from starcoder_serve import CompletionRequest
from starcoder_serve.attribution import CompletionAttribution
from starcoder_serve.protocol import AttributionOptions, RequestError

AWS_KEY = "AKIAQWERTY7UIOP2ASDF"
SECRET_TEXT = f'    notify("ops.lead@acme-robotics.io")\n    key = "{AWS_KEY}"\n'


@pytest.fixture(scope="module")
def checks():
    return CompletionAttribution(None)  # privacy only: no index


def test_privacy_flag_reports_spans_in_the_returned_text(checks):
    options = AttributionOptions(membership=False, top_k=0, privacy="flag")
    text, found = checks.annotate(SECRET_TEXT, options)
    assert text == SECRET_TEXT and not found.redacted
    flagged = {(f.type, text[f.start : f.end]) for f in found.privacy}
    assert ("EMAIL", "ops.lead@acme-robotics.io") in flagged
    assert ("KEY", AWS_KEY) in flagged
    assert found.member is None and found.sources == []


def test_privacy_redact_replaces_and_points_at_the_placeholders(checks):
    options = AttributionOptions(membership=False, top_k=0, privacy="redact")
    text, found = checks.annotate(SECRET_TEXT, options)
    assert found.redacted and AWS_KEY not in text and "acme-robotics" not in text
    assert text == '    notify("<EMAIL>")\n    key = "<KEY>"\n'
    assert {text[f.start : f.end] for f in found.privacy} == {"<EMAIL>", "<KEY>"}


def test_membership_without_an_index_is_refused_before_decoding(checks):
    request = CompletionRequest(prompt="x", attribution=AttributionOptions())
    with pytest.raises(RequestError, match="no attribution index") as error:
        checks.validate(request)
    assert error.value.status == 400 and error.value.param == "attribution"
    checks.validate(CompletionRequest(prompt="x"))
    privacy_only = AttributionOptions(membership=False, top_k=0, privacy="flag")
    checks.validate(CompletionRequest(prompt="x", attribution=privacy_only))
