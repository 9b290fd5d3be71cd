"""The deployment's reporting basis as the screens need it: the base currency and the fiscal calendar.

Both come from the settings (`OPEX_BASE_CURRENCY`, `OPEX_FY_START_MONTH`); states ask here instead of reading
the settings, so the UI layer never depends on how the deployment is configured.
"""

from __future__ import annotations

from datetime import date

from opex_app.domain.fiscal import FiscalYear, fiscal_year_of, parse_fiscal_year
from opex_app.settings import get_settings


def base_currency() -> str:
    """The currency every report figure is in (ISO code, e.g. INR)."""
    return get_settings().base_currency


def fiscal_year_named(name: str) -> FiscalYear:
    """The FY a user or a URL names ('FY27', '2027'), in the configured calendar; ValueError when not one."""
    return parse_fiscal_year(name, get_settings().fy_start_month)


def fiscal_year_on(day: date) -> FiscalYear:
    """The FY that `day` falls in, in the configured calendar."""
    return fiscal_year_of(day, get_settings().fy_start_month)
