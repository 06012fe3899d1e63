"""SPDX license ids and expressions, and whether an expression is permissive.

Licenses are SPDX expressions; an expression is permissive when every ``AND``
operand and at least one ``OR`` operand is on the allow-list (a ``WITH``
exception never removes permissions, so the base license decides).
"""

from __future__ import annotations

import re
from functools import lru_cache

# The Stack v1 kept licenses that the Blue Oak Council rates permissive
# (https://blueoakcouncil.org/list), which is also ScanCode's "Permissive" and
# "Public Domain" categories. Weak copyleft (MPL, LGPL, EPL, CDDL) is excluded.
# Artistic-2.0 is in: Blue Oak rates it permissive and The Stack's license list has it.
PERMISSIVE_LICENSES = frozenset(
    {
        "0BSD",
        "AFL-3.0",
        "Apache-2.0",
        "Artistic-2.0",
        "BlueOak-1.0.0",
        "BSD-2-Clause",
        "BSD-2-Clause-Patent",
        "BSD-3-Clause",
        "BSD-3-Clause-Clear",
        "BSL-1.0",
        "CC0-1.0",
        "ECL-2.0",
        "ISC",
        "MIT",
        "MIT-0",
        "MS-PL",
        "NCSA",
        "PostgreSQL",
        "PSF-2.0",
        "Python-2.0",
        "Unlicense",
        "UPL-1.0",
        "WTFPL",
        "X11",
        "Zlib",
    }
)

_KNOWN_SPDX_IDS = (
    *sorted(PERMISSIVE_LICENSES),
    *("AGPL-1.0-only", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-1.0", "Apache-1.1"),
    *("APSL-2.0", "Artistic-1.0", "Artistic-1.0-Perl", "Beerware", "BSD-1-Clause"),
    *("BSD-4-Clause", "BUSL-1.1", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-NC-4.0", "CC-BY-SA-3.0"),
    *("CC-BY-SA-4.0", "CDDL-1.0", "CDDL-1.1", "CECILL-2.1", "curl", "EPL-1.0", "EPL-2.0"),
    *("EUPL-1.1", "EUPL-1.2", "FTL", "GFDL-1.2-only", "GFDL-1.2-or-later", "GFDL-1.3-only"),
    *("GFDL-1.3-or-later", "GPL-1.0-only", "GPL-1.0-or-later", "GPL-2.0-only"),
    *("GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later", "HPND", "ICU", "IJG"),
    *("ImageMagick", "LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1-only"),
    *("LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later", "Libpng", "libtiff"),
    *("LPPL-1.3c", "MIT-CMU", "MPL-1.1", "MPL-2.0", "MS-RL", "MulanPSL-2.0", "OFL-1.1"),
    *("OpenSSL", "OSL-3.0", "SSPL-1.0", "Unicode-DFS-2016", "Vim", "W3C", "ZPL-2.1"),
)
_CANONICAL_IDS = {spdx.lower(): spdx for spdx in _KNOWN_SPDX_IDS}
# Deprecated SPDX ids that are still common in metadata.
_CANONICAL_IDS |= {
    f"{family.lower()}-{version}{suffix}": f"{family}-{version}-{meaning}"
    for family, versions in (("GPL", "123"), ("LGPL", "23"), ("AGPL", "3"))
    for version in (f"{v}.0" for v in versions)
    for suffix, meaning in (("", "only"), ("+", "or-later"))
} | {"lgpl-2.1": "LGPL-2.1-only", "lgpl-2.1+": "LGPL-2.1-or-later"}

PUBLIC_DOMAIN = "LicenseRef-public-domain"
PROPRIETARY = "LicenseRef-proprietary"

SPDX_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-+:]*$")


def canonical_id(token: str) -> str | None:
    """The SPDX spelling of a known id (``LicenseRef-``s as written); None if unknown."""
    if token.lower().startswith(("licenseref-", "documentref-")):
        return token
    return _CANONICAL_IDS.get(token.lower())


class _Parser:
    """Recursive descent over SPDX tokens: OR binds looser than AND, AND looser than WITH.

    A node is a license id (str) or ``(operator, [nodes])``.
    """

    def __init__(self, tokens: list[str], strict: bool):
        self.tokens = tokens
        self.position = 0
        self.strict = strict

    def parse(self) -> str | tuple | None:
        node = self._any_of("OR", self._all_of)
        return node if self.position == len(self.tokens) else None

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _any_of(self, operator: str, operand) -> str | tuple | None:
        nodes = [operand()]
        while nodes[-1] is not None and (self._peek() or "").upper() == operator:
            self.position += 1
            nodes.append(operand())
        if any(node is None for node in nodes):
            return None
        return nodes[0] if len(nodes) == 1 else (operator, nodes)

    def _all_of(self) -> str | tuple | None:
        return self._any_of("AND", self._license)

    def _license(self) -> str | tuple | None:
        token = self._peek()
        if token is None or token == ")" or token.upper() in ("AND", "OR", "WITH"):
            return None
        self.position += 1
        if token == "(":
            node = self._any_of("OR", self._all_of)
            if self._peek() != ")":
                return None
            self.position += 1
            return node
        if not _ID.match(token):
            return None
        if (self._peek() or "").upper() == "WITH":
            self.position += 2  # the exception adds permissions: the base license decides
            if self.position > len(self.tokens):
                return None
        canonical = canonical_id(token)
        return canonical if canonical is not None or self.strict else token


def _parse(expression: str, strict: bool) -> str | tuple | None:
    tokens = SPDX_TOKEN.findall(expression)
    return _Parser(tokens, strict).parse() if tokens else None


def _render(node: str | tuple, parent: str | None = None) -> str:
    if isinstance(node, str):
        return node
    operator, operands = node
    text = f" {operator} ".join(_render(operand, operator) for operand in operands)
    return f"({text})" if parent == "AND" and operator == "OR" else text


def normalize_spdx_expression(expression: str, *, strict: bool = True) -> str | None:
    """Canonical form of an SPDX expression, or None if it does not parse.

    With ``strict`` every id must be a known SPDX id or a ``LicenseRef-``;
    otherwise unknown but well-formed ids are kept as written. ``WITH``
    exceptions are dropped.

    >>> normalize_spdx_expression("(mit or apache-2.0) AND GPL-2.0+ WITH Classpath-exception-2.0")
    '(MIT OR Apache-2.0) AND GPL-2.0-or-later'
    """
    node = _parse(expression, strict)
    return None if node is None else _render(node)


@lru_cache(maxsize=4096)
def is_permissive(expression: str, allowed: frozenset[str] = PERMISSIVE_LICENSES) -> bool:
    """Whether ``expression`` lets the file be used under licenses in ``allowed`` only.

    >>> is_permissive("MIT OR GPL-3.0-only"), is_permissive("MIT AND GPL-3.0-only")
    (True, False)
    """
    node = _parse(expression, strict=False)
    allowed_lower = frozenset(spdx.lower() for spdx in allowed)
    return node is not None and _allows(node, allowed_lower)


def _allows(node: str | tuple, allowed_lower: frozenset[str]) -> bool:
    if isinstance(node, str):
        return node.lower() in allowed_lower
    operator, operands = node
    combine = any if operator == "OR" else all
    return combine(_allows(operand, allowed_lower) for operand in operands)
