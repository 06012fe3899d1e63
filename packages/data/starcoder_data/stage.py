"""The one contract every curation stage follows.

A stage is a callable from a ``pyarrow.Table`` batch to a ``pyarrow.Table``
batch with no Ray inside, so it runs in a unit test and in
``Dataset.map_batches`` alike. A filter decides only which live rows to keep;
:class:`Filter` records the drop reason (``"<stage>:<reason>"``), nulls the
payload of dropped rows and leaves rows already dropped untouched, so the
first stage that drops a file is the one the report names.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .schema import CONTENT, DATA, DROP_REASON


def live_mask(batch: pa.Table) -> np.ndarray:
    """Boolean mask of the rows no stage has dropped yet."""
    return pc.is_null(batch[DROP_REASON]).to_numpy(zero_copy_only=False)


def mark_dropped(batch: pa.Table, reasons: Sequence[str | None]) -> pa.Table:
    """Set ``drop_reason`` where ``reasons`` has one and the row is still live.

    The payload column (``content`` or ``data``) of newly dropped rows is
    nulled: the report needs only their size, and later stages and shuffles
    should not carry their bytes.
    """
    if len(reasons) != batch.num_rows:
        raise ValueError(f"{len(reasons)} reasons for {batch.num_rows} rows")
    new = pa.array(reasons, pa.string())
    newly = pc.and_(pc.is_null(batch[DROP_REASON]), pc.is_valid(new))
    if not pc.any(newly).as_py():
        return batch
    merged = pc.coalesce(batch[DROP_REASON], new)
    batch = batch.set_column(batch.schema.get_field_index(DROP_REASON), DROP_REASON, merged)
    for payload in (CONTENT, DATA):
        idx = batch.schema.get_field_index(payload)
        if idx >= 0:
            column = batch[payload]
            nulled = pc.if_else(newly, pa.scalar(None, column.type), column)
            batch = batch.set_column(idx, batch.schema.field(idx), nulled)
    return batch


class Filter:
    """Base of every filter: subclasses decide, the base records.

    Subclasses set ``stage`` and ``name`` and implement :meth:`keep` (one drop
    reason, ``"<stage>:<name>"``) or override :meth:`reasons` (several).
    Both see only the live rows of the batch.
    """

    stage: str = "filter"
    name: str = "filter"

    @property
    def drop_reason(self) -> str:
        return f"{self.stage}:{self.name}"

    def keep(self, batch: pa.Table) -> np.ndarray:
        """Boolean mask over ``batch``'s rows: True to keep."""
        raise NotImplementedError

    def reasons(self, batch: pa.Table) -> list[str | None]:
        """Drop reason per row of ``batch`` (None to keep)."""
        keep = np.asarray(self.keep(batch), dtype=bool)
        return [None if k else self.drop_reason for k in keep]

    def __call__(self, batch: pa.Table) -> pa.Table:
        live = live_mask(batch)
        if not live.any():
            return batch
        live_idx = np.flatnonzero(live)
        decided = self.reasons(batch.take(live_idx))
        reasons: list[str | None] = [None] * batch.num_rows
        for i, reason in zip(live_idx.tolist(), decided, strict=True):
            reasons[i] = reason
        return mark_dropped(batch, reasons)


def apply_stages(batch: pa.Table, stages: Sequence) -> pa.Table:
    """Run ``stages`` in order over one batch (what one ``map_batches`` call does)."""
    for stage in stages:
        batch = stage(batch)
    return batch
