"""Test data builders shared by the test modules."""

import numpy as np
import pandas as pd


def long_frame(series: dict, start=0, freq=None) -> pd.DataFrame:
    """A long frame from {id: values}; integer ds from ``start``, or dates with ``freq``."""
    rows = []
    for uid, values in series.items():
        ds = (
            pd.date_range(start, periods=len(values), freq=freq)
            if freq
            else start + np.arange(len(values))
        )
        rows.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.asarray(values, float)}))
    return pd.concat(rows, ignore_index=True)
