"""Reading the user's files: hostile CSVs give a DataError naming the file and the fix."""

import numpy as np
import pandas as pd
import pytest

from rnncast.errors import DataError
from rnncast.io.tables import read_table

COLUMNS = ["unique_id", "ds", "y"]


def write(tmp_path, content: bytes, name="data.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("content, match", [
    (b"", "the file is empty"),
    (b"\n\n", "the file is empty"),
    (b"unique_id,ds,y\n", "header but no data rows"),
    (b"unique_id,ds,y\na,2020-01-01,1,7\na,2020-01-02,2\n", "row 2 has 4 fields.*header has 3"),
    (b"unique_id,ds,y\na,2020-01-01,1\na,2020-01-02\n", "row 3 has 2 fields"),
    (b"\xff\xfe\x00garbage\x00\xff" * 10, "not UTF-8"),
    ("unique_id,ds,y\nMünchen,2020-01-01,1\n".encode("latin-1"), "not UTF-8.*Save it as UTF-8"),
], ids=["empty", "blank lines", "header only", "extra field", "missing field", "binary", "latin-1"])
def test_unreadable_files_give_a_data_error_naming_the_file(content, match, tmp_path):
    path = write(tmp_path, content)
    with pytest.raises(DataError, match=match) as caught:
        read_table(path, COLUMNS)
    assert "data.csv" in str(caught.value)


