"""Repository metadata prepended to a file, as StarCoder trained with it (paper, section 5.1).

StarCoder's ``preprocessing/add_content_with_meta.py`` (bigcode-dataset)
prepends, each independently with probability 0.2, the repository name, the
file path and the repository's stars, each after its special token, then a
newline, then the file::

    <reponame>{repo}<filename>{path}<gh_stars>{stars}\\n{content}

Parts not drawn are left out; the newline comes only when at least one part
was drawn. Stars are written as StarCoder's buckets (``"1-10"``, ...), so the
model conditions on popularity, not on exact counts. Where the stars are
unknown (null) that part is skipped, where StarCoder wrote ``"0"``: unknown is
not zero. The metadata is added before FIM, as StarCoder did (its Megatron-LM
permutes the stored documents, metadata included, at training time).
"""

from __future__ import annotations

import numpy as np

from ..special_tokens import FILENAME, GH_STARS, REPONAME


def stars_bucket(stars: int) -> str:
    """StarCoder's star buckets: ``0``, ``1-10``, ``10-100``, ``100-1000``, ``1000+``."""
    if stars <= 0:
        return "0"
    if stars <= 10:
        return "1-10"
    if stars <= 100:
        return "10-100"
    if stars <= 1000:
        return "100-1000"
    return "1000+"


def add_metadata(
    content: str, repo: str, path: str, stars: int | None, rng: np.random.Generator, rate: float
) -> str:
    """``content`` with the drawn metadata parts in front (three draws, always in this order)."""
    header = ""
    if rng.binomial(1, rate):
        header += f"{REPONAME}{repo}"
    if rng.binomial(1, rate):
        header += f"{FILENAME}{path}"
    if rng.binomial(1, rate) and stars is not None:
        header += f"{GH_STARS}{stars_bucket(stars)}"
    return f"{header}\n{content}" if header else content
