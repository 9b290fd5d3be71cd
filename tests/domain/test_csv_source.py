import polars as pl
import pytest
from polars.testing import assert_frame_equal

from opex_app.domain.ingest import csv_source
from opex_app.domain.ingest.csv_source import looks_like_text, read_csv_grid

Cell = str | None


def grid(rows: list[list[Cell]]) -> pl.DataFrame:
    """The expected raw grid: String columns "0".."n-1", one row per record."""
    width = max(len(row) for row in rows)
    return pl.DataFrame(rows, schema={str(column): pl.String for column in range(width)}, orient="row")


def test_utf8_comma_file() -> None:
    read = read_csv_grid("UID,Description,Apr-26\nA1,Café rent,1234.50\n".encode(), name="a.csv")
    assert (read.encoding, read.delimiter) == ("utf-8", ",")
    assert_frame_equal(read.frame, grid([["UID", "Description", "Apr-26"], ["A1", "Café rent", "1234.50"]]))


def test_utf8_bom_is_dropped() -> None:
    read = read_csv_grid(b"\xef\xbb\xbfUID,Amount\r\nA1,5\r\n", name="a.csv")
    assert read.encoding == "utf-8-sig"
    assert_frame_equal(read.frame, grid([["UID", "Amount"], ["A1", "5"]]))


def test_cp1252_file_is_decoded() -> None:
    data = "UID;Description;Apr-26\r\nA1;Café, loyer 10 €;1234,50\r\n".encode("cp1252")
    read = read_csv_grid(data, name="a.csv")
    assert (read.encoding, read.delimiter) == ("cp1252", ";")
    assert_frame_equal(read.frame, grid([["UID", "Description", "Apr-26"], ["A1", "Café, loyer 10 €", "1234,50"]]))


def test_semicolon_export_with_decimal_commas() -> None:
    data = b"UID;Description;Apr-26;May-26\nA1;Rent;1234,50;99,00\nA2;Rates, water;0,50;1,25\n"
    read = read_csv_grid(data, name="a.csv")
    assert read.delimiter == ";"
    assert read.frame.row(2) == ("A2", "Rates, water", "0,50", "1,25")


def test_semicolon_wins_a_tie_with_decimal_commas() -> None:
    # no header: each line has one ';' and one ',' (as many of each), so the preference decides
    read = read_csv_grid(b"A1;1,00\nA2;2,50\n", name="a.csv")
    assert read.delimiter == ";"
    assert_frame_equal(read.frame, grid([["A1", "1,00"], ["A2", "2,50"]]))


def test_tab_file() -> None:
    read = read_csv_grid(b"UID\tDescription\tApr-26\nA1\tRent, office; HQ\t1,234.50\n", name="a.txt")
    assert read.delimiter == "\t"
    assert read.frame.row(1) == ("A1", "Rent, office; HQ", "1,234.50")


def test_comma_file_with_a_stray_semicolon_in_one_description() -> None:
    read = read_csv_grid(b"UID,Description,Apr-26\nA1,Rent; HQ,100\nA2,Rates,5\n", name="a.csv")
    assert read.delimiter == ","
    assert read.frame.row(1) == ("A1", "Rent; HQ", "100")


def test_separators_inside_quotes_are_not_counted_to_detect_the_delimiter() -> None:
    data = b'UID,Description\nA1,"a;b;c;d"\nA2,"e;f;g;h"\nA3,"i;j;k;l"\n'
    assert read_csv_grid(data, name="a.csv").delimiter == ","


def test_quoted_fields_hold_delimiters_doubled_quotes_and_newlines() -> None:
    data = b'UID,Description,Apr-26\r\nA1,"Rent, ""HQ""",5\r\nA2,"two\r\nlines\n\nand a blank one",6\r\nA3,"",7\r\n'
    read = read_csv_grid(data, name="a.csv")
    assert_frame_equal(
        read.frame,
        grid(
            [
                ["UID", "Description", "Apr-26"],
                ["A1", 'Rent, "HQ"', "5"],
                ["A2", "two\r\nlines\n\nand a blank one", "6"],
                ["A3", None, "7"],  # a quoted empty field is empty too
            ]
        ),
    )


def test_title_rows_and_blank_lines_keep_their_row_positions() -> None:
    data = b"OPEX budget export\n\nFY27;;\nUID;Description;Apr-26\nA1;Rent;100,00\n\n\nA2;Rates;5,00\n"
    read = read_csv_grid(data, name="a.csv")
    assert read.delimiter == ";"
    assert_frame_equal(
        read.frame,
        grid(
            [
                ["OPEX budget export", None, None],  # Excel row 1
                [None, None, None],
                ["FY27", None, None],
                ["UID", "Description", "Apr-26"],  # Excel row 4
                ["A1", "Rent", "100,00"],
                [None, None, None],
                [None, None, None],
                ["A2", "Rates", "5,00"],  # Excel row 8
            ]
        ),
    )


