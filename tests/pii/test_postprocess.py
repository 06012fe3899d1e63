from starcoder_pii.ner.postprocess import PostprocessConfig, is_public_ip, keep_span, postprocess
from starcoder_pii.spans import PiiSpan, span_at

TEXT = (
    'KEY = "Xk9mQ2vL8pR4tN7wZ3yB"  # self.variance AKIAIOSFODNN7EXAMPL3\n'
    'PASSWORD = "pw" or "hunter22"\n'
    "# Author: Jane Doe, Jane\n"
    "hosts: 34.201.12.77 10.0.0.7 8.8.8.8 999.1.1.1 2001:db8::1 2606:4700:4700::1111\n"
)


def spans_of(*pairs):
    """Spans at the first occurrence of each value, with its class."""
    return [span_at(TEXT, TEXT.index(v), TEXT.index(v) + len(v), label) for label, v in pairs]


def test_starcoder_rules_on_exact_spans():
    predicted = spans_of(
        ("KEY", "Xk9mQ2vL8pR4tN7wZ3yB"),  # gibberish, 20 characters: kept
        ("KEY", "self.variance"),  # reads as words: dropped
        ("KEY", "Xk9mQ2vL"),  # 8 characters: shorter than 9, dropped
        ("KEY", "AKIAIOSFODNN7EXAMPL3"),  # an AWS key id: a known format, kept
        ("PASSWORD", "pw"),  # a secret of 2 characters: dropped
        ("PASSWORD", "hunter22"),
        ("NAME", "Jane Doe"),
        ("NAME", "Jane\n"[:4]),  # no space: dropped
        ("IP_ADDRESS", "34.201.12.77"),
        ("IP_ADDRESS", "10.0.0.7"),  # private
        ("IP_ADDRESS", "8.8.8.8"),  # a popular DNS server
        ("IP_ADDRESS", "999.1.1.1"),  # not an address
        ("IP_ADDRESS", "2001:db8::1"),  # documentation range, not global
        ("IP_ADDRESS", "2606:4700:4700::1111"),  # Cloudflare DNS
    )
    kept = postprocess(predicted)
    assert [(s.label, s.value, s.start) for s in kept] == [
        ("KEY", "Xk9mQ2vL8pR4tN7wZ3yB", 7),
        ("KEY", "AKIAIOSFODNN7EXAMPL3", 46),
        ("PASSWORD", "hunter22", 87),
        ("NAME", "Jane Doe", 107),
        ("IP_ADDRESS", "34.201.12.77", 129),
    ]


def test_pem_body_is_judged_by_its_longest_line():
    body = "MIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aumgsmQ4e3ubIBfZKvZNI3Lr9\n" * 12
    assert keep_span(PiiSpan(0, len(body), "KEY", body))


def test_rules_can_be_switched_off():
    lax = PostprocessConfig(
        key_must_be_gibberish=False, name_needs_space=False, public_ips_only=False
    )
    predicted = spans_of(("KEY", "self.variance"), ("NAME", "Jane"), ("IP_ADDRESS", "10.0.0.7"))
    assert postprocess(predicted, lax) == predicted
    assert postprocess(spans_of(("PASSWORD", "pw")), lax) == []  # the 4-character floor stays


def test_public_ip():
    assert is_public_ip("34.201.12.77") and is_public_ip("[2a00:1450:4001:82a::200e]")
    assert not any(map(is_public_ip, ["127.0.0.1", "1.1.1.1", "fe80::1", "1.2.3", "abc"]))
