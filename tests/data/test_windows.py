import numpy as np

from rnncast.data.windows import pad_short_series


def test_short_series_are_padded_with_their_first_value_or_the_value_given():
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    starts = np.array([0, 3, 9])  # lengths 3 and 6
    padded, new_starts = pad_short_series(values, starts, span=5, min_length=2)
    np.testing.assert_array_equal(new_starts, [0, 5, 11])
    np.testing.assert_array_equal(padded[:5], [1, 1, 1, 2, 3])
    np.testing.assert_array_equal(padded[5:], values[3:])  # long enough: as it was
    padded, _ = pad_short_series(values, starts, span=5, min_length=2,
                                 pad_values=np.array([-1.0, -2.0]))
    np.testing.assert_array_equal(padded[:5], [-1, -1, 1, 2, 3])
    np.testing.assert_array_equal(padded[5:], values[3:])
    # shorter than min_length: left as it is, for no window
    padded, new_starts = pad_short_series(values, starts, span=5, min_length=4)
    np.testing.assert_array_equal(new_starts, starts)
