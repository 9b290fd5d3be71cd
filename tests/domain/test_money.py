from decimal import Decimal

from opex_app.domain.money import format_indian, format_short
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


def test_master_names_normalise() -> None:
    assert clean_name("  Cloud   Services ") == "Cloud Services"
    assert name_key("CLOUD services") == name_key(" cloud  Services")