def test_non_utf8_bytes_after_the_sniffed_start_are_caught(tmp_path):
    rows = "".join(f"a,2020-01-{d:02d},1\n" for d in range(1, 29)) * 3000  # > 64 KiB
    path = write(tmp_path, ("unique_id,ds,y\n" + rows).encode() + "b,2020-01-01,é\n".encode(
        "latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        read_table(path, COLUMNS)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_the_first_non_utf8_byte_is_named_by_its_place_in_the_file(suffix, tmp_path):
    """pandas decodes in chunks and reports offsets within one; the message counts from
    the start of the (decompressed) file, and gives the line."""
    import gzip

    head = ("unique_id,ds,y\n" + "a,2020-01-01,1\n" * 20000).encode()  # > 256 KiB
    content = head + "b,2020-01-01,é\n".encode("latin-1") + b"c,2020-01-01,2\n"
    path = tmp_path / f"data{suffix}"
    path.write_bytes(gzip.compress(content) if suffix.endswith(".gz") else content)
    expected_byte = len(head) + len(b"b,2020-01-01,")
    with pytest.raises(DataError, match=rf"at byte {expected_byte} \(line 20002\)"):
        read_table(path, COLUMNS)


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_the_delimiter_is_sniffed(sep, tmp_path):
    text = sep.join(COLUMNS) + "\n" + "\n".join(
        sep.join(["a", f"2020-01-0{d}", f"{d}.5"]) for d in range(1, 4)) + "\n"
    frame = read_table(write(tmp_path, text.encode()), COLUMNS)
    assert list(frame.columns) == COLUMNS
    assert frame.y.tolist() == [1.5, 2.5, 3.5]


def test_decimal_commas_with_semicolons_are_read_as_numbers(tmp_path):
    # a European export: ';' between fields because ',' marks the decimals
    path = write(tmp_path, b"unique_id;ds;y\na;2020-01-01;1,5\na;2020-01-02;-2,25\n")
    assert read_table(path, COLUMNS).y.tolist() == [1.5, -2.25]


def test_decimal_commas_elsewhere_are_named_with_the_fix(tmp_path):
    from rnncast.data import prepare
    from rnncast.errors import ColumnTypeError

    path = write(tmp_path, b'unique_id,ds,y\na,2020-01-01,"1,5"\na,2020-01-02,"2,5"\n')
    frame = read_table(path, COLUMNS)
    with pytest.raises(ColumnTypeError, match=r"'1,5'.*decimal comma: read the file with "
                                              r"pd.read_csv\(\.\.\., decimal=','\)"):
        prepare(frame)
    assert read_table(path, COLUMNS, decimal=",").y.tolist() == [1.5, 2.5]


def test_thousands_commas_are_named_with_the_fix_and_read_when_said(tmp_path):
    from rnncast.data import prepare
    from rnncast.errors import ColumnTypeError

    path = write(tmp_path, b'unique_id,ds,y\na,2020-01-01,920\na,2020-01-02,"1,040"\n'
                           b'a,2020-01-03,"1,234,567.5"\n')
    with pytest.raises(ColumnTypeError, match=r"'1,040'.*commas between thousands: read the "
                                              r"file with pd.read_csv\(\.\.\., thousands=','\)"):
        prepare(read_table(path, COLUMNS))
    assert read_table(path, COLUMNS, thousands=",").y.tolist() == [920, 1040, 1234567.5]


def test_semicolon_files_whose_commas_could_group_thousands_are_refused(tmp_path):
    # 1,040 is 1.04 in a European export and 1040 with US thousands: never guess
    path = write(tmp_path, b"unique_id;ds;y\na;2020-01-01;920\na;2020-01-02;1,040\n")
    with pytest.raises(DataError, match=r"column 'y' holds numbers such as '1,040', which read "
                                        r"as 1.040 with a decimal comma and as 1040 with a "
                                        r"comma between thousands. Say which: thousands=',' "
                                        r"or decimal=','") as caught:
        read_table(path, COLUMNS)
    assert str(caught.value).startswith(f"{path}: column 'y'")  # not wrapped in another
    assert read_table(path, COLUMNS, thousands=",").y.tolist() == [920, 1040]
    assert read_table(path, COLUMNS, decimal=",").y.tolist() == [920, 1.04]
    # a leading 0 or other than three digits after the comma: only a decimal comma
    for value, number in [(b"0,125", 0.125), (b"1,25", 1.25), (b"1,0400", 1.04)]:
        path = write(tmp_path, b"unique_id;ds;y\na;2020-01-01;920\na;2020-01-02;1,040\n"
                               b"a;2020-01-03;" + value + b"\n")
        assert read_table(path, COLUMNS).y.tolist() == [920, 1.04, number]


def test_thousands_dots_with_decimal_commas(tmp_path):
    path = write(tmp_path, b"unique_id;ds;y\na;2020-01-01;1.040,5\na;2020-01-02;920\n")
    assert read_table(path, COLUMNS, thousands=".").y.tolist() == [1040.5, 920]
    with pytest.raises(ValueError, match="both ','"):
        read_table(path, COLUMNS, thousands=",", decimal=",")


def test_only_the_named_columns_are_loaded(tmp_path, monkeypatch):
    extra = {f"extra_{k}": ["not a number"] * 3 for k in range(5)}
    frame = pd.DataFrame({"unique_id": "a", "ds": ["2020-01-01", "2020-01-02", "2020-01-03"],
                          "y": [1.0, 2.0, 3.0], **extra})
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    calls = []
    real_read_csv = pd.read_csv

    def recording_read_csv(*args, **kwargs):
        calls.append(kwargs.get("usecols"))
        return real_read_csv(*args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", recording_read_csv)
    loaded = read_table(path, COLUMNS)
    assert list(loaded.columns) == COLUMNS
    assert calls[-1] == COLUMNS  # the data rows were parsed for these columns only


def test_all_columns_are_read_when_a_named_one_is_missing(tmp_path):
    path = write(tmp_path, b"store,date,sales\na,2020-01-01,1\n")
    assert list(read_table(path, COLUMNS).columns) == ["store", "date", "sales"]


def test_a_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        read_table(tmp_path / "nowhere.csv", COLUMNS)


def test_id_columns_named_as_text_keep_leading_zeros_and_na(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("store,month,sales\n007,2020-01,1.5\n7,2020-01,2\nNA,2020-01,3\n,2020-01,4\n")
    frame = read_table(path, ["store", "month", "sales"], text_columns=["store"])
    assert frame["store"].iloc[:3].tolist() == ["007", "7", "NA"]
    assert pd.isna(frame["store"].iloc[3])  # an empty field is still missing
    assert frame["sales"].tolist() == [1.5, 2.0, 3.0, 4.0]
    guessed = read_table(path, ["store", "month", "sales"])  # without: pandas' guesses
    assert guessed["store"].iloc[0] != "007"


def test_numbers_rnncast_wrote_read_back_bit_for_bit(tmp_path):
    from rnncast.io.tables import write_table

    values = np.random.default_rng(0).standard_normal(200) * 1e3
    frame = pd.DataFrame({"unique_id": "a", "ds": np.arange(200), "y": values})
    write_table(frame, tmp_path / "f.csv")
    np.testing.assert_array_equal(read_table(tmp_path / "f.csv")["y"].to_numpy(), values)


def test_compressed_csv_is_written_and_read_as_its_name_says(tmp_path):
    import gzip

    from rnncast.io.tables import write_table

    frame = pd.DataFrame({"unique_id": ["a", "b"], "ds": [1, 1], "y": [1.25, 2.5]})
    write_table(frame, tmp_path / "f.csv.gz")
    with gzip.open(tmp_path / "f.csv.gz", "rt") as handle:
        assert handle.readline().strip() == "unique_id,ds,y"
    pd.testing.assert_frame_equal(read_table(tmp_path / "f.csv.gz"), frame)


def test_a_table_named_for_a_format_rnncast_does_not_write_is_refused(tmp_path):
    from rnncast.io.tables import write_table

    with pytest.raises(ValueError, match=r"not Excel; name a .csv \(or .csv.gz\) or .parquet"):
        write_table(pd.DataFrame({"y": [1.0]}), tmp_path / "f.xlsx")
    assert not (tmp_path / "f.xlsx").exists()


def test_parquet_saved_with_its_index_gives_the_index_back_as_columns(tmp_path):
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"unique_id": ["a", "a"], "ds": pd.to_datetime(["2020-01-01",
                                                                         "2020-02-01"]),
                          "y": [1.0, 2.0]})
    frame.set_index(["unique_id", "ds"]).to_parquet(tmp_path / "f.parquet")
    pd.testing.assert_frame_equal(
        read_table(tmp_path / "f.parquet", ["unique_id", "ds", "y"]), frame,
        check_dtype=False)


def test_a_bad_row_is_reported_once_with_the_file_name(tmp_path):
    path = tmp_path / "fields.csv"
    path.write_text("a,b\n1,2\n1,2,3\n")
    with pytest.raises(DataError) as error:
        read_table(path)
    assert str(error.value).count("fields.csv") == 1 and "row 3 has 3 fields" in str(error.value)


def test_a_header_naming_a_column_twice_is_refused(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("ds,y,y\n1,2,3\n")
    with pytest.raises(DataError, match=r"the header names 'y' more than once"):
        read_table(path)


def test_rows_of_empty_fields_at_the_end_are_dropped(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("unique_id;ds;y\na;1;2,5\na;2;3,5\n;;\n;;\n")
    frame = read_table(path)
    assert len(frame) == 2 and frame["y"].tolist() == [2.5, 3.5]
