"""How many distinct n-grams a corpus has, to size the Bloom filter for them.

Code repeats itself (licence headers, generated files, vendored copies), so
sizing the filter for every n-gram indexed would leave it emptier than
configured and its false-positive rate below the one asked for: memory spent
for nothing. A HyperLogLog sketch estimates the distinct count in one pass;
its registers are filled here with numpy from the hashes already computed,
exactly as ``datasketch.HyperLogLog.update`` would fill them one by one, and
``datasketch`` does the estimate. Sketches of partitions merge by an
element-wise maximum.
"""

from __future__ import annotations

import numpy as np

PRECISION = 14  # 16,384 registers: 0.8% standard error


def hll_registers(h1: np.ndarray, precision: int = PRECISION) -> np.ndarray:
    """datasketch-compatible HyperLogLog registers over the low 32 bits of ``h1``."""
    registers = np.zeros(1 << precision, dtype=np.int8)
    if len(h1) == 0:
        return registers
    hv = (h1 & np.uint64(0xFFFFFFFF)).astype(np.uint64)
    index = (hv & np.uint64((1 << precision) - 1)).astype(np.int64)
    rest = hv >> np.uint64(precision)
    bit_length = np.zeros(len(rest), dtype=np.int64)
    nonzero = rest > 0
    bit_length[nonzero] = np.floor(np.log2(rest[nonzero].astype(np.float64))).astype(np.int64) + 1
    rank = ((32 - precision) - bit_length + 1).astype(np.int8)
    np.maximum.at(registers, index, rank)
    return registers


def estimate_distinct(registers: np.ndarray) -> int:
    from datasketch import HyperLogLog

    return round(HyperLogLog(reg=registers.astype(np.int8, copy=True)).count())
