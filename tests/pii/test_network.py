from starcoder_pii.detectors import detect_emails, detect_ip_addresses, is_reportable_ip


def values(spans):
    return [(s.start, s.end, s.label, s.value) for s in spans]


def test_email_exact_span_in_author_header():
    text = "# Author: Jane Doe <jane.doe@acme-corp.io>\n"
    assert values(detect_emails(text)) == [(20, 41, "EMAIL", "jane.doe@acme-corp.io")]


def test_email_in_string_literal_and_connection_call():
    text = 'server.login("bob.smith+ci@gmail.com", pw)'
    assert [s.value for s in detect_emails(text)] == ["bob.smith+ci@gmail.com"]


def test_email_hard_negatives():
    text = (
        "support@example.com noreply@docs.example.org user@localhost admin@host.test "
        "git@github decorator@property x@2x.png"
    )
    assert detect_emails(text) == []


def test_public_ipv4_exact_span():
    text = 'HOST = "34.201.12.77"  # production'
    assert values(detect_ip_addresses(text)) == [(8, 20, "IP_ADDRESS", "34.201.12.77")]


def test_ipv4_exclusions_private_dns_and_versions():
    text = (
        'bind = "192.168.1.20"; lo = "127.0.0.1"; lan = "10.2.3.4"\n'
        'resolver = "8.8.8.8"; cf = "1.1.1.1"\n'
        '__version__ = "1.2.3.4"\n'
    )
    assert detect_ip_addresses(text) == []


def test_short_dotted_quad_is_an_address_near_server():
    text = "connect to the server at 5.6.7.8 first"
    assert [s.value for s in detect_ip_addresses(text)] == ["5.6.7.8"]


def test_public_ipv6_and_its_lookalikes():
    text = (
        'addr = "2a03:2880:f10c:83:face:b00c:0:25de"\n'
        "c10::Device x[1::2] ::1 fd00::1 fe80::1 dead:beef:: 12:30:45\n"
    )
    assert [s.value for s in detect_ip_addresses(text)] == ["2a03:2880:f10c:83:face:b00c:0:25de"]


def test_reportable_ip():
    assert is_reportable_ip("34.201.12.77")
    assert not is_reportable_ip("172.16.31.10")  # a redactor's synthetic address
    assert not is_reportable_ip("fd00:c2b6:b24b:be67:2827:688d:e6a1:6a3b")
    assert not is_reportable_ip("2001:4860:4860::8888")  # Google DNS
    assert not is_reportable_ip("300.1.1.1")
