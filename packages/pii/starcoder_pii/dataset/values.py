"""Realistic PII values: people from ``faker``, secrets in their real formats.

Every value is drawn from a seeded ``random.Random`` (and a ``Faker`` seeded
from it), so a dataset build is reproducible. Key formats follow the
providers' documented shapes: AWS access key ids (``AKIA`` + 16) and secret
keys (40 base64 characters), GitHub personal tokens (``ghp_`` + 36), Slack bot
tokens (``xoxb-``), Google API keys (``AIza`` + 35), Stripe secret keys
(``sk_live_`` + 24), JWTs (three base64url parts) and PEM RSA private keys.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import random
import string

_ALNUM = string.ascii_letters + string.digits
_UPPER_DIGITS = string.ascii_uppercase + string.digits
_B64 = string.ascii_letters + string.digits + "+/"
_URLSAFE = string.ascii_letters + string.digits + "-_"
KEY_KINDS = (
    "aws",
    "aws_secret",
    "github",
    "slack",
    "google",
    "stripe",
    "jwt",
    "pem",
    "hex",
    "generic",
)


class PiiFaker:
    """Draws PII values; ``kind`` picks a key format (``"any"`` for a random one)."""

    def __init__(self, seed: int):
        from faker import Faker

        self.rng = random.Random(seed)
        self.faker = Faker(["en_US", "en_GB", "de_DE", "fr_FR", "es_ES"])
        self.faker.seed_instance(seed)

    def name(self) -> str:
        return self.faker.name()

    def username(self) -> str:
        name = self.faker.user_name()
        return name if self.rng.random() < 0.7 else f"{name}{self.rng.randint(1, 99)}"

    def email(self) -> str:
        if self.rng.random() < 0.5:
            return self.faker.free_email()
        return self.faker.company_email()

    def password(self) -> str:
        if self.rng.random() < 0.5:
            return self.faker.password(length=self.rng.randint(8, 18), special_chars=True)
        word = self.faker.word().capitalize()
        return f"{word}{self.rng.randint(1, 9999)}{self.rng.choice('!@#$%&*?')}"

    def ip_address(self) -> str:
        while True:
            value = self.faker.ipv4_public() if self.rng.random() < 0.8 else self.faker.ipv6()
            address = ipaddress.ip_address(value)
            if address.is_global and not address.is_multicast:
                return value

    def key(self, kind: str = "any") -> str:
        if kind == "any":
            kind = self.rng.choice([k for k in KEY_KINDS if k != "pem"])
        return getattr(self, f"_key_{kind}")()

    def _chars(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def _key_aws(self) -> str:
        return "AKIA" + self._chars(_UPPER_DIGITS, 16)

    def _key_aws_secret(self) -> str:
        return self._chars(_B64, 40)

    def _key_github(self) -> str:
        return "ghp_" + self._chars(_ALNUM, 36)

    def _key_slack(self) -> str:
        digits = string.digits
        return f"xoxb-{self._chars(digits, 12)}-{self._chars(digits, 13)}-{self._chars(_ALNUM, 24)}"

    def _key_google(self) -> str:
        return "AIza" + self._chars(_URLSAFE, 35)

    def _key_stripe(self) -> str:
        return self.rng.choice(["sk_live_", "rk_live_"]) + self._chars(_ALNUM, 24)

    def _key_hex(self) -> str:
        return self._chars("0123456789abcdef", self.rng.choice([24, 32, 40]))

    def _key_generic(self) -> str:
        return self._chars(_ALNUM, self.rng.randint(20, 48))

    def _key_jwt(self) -> str:
        def part(payload: dict) -> str:
            raw = json.dumps(payload, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        header = part({"alg": "HS256", "typ": "JWT"})
        body = part({"sub": str(self.rng.randint(10**6, 10**9)), "name": self.name()})
        return f"{header}.{body}.{self._chars(_URLSAFE, 43)}"

    def _key_pem(self) -> str:
        """The base64 body of an RSA private key (the BEGIN/END lines are the template's)."""
        body = base64.b64encode(bytes(self.rng.getrandbits(8) for _ in range(600))).decode()
        return "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
