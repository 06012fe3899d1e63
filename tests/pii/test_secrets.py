import pytest
from starcoder_pii.detectors import detect_secrets, is_gibberish, is_hash, is_uuid
from starcoder_pii.detectors.gibberish import is_sequential, is_templated

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)
KEYS = {
    "aws": ('aws_access_key_id = "AKIA4J7ZQX2M5NBVK3WP"\n', "AKIA4J7ZQX2M5NBVK3WP"),
    "github": (
        'TOKEN = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"\n',
        "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    ),
    "slack": (
        "export SLACK=xoxb-344978690736-6258517812865-FUbEctT2NLLzPkkGoaXmI63J\n",
        "xoxb-344978690736-6258517812865-FUbEctT2NLLzPkkGoaXmI63J",
    ),
    "google": (
        'MAPS = "AIzaSyD4kE9fQ2vL8pR4tN7wZ3yBxC1mN6oP0qS"\n',
        "AIzaSyD4kE9fQ2vL8pR4tN7wZ3yBxC1mN6oP0qS",
    ),
    "stripe": (
        'stripe.api_key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n',
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    ),
    "jwt": (f"headers = {{'Authorization': 'Bearer {JWT}'}}\n", JWT),
}


@pytest.mark.parametrize("kind", sorted(KEYS))
def test_key_formats_exact_spans(kind):
    text, key = KEYS[kind]
    spans = detect_secrets(text, "settings.py")
    assert [(s.label, s.value) for s in spans] == [("KEY", key)]
    assert text[spans[0].start : spans[0].end] == key


def test_pem_private_key_body_spans_lines():
    body = "MIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aumgsmQ4e3ubIBfZKvZNI3Lr9\nabcDEF12ghiJKL456mno"
    text = f'KEY = """-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"""\n'
    assert [(s.label, s.value) for s in detect_secrets(text, "k.py")] == [("KEY", body)]


def test_a_file_that_is_nothing_but_a_key():
    text = (
        "-----BEGIN PRIVATE KEY-----\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n"
        "-----END PRIVATE KEY-----"
    )
    assert [s.value for s in detect_secrets(text, "id_rsa")] == [
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
    ]


def test_passwords_by_keyword_and_in_urls():
    text = (
        'DATABASES = {"default": {"PASSWORD": "correct horse"}}\n'
        'engine = create_engine("postgresql://admin:Tr0ub4dor@db.acme.io:5432/app")\n'
        'CACHE = "redis://:kX9q2mVb@cache.acme.io:6379/0"  # no user name\n'
    )
    found = [(s.label, s.value) for s in detect_secrets(text, "settings.py")]
    assert found == [
        ("PASSWORD", "correct horse"),
        ("PASSWORD", "Tr0ub4dor"),
        ("PASSWORD", "kX9q2mVb"),
    ]


def test_hard_negatives_are_not_keys():
    text = (
        'EXPECTED_SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"\n'
        'commit = "d41d8cd98f00b204e9800998ecf8427e0a1b2c3d"\n'
        'REQUEST_ID = "123e4567-e89b-12d3-a456-426614174000"\n'
        'handler = "getUserAccountSettingsForCurrentSession"\n'
        'PASSWORD = os.environ["DB_PASSWORD"]\n'
        'password = "${DB_PASSWORD}"\n'
        'api_key = "<your-api-key>"\n'
        'index = ["abcdefghijklmnopqrstuvwxyz1234567890"]\n'
        'n = "2464234321326889464182768467546703537516986049910576551282"\n'
        'AWS_KEY = "AKIAIOSFODNN7EXAMPLE"\n'
    )
    assert detect_secrets(text, "config.py") == []


def test_hex_key_named_as_a_key_is_reported():
    text = 'API_KEY = "9f86d081884c7d659a2feaa0c55ad015"\n'
    assert [s.value for s in detect_secrets(text, "c.py")] == ["9f86d081884c7d659a2feaa0c55ad015"]


def test_gibberish_and_filters():
    assert is_gibberish("Xk9mQ2vL8pR4tN7wZ3yB")
    assert not is_gibberish("test_password_reset_flow")
    assert not is_gibberish("getUserAccountSettings")
    assert is_hash("d41d8cd98f00b204e9800998ecf8427e")
    assert is_uuid("123e4567-e89b-12d3-a456-426614174000")
    assert is_sequential("abcdefgh") and is_sequential("0123456789")
    assert is_templated("${DB_PASSWORD}") and is_templated("{{ token }}")


def test_a_repeated_value_inside_a_longer_token_is_found_once():
    from starcoder_pii.detectors.secrets import _locate

    line = "x = 'aaAKIA4J7ZQX2M5NBVK3WPbbAKIA4J7ZQX2M5NBVK3WPcc' + 'AKIA4J7ZQX2M5NBVK3WP'"
    spans = _locate(line, "AKIA4J7ZQX2M5NBVK3WP", extend=True)
    assert [line[a:b] for a, b in spans] == [
        "aaAKIA4J7ZQX2M5NBVK3WPbbAKIA4J7ZQX2M5NBVK3WPcc",
        "AKIA4J7ZQX2M5NBVK3WP",
    ]


def test_passwords_with_dollar_and_percent_signs_are_passwords_not_templates():
    text = (
        "DB = {'user': 'app', 'password': 'Zk3$9pwQ'}\n"
        'PASSWORD = "h4ppyCat%"\n'
        'URL = "postgresql://app:Zk3$9pwQ@db.acme.io:5432/prod"\n'
        'password = "${DB_PASSWORD}"\n'  # references stay references
        'password = "%(password)s"\n'
        "password = '$PASSWORD'\n"
    )
    found = [(s.label, s.value) for s in detect_secrets(text, "settings.py")]
    assert found == [("PASSWORD", "Zk3$9pwQ"), ("PASSWORD", "h4ppyCat%"), ("PASSWORD", "Zk3$9pwQ")]
