"""Data bundled with rnncast, as long frames (unique_id, ds, y).

- ``"m3-monthly-sales"``: the M3 competition's 46 monthly series whose description
  mentions sales, training and test parts joined (5 to 11 years each). M3 is shipped
  without a calendar: the dates are synthetic month starts ending December 2000.
- ``"seed-notebook"``: the 15 days of sales of the notebook rnncast grew from.

``scripts/make_datasets.py`` regenerates the M3 file from its public source.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

DATASETS = {
    "m3-monthly-sales": "M3 competition, 46 monthly sales series (synthetic month-start dates)",
    "seed-notebook": "the seed notebook's 15 days of sales, one series",
}


def list_datasets() -> dict[str, str]:
    """Names and one-line descriptions of the bundled data."""
    return dict(DATASETS)


def load_dataset(name: str) -> pd.DataFrame:
    """A bundled dataset as a long frame (unique_id, ds, y)."""
    if name == "m3-monthly-sales":
        with resources.files(__name__).joinpath("m3_monthly_sales.csv").open() as handle:
            return pd.read_csv(handle, parse_dates=["ds"])
    if name == "seed-notebook":
        from rnncast.seed_notebook import SEED_SALES

        return pd.DataFrame({"unique_id": "seed", "ds": pd.date_range(
            "2023-01-01", periods=len(SEED_SALES), freq="D"), "y": SEED_SALES})
    raise KeyError(f"no bundled dataset {name!r}; the bundled ones are {sorted(DATASETS)}.")
