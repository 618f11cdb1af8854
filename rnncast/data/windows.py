"""Sliding windows over many series at once, as index arithmetic: no loop per window.

A window at position ``p`` of the concatenated values reads ``lookback`` inputs
``values[p : p + lookback]`` and ``horizon`` targets after them. Positions are computed
for all series together from the panel's offsets.
"""

from __future__ import annotations

import numpy as np


def window_positions(starts, lengths, span, last_end_margin=0):
    """Start positions of every window of ``span`` values inside each series.

    Parameters
    ----------
    starts, lengths : (S,) int arrays: where each series begins in ``values``, its length.
    span : int
        lookback + horizon: the values one window covers.
    last_end_margin : int
        Leave this many values after the last window of each series (e.g. the horizon
        held out for validation).

    Returns
    -------
    positions : (N,) int64 start of each window in ``values``.
    series : (N,) int64 the series each window belongs to.
    """
    counts = np.maximum(np.asarray(lengths) - span - last_end_margin + 1, 0)
    series = np.repeat(np.arange(len(counts)), counts)
    # position within its series: 0..count-1, then shifted by the series' start
    first_of_series = np.repeat(np.cumsum(counts) - counts, counts)
    positions = np.arange(counts.sum()) - first_of_series + np.asarray(starts)[series]
    return positions.astype(np.int64), series.astype(np.int64)


def gather(values, positions, length):
    """values[p : p + length] for every p: (N, length)."""
    return values[np.asarray(positions)[:, None] + np.arange(length)]


def pad_short_series(values, starts, span, min_length, pad_values=None):
    """Left-pad each series shorter than ``span`` (but at least ``min_length`` long) with
    its first value, or its entry of ``pad_values`` (S,), up to ``span``, so that it
    yields one window.

    Returns (values, starts) of the padded concatenation; series keep their order.
    """
    lengths = np.diff(starts)
    pad = np.where((lengths < span) & (lengths >= min_length), span - lengths, 0)
    if not pad.any():
        return values, starts
    new_lengths = lengths + pad
    new_starts = np.concatenate([[0], np.cumsum(new_lengths)]).astype(np.int64)
    # every new slot copies one old value: the series' first value for the padding,
    # then the series itself
    within = np.arange(new_starts[-1]) - np.repeat(new_starts[:-1], new_lengths)
    source = np.repeat(starts[:-1], new_lengths) + np.maximum(
        within - np.repeat(pad, new_lengths), 0)
    padded = values[source]
    if pad_values is not None:
        is_pad = within < np.repeat(pad, new_lengths)
        padded[is_pad] = np.repeat(pad_values, new_lengths)[is_pad]
    return padded, new_starts