def test_blank_lines_at_the_start_and_crlf_blank_lines_count() -> None:
    read = read_csv_grid(b"\r\n\r\nUID,Amount\r\n\r\nA1,5", name="a.csv")
    assert_frame_equal(read.frame, grid([[None, None], [None, None], ["UID", "Amount"], [None, None], ["A1", "5"]]))


def test_ragged_rows_make_a_grid_as_wide_as_the_widest_record() -> None:
    data = b"Title\nUID,Description,Apr-26\nA1,Rent\nA2,Rates,5,extra,\n"
    read = read_csv_grid(data, name="a.csv")
    assert_frame_equal(
        read.frame,
        grid(
            [
                ["Title", None, None, None, None],
                ["UID", "Description", "Apr-26", None, None],
                ["A1", "Rent", None, None, None],
                ["A2", "Rates", "5", "extra", None],
            ]
        ),
    )


def test_cells_are_not_stripped_and_empty_cells_are_null() -> None:
    read = read_csv_grid(b"UID,Description\n  A1 ,\n   \n", name="a.csv")
    assert_frame_equal(read.frame, grid([["UID", "Description"], ["  A1 ", None], ["   ", None]]))


def test_one_column_file() -> None:
    read = read_csv_grid(b"UID\nA1\n\nA2\n", name="a.csv")
    assert read.delimiter == ","
    assert_frame_equal(read.frame, grid([["UID"], ["A1"], [None], ["A2"]]))


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match=r"^a\.csv is empty$"):
        read_csv_grid(data, name="a.csv")


def test_a_file_that_is_neither_utf8_nor_cp1252_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be decoded") as caught:
        read_csv_grid(b"UID,Amount\nA1,\x81\xff\n", name="a.csv")
    assert "\n" not in str(caught.value)


def test_the_row_limit_counts_records_and_names_the_limit() -> None:
    data = b'Title\n\nUID,Amount\nA1,"multi\nline"\n'  # 4 records on 5 lines
    assert read_csv_grid(data, name="a.csv", max_rows=4).frame.height == 4
    with pytest.raises(ValueError, match="limit of 3 rows") as caught:
        read_csv_grid(data, name="a.csv", max_rows=3)
    assert "\n" not in str(caught.value)


def test_quotes_inside_unquoted_fields_are_read_as_excel_reads_them() -> None:
    # Polars refuses these; the csv module reads them again, keeping the row positions
    data = b'UID,Description\nA1,5" screen\n\nA2,"TV"s\n'
    read = read_csv_grid(data, name="a.csv")
    assert_frame_equal(read.frame, grid([["UID", "Description"], ["A1", '5" screen'], [None, None], ["A2", "TVs"]]))


@pytest.mark.parametrize(
    "data",
    [
        b'Title\n\nUID;Description;Apr-26\nA1;"Rent; HQ";1,5\n\nA2;Rates\nA3;x;1;2;\n',
        b'UID,Description\r\nA1,"two\r\nlines, ""quoted"""\r\n\r\nA2,""\r\n',
        b"UID\tAmount\n\n\nA1\t5",
    ],
)
def test_the_fallback_reader_gives_the_same_grid(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = read_csv_grid(data, name="a.csv")
    monkeypatch.setattr(csv_source, "_read_with_polars", lambda *args: None)
    assert_frame_equal(read_csv_grid(data, name="a.csv").frame, fast.frame)


@pytest.mark.parametrize(
    "head",
    [
        "UID,Description\nA1,Café\n".encode(),
        b"\xef\xbb\xbfUID;Amount\r\n",
        "UID;Description\tA1;Loyer 10 €\n".encode("cp1252"),
        "UID,Description\nA1,Caf\u00e9".encode()[:-1],  # a character cut off by the head's end
    ],
)
def test_text_looks_like_text(head: bytes) -> None:
    assert looks_like_text(head)


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",  # .xlsx
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",  # .xls
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "UID,Amount\n".encode("utf-16"),  # NUL bytes
        b"UID,Amount\x01\x02\x03\n",  # control characters
        b"UID,\x81\x8d\n",  # neither UTF-8 nor cp1252
    ],
)
def test_binary_does_not_look_like_text(head: bytes) -> None:
    assert not looks_like_text(head)
