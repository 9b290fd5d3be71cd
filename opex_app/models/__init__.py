"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from opex_app.models.activity import ActivityEvent
from opex_app.models.actuals import Actual
from opex_app.models.analytics import DATA_VERSION_CHANNEL, ApiToken, AppSetting, DataVersion, VarianceComment
from opex_app.models.audit import AuditEvent, ImportBatch
from opex_app.models.auth import AppUser, LoginAttempt, Role, UserRole, UserSession
from opex_app.models.budget import BudgetLine, BudgetNote
from opex_app.models.fx import FxRate
from opex_app.models.mapping import MappingProfile
from opex_app.models.org import (
    MASTER_MODELS,
    BudgetHead,
    CostCentre,
    Currency,
    Entity,
    FiscalYearRow,
    MasterBase,
    Tower,
    Vendor,
)
from opex_app.models.po import PoLine, PoStatus, PurchaseOrder

__all__ = [
    "DATA_VERSION_CHANNEL",
    "MASTER_MODELS",
    "ActivityEvent",
    "Actual",
    "ApiToken",
    "AppSetting",
    "AppUser",
    "AuditEvent",
    "BudgetHead",
    "BudgetLine",
    "BudgetNote",
    "CostCentre",
    "Currency",
    "DataVersion",
    "Entity",
    "FiscalYearRow",
    "FxRate",
    "ImportBatch",
    "LoginAttempt",
    "MappingProfile",
    "MasterBase",
    "PoLine",
    "PoStatus",
    "PurchaseOrder",
    "Role",
    "Tower",
    "UserRole",
    "UserSession",
    "VarianceComment",
    "Vendor",
]
