"""Curation stages: tag files by their own SPDX header, drop files not permissively licensed.

A file that states its own ``SPDX-License-Identifier`` in its header is under
that license, whatever the repository says (:class:`SpdxHeaderTagger`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import CONTENT, LICENSE, LICENSE_SOURCE
from ..stage import Filter, live_mask
from .spdx import PERMISSIVE_LICENSES, is_permissive, normalize_spdx_expression

SPDX_HEADER_LINES = 20  # REUSE puts the SPDX tag in the file's first comment block
_SPDX_TAG = "SPDX-License-Identifier:"
_SPDX_VALUE = re.compile(r"SPDX-License-Identifier:\s*(.*?)\s*(?:\*/|-->|\*\)|-\}|#\}|%>|$)")


def spdx_header_license(content: str) -> str | None:
    """The license a file declares in an ``SPDX-License-Identifier`` tag near its top."""
    head = "\n".join(content.split("\n", SPDX_HEADER_LINES)[:SPDX_HEADER_LINES])
    for line in head.split("\n"):
        found = _SPDX_VALUE.search(line)
        spdx = found and normalize_spdx_expression(found.group(1), strict=False)
        if spdx:
            return spdx
    return None


class SpdxHeaderTagger:
    """Stage: a live file with an SPDX header gets that license, overriding the repository's."""

    def __call__(self, batch: pa.Table) -> pa.Table:
        tagged = pc.fill_null(pc.match_substring(batch[CONTENT], _SPDX_TAG), False)
        candidates = np.flatnonzero(tagged.to_numpy(zero_copy_only=False) & live_mask(batch))
        if candidates.size == 0:
            return batch
        licenses = batch[LICENSE].to_pylist()
        sources = batch[LICENSE_SOURCE].to_pylist()
        contents = batch[CONTENT].take(pa.array(candidates)).to_pylist()
        for row, content in zip(candidates.tolist(), contents, strict=True):
            spdx = spdx_header_license(content)
            if spdx:
                licenses[row], sources[row] = spdx, "spdx-header"
        for name, values in ((LICENSE, licenses), (LICENSE_SOURCE, sources)):
            index = batch.schema.get_field_index(name)
            batch = batch.set_column(
                index, batch.schema.field(index), pa.array(values, pa.string())
            )
        return batch


@dataclass(frozen=True, kw_only=True)
class LicenseConfig:
    allowed: frozenset[str] = PERMISSIVE_LICENSES  # The Stack v1: Blue Oak permissive list
    # "permissive": StarCoder's rule for public code. "any": keep every file, for
    # code its owner trains on (their own repos, to fine-tune on), licensed or not.
    policy: Literal["permissive", "any"] = "permissive"


class PermissiveLicenseFilter(Filter):
    """Drop files with no license found, or whose license is not on the allow-list."""

    stage = "license"
    name = "not_permissive"

    def __init__(self, config: LicenseConfig | None = None):
        self.config = config or LicenseConfig()

    def reasons(self, batch: pa.Table) -> list[str | None]:
        return [self._reason(spdx) for spdx in batch[LICENSE].to_pylist()]

    def _reason(self, spdx: str | None) -> str | None:
        if self.config.policy == "any":
            return None
        if spdx is None or not spdx.strip():
            return f"{self.stage}:no_license"
        return None if is_permissive(spdx, self.config.allowed) else self.drop_reason
