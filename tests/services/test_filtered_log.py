"""The helpers the audit trail and the activity log share: a query's URL form, its dates, the export's title."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from opex_app.services.filtered_log import EXPORT_MAX_ROWS, UrlQuery, export_title, read_dates


@dataclass(frozen=True)
class _Query(UrlQuery):
    who: str = ""
    date_from: date | None = None
    date_to: date | None = None


def test_a_query_names_its_non_empty_filters_in_field_order_with_iso_dates() -> None:
    assert _Query("ann", None, date(2068, 3, 31)).as_params() == {"who": "ann", "date_to": "2068-03-31"}
    assert list(_Query("ann", date(2068, 4, 1)).as_params()) == ["who", "date_from"]
    assert _Query().as_params() == {}


def test_unreadable_dates_are_ignored_and_said_shortly() -> None:
    junk = "x" * 50
    assert read_dates({"date_from": " 2069-04-01 ", "date_to": ""}) == (date(2069, 4, 1), None, [])
    date_from, date_to, problems = read_dates({"date_from": "31/04/2069", "date_to": junk})
    assert (date_from, date_to) == (None, None)
    assert problems == [
        "'31/04/2069' is not a date (YYYY-MM-DD); the date from filter is ignored",
        f"'{'x' * 30}' is not a date (YYYY-MM-DD); the date to filter is ignored",
    ]


def test_the_export_title_says_the_filters_the_count_and_the_cap() -> None:
    assert export_title("Audit trail", _Query(), 1) == "Audit trail (all events), 1 event"
    assert export_title("Activity log", _Query("ann"), 2_000) == "Activity log (who=ann), 2,000 events"
    capped = export_title("Activity log", _Query(), EXPORT_MAX_ROWS)
    assert capped.endswith(f"(the newest {EXPORT_MAX_ROWS:,}: narrow the filters for the older ones)")
