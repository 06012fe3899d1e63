"""Credentials passed by position, in headers and on command lines; placeholders left alone."""

from starcoder_pii.detectors.credentials import detect_credentials, is_placeholder_password
from starcoder_pii.detectors.rules import RulesDetector

HEX = "813a03e7440c1fea7e838a43821f4a18110ec921"


def _found(text: str) -> list[tuple[str, str]]:
    return [(span.label, span.value) for span in detect_credentials(text)]


def test_positional_header_and_command_line_credentials():
    text = (
        'smtp.login(SMTP_USER, "correcthorse42")\n'
        "resp = requests.get(url, auth=('deploy', 'qwerty!2024'))\n"
        "# mysql -u root -p'Summer2019!' app < dump.sql\n"
        f"headers = {{'Authorization': 'token {HEX}'}}\n"
        'API_KEY = os.environ.get("API_KEY", "572ed106ce29e9a3e6431b565790317d")\n'
    )
    assert _found(text) == [
        ("PASSWORD", "correcthorse42"), ("PASSWORD", "qwerty!2024"), ("PASSWORD", "Summer2019!"),
        ("KEY", HEX), ("KEY", "572ed106ce29e9a3e6431b565790317d"),
    ]  # fmt: skip


def test_placeholders_references_and_words_are_no_credentials():
    text = (
        'smtp.login(user, "changeme")\n'
        "auth=('user', '${PASSWORD}')\n"
        "token_type = 'Bearer'\n"
        'request_id = "123e4567-e89b-12d3-a456-426614174000"  # token\n'
        "access_token = request.access_token\n"
        'tokenizer = AutoTokenizer.from_pretrained("CohereForAI/c4ai-command-r-v01")\n'
    )
    assert _found(text) == []
    assert is_placeholder_password("changeme") and is_placeholder_password("your-token-here")


def test_rules_detector_adds_context_finds_and_drops_placeholder_passwords():
    text = "password = 'changeme'\n__author__ = 'Ann Lee'\nsmtp.login(u, 'Jaguar#8812')\n"
    found = {(s.label, s.value) for s in RulesDetector()(text, "settings.py")}
    assert found == {("NAME", "Ann Lee"), ("PASSWORD", "Jaguar#8812")}
