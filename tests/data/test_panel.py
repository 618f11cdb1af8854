import numpy as np
import pandas as pd
import pytest

from rnncast.data import prepare


def long_frame(values, start, freq, name):
    ds = pd.date_range(start, periods=len(values), freq=freq) if freq else start + np.arange(
        len(values))
    return pd.DataFrame({"unique_id": name, "ds": ds, "y": values})


@pytest.mark.parametrize("freq", ["MS", "W-SUN", "B", "D", "h", None])
def test_time_stamps_and_cuts_follow_each_series_calendar(freq):
    first = long_frame(np.arange(9.0), "2021-01-01" if freq else 5, freq, "a")
    second = long_frame(np.arange(12.0), first["ds"].iloc[3], freq, "b")
    panel = prepare(pd.concat([first, second]))
    expected = np.concatenate([panel.frequency.range(panel.first_ds[s], int(n))
                               for s, n in enumerate(panel.lengths)])
    np.testing.assert_array_equal(panel.time_stamps(), expected)
    cut = panel.head(4)
    np.testing.assert_array_equal(cut.lengths, [5, 8])
    np.testing.assert_array_equal(cut.values, np.concatenate([np.arange(5.0), np.arange(8.0)]))
    np.testing.assert_array_equal(cut.last_ds, [expected[4], expected[9 + 7]])
    np.testing.assert_array_equal(cut.time_stamps(), np.concatenate([expected[:5],
                                                                     expected[9:17]]))


def test_holding_out_a_whole_series_is_an_error():
    panel = prepare(pd.concat([long_frame(np.arange(3.0), 0, None, "a"),
                               long_frame(np.arange(9.0), 0, None, "b")]))
    with pytest.raises(ValueError, match="'a'"):
        panel.head(3)


@pytest.mark.parametrize("freq, season", [("MS", 12), ("QS-JAN", 4), ("D", 7), ("h", 24)])
def test_season_phase_counts_positions_within_the_season(freq, season):
    panel = prepare(long_frame(np.arange(3.0 * season), "2021-01-01", freq, "a"))
    phases = panel.frequency.season_phase(panel.time_stamps())
    np.testing.assert_array_equal(np.diff(phases) % season, 1)  # one step, one position
    assert phases.min() == 0 and phases.max() == season - 1
    later = panel.frequency.season_phase(panel.time_stamps()[season:])
    np.testing.assert_array_equal(later, phases[:-season])  # a season later, same phase


def test_season_phase_is_zero_without_a_season():
    panel = prepare(long_frame(np.arange(10.0), 0, None, "a"))
    assert not panel.frequency.season_phase(panel.time_stamps()).any()
