import ast
import ipaddress
import json

from starcoder_pii.detectors import BaselineDetector
from starcoder_pii.redact import SYNTHETIC_IPS, RedactionConfig, redact, replacement
from starcoder_pii.spans import PiiSpan, span_at

PYTHON = '''"""Deployment settings."""
# Maintainer: bob.smith@gmail.com, staging box 34.201.12.77
DATABASES = {
    "default": {"PASSWORD": "Tr0ub4dor&3", "HOST": "34.201.12.77"},
}
GITHUB_TOKEN = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
V6 = '2a03:2880:f10c:83:face:b00c:0:25de'


def test_login(client):
    assert client.login("bob.smith@gmail.com", "Tr0ub4dor&3")
'''


def test_python_file_redacted_with_placeholders_and_stays_python():
    result = redact(PYTHON, BaselineDetector()(PYTHON, "settings.py"))
    ast.parse(result.text)
    assert '"PASSWORD": "<PASSWORD>"' in result.text
    assert 'GITHUB_TOKEN = "<KEY>"' in result.text
    assert 'client.login("<EMAIL>", "<PASSWORD>")' in result.text
    assert "34.201.12.77" not in result.text and "bob.smith" not in result.text
    assert result.counts == {
        "NAME": 0,
        "EMAIL": 2,
        "KEY": 1,
        "PASSWORD": 2,
        "IP_ADDRESS": 3,
        "USERNAME": 0,
    }


def test_same_value_same_replacement_and_ip_version_kept():
    result = redact(PYTHON, BaselineDetector()(PYTHON, "settings.py"))
    v4 = replacement(PiiSpan(0, 12, "IP_ADDRESS", "34.201.12.77"))
    assert result.text.count(v4) == 2
    assert v4 in SYNTHETIC_IPS[4]
    v6 = [ip for ip in SYNTHETIC_IPS[6] if ip in result.text]
    assert len(v6) == 1 and ipaddress.ip_address(v6[0]).is_private


def test_json_file_stays_json():
    payload = {
        "user": "bsmith",
        "password": "Tr0ub4dor&3",
        "host": "34.201.12.77",
        "email": "bob.smith@gmail.com",
        "key": "-----BEGIN RSA PRIVATE KEY-----\n"
        "MIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aumgsmQ4e3ub\n"
        "-----END RSA PRIVATE KEY-----",
    }
    text = json.dumps(payload, indent=2)
    result = redact(text, BaselineDetector()(text, "config.json"))
    redacted = json.loads(result.text)
    assert redacted["password"] == "<PASSWORD>"
    assert redacted["email"] == "<EMAIL>"
    assert redacted["host"] in SYNTHETIC_IPS[4]
    assert (
        redacted["key"] == "-----BEGIN RSA PRIVATE KEY-----\n<KEY>\n-----END RSA PRIVATE KEY-----"
    )


def test_quotes_in_a_span_are_kept():
    text = 'pw = "hunter22"\n'
    span = span_at(text, 5, 15, "PASSWORD")  # a model's span with both quotes
    assert redact(text, [span]).text == 'pw = "<PASSWORD>"\n'


def test_redacting_twice_changes_nothing():
    detector = BaselineDetector()
    once = redact(PYTHON, detector(PYTHON, "settings.py")).text
    twice = redact(once, detector(once, "settings.py"))
    assert twice.text == once and not twice.changed


def test_placeholders_are_never_redacted_again():
    text = 'user = "<NAME>"; ip = "172.16.31.10"\n'
    spans = [span_at(text, 8, 14, "NAME"), span_at(text, 23, 35, "IP_ADDRESS")]
    assert redact(text, spans).text == text


def test_classes_can_be_left_alone():
    text = "by Jane Doe\n"
    span = span_at(text, 3, 11, "NAME")
    assert redact(text, [span], RedactionConfig(classes=("EMAIL",))).text == text
    assert redact(text, [span]).text == "by <NAME>\n"
