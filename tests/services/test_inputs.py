"""The shared before-validators of the service inputs: what each does with blank text and typed amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opex_app.services.inputs import blank_none, optional_text_amount, stripped, text_amount


def test_text_amount_reads_typed_amounts_and_passes_numbers() -> None:
    assert text_amount("1,23,456.78") == Decimal("123456.78")
    assert text_amount("(500)") == Decimal("-500")
    assert text_amount(Decimal("7")) == Decimal("7")


def test_text_amount_refuses_with_a_plain_value_error() -> None:
    with pytest.raises(ValueError, match="not an amount") as info:
        text_amount("abc")
    assert type(info.value) is ValueError


def test_blank_amount_is_zero_or_not_given() -> None:
    assert text_amount("") == Decimal("0.00")
    assert optional_text_amount("  ") is None
    assert optional_text_amount("12") == Decimal("12")


def test_blank_text() -> None:
    assert blank_none(" ") is None
    assert blank_none(" a ") == " a "
    assert stripped(" a ") == "a"
    assert stripped("  ") is None
    assert stripped(3) == 3
