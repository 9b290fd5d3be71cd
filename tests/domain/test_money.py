from decimal import Decimal

import pytest

from opex_app.domain.money import (
    NUMBER_FORMATS,
    as_number_format,
    format_amount,
    format_indian,
    format_short,
    format_western,
)
from opex_app.domain.names import clean_name, name_key


def test_indian_grouping() -> None:
    assert format_indian(Decimal("1234567.891")) == "12,34,567.89"
    assert format_indian(Decimal("123")) == "123.00"
    assert format_indian(Decimal("-100000")) == "-1,00,000.00"
    assert format_indian(Decimal("123456789"), 0) == "12,34,56,789"


def test_short_figures() -> None:
    assert format_short(Decimal("12345678")) == "1.23 Cr"
    assert format_short(Decimal("4560000")) == "45.60 L"
    assert format_short(Decimal("99999")) == "99,999"


def test_full_grouping_in_each_format() -> None:
    amount = Decimal("12345678.9")
    assert format_amount(amount, "indian") == "1,23,45,678.90"
    assert format_amount(amount, "western") == "12,345,678.90"
    assert format_amount(-amount, "western") == "-12,345,678.90"
    assert format_western(Decimal("999.995")) == "1,000.00"  # half away from zero
    assert format_western(Decimal("-0.004")) == "0.00"  # no minus on a figure that rounds to zero
    assert format_amount(Decimal("1234.5"), "western", 0) == "1,235"


def test_short_figures_in_each_format() -> None:
    cases = {  # amount: (indian, western)
        "123456789": ("12.35 Cr", "123.46M"),
        "12345678": ("1.23 Cr", "12.35M"),
        "4560000": ("45.60 L", "4.56M"),
        "45600": ("45,600", "45.60K"),
        "1234567890": ("123.46 Cr", "1.23B"),
        "999": ("999", "999"),
        "-4560000": ("-45.60 L", "-4.56M"),
        "-45600": ("-45,600", "-45.60K"),
        "0": ("0", "0"),
    }
    for amount, shown in cases.items():
        assert (format_short(Decimal(amount), "indian"), format_short(Decimal(amount), "western")) == shown, amount


def test_short_figure_takes_the_unit_its_rounded_value_reaches() -> None:
    assert format_short(Decimal("9999999")) == "1.00 Cr"  # 99.99999 L would show as 100.00 L
    assert format_short(Decimal("999999.99"), "western") == "1.00M"
    assert format_short(Decimal("99999.4")) == "99,999"
    assert format_short(Decimal("99999.6")) == "1.00 L"  # 1,00,000 in full
    assert format_short(Decimal("-999.6"), "western") == "-1.00K"


def test_number_format_names() -> None:
    assert NUMBER_FORMATS == ("indian", "western")
    assert as_number_format("western") == "western"
    with pytest.raises(ValueError, match="indian, western"):
        as_number_format("Indian ")


def test_master_names_normalise() -> None:
    assert clean_name("  Cloud   Services ") == "Cloud Services"
    assert name_key("CLOUD services") == name_key(" cloud  Services")
