"""Weighted choices among many small categorical distributions at once (vectorised with numpy)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]
_TOP = 1.0 - 1e-9


@dataclass(frozen=True)
class SegmentedTable:
    """One categorical distribution per segment, drawn from for many rows with one ``searchsorted``.

    Segment ``s`` stores its cumulative probabilities shifted into ``(s, s + 1]``; a row of segment ``s`` with a
    uniform ``u`` takes the first item whose cumulative value exceeds ``s + u``.
    """

    items: Array
    cumulative: Array
    segments: int

    @classmethod
    def build(cls, segments: Sequence[Sequence[tuple[int, float]]]) -> SegmentedTable:
        """Build from one list of (item, weight) per segment; every segment needs a positive total weight."""
        items: list[int] = []
        cumulative: list[float] = []
        for index, segment in enumerate(segments):
            total = float(sum(weight for _, weight in segment))
            if total <= 0 or any(weight < 0 for _, weight in segment):
                raise ValueError(f"segment {index} needs non-negative weights with a positive total")
            running = 0.0
            for item, weight in segment:
                running += weight
                items.append(item)
                cumulative.append(index + running / total)
            cumulative[-1] = index + 1.0
        return cls(np.asarray(items, dtype=np.int64), np.asarray(cumulative, dtype=np.float64), len(segments))

    def draw(self, rng: np.random.Generator, segment_of_row: Array) -> Array:
        """One item per row, from the distribution of the row's segment."""
        uniform = np.minimum(rng.random(len(segment_of_row)), _TOP)
        position = np.searchsorted(self.cumulative, segment_of_row + uniform, side="right")
        return self.items[np.minimum(position, len(self.items) - 1)]


def single(weights: Sequence[tuple[int, float]]) -> SegmentedTable:
    """A table with one segment."""
    return SegmentedTable.build([weights])


def segment_starts(counts: Array) -> Array:
    """Start offset of each segment in a concatenation of segments of the given lengths."""
    starts = np.zeros(len(counts), dtype=np.int64)
    if len(counts) > 1:
        np.cumsum(counts[:-1], out=starts[1:])
    return starts


def position_in_segment(counts: Array) -> Array:
    """0, 1, ... within each segment of a concatenation of segments of the given lengths."""
    total = int(counts.sum())
    starts = np.repeat(segment_starts(counts), counts)
    positions: Array = np.arange(total, dtype=np.int64) - starts
    return positions
