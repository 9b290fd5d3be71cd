"""Mapping profiles: saved, named column mappings (file header → field) of one import kind."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from opex_app.models._types import created_at_field, timestamp_field

PROFILE_NAME_MAX = 100
# Full case folding turns one character into at most three ('ﬃ' → 'ffi'), so the key of a name
# that fits `name` always fits `name_key`.
PROFILE_NAME_KEY_MAX = 3 * PROFILE_NAME_MAX


class MappingProfile(SQLModel, table=True):
    __tablename__ = "mapping_profile"
    __table_args__ = (UniqueConstraint("kind", "name_key", name="uq_mapping_profile_kind_name_key"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)  # budget | pos | actuals | fx
    name: str = Field(max_length=PROFILE_NAME_MAX)  # as typed, trimmed
    name_key: str = Field(max_length=PROFILE_NAME_KEY_MAX)  # case-folded, white space collapsed
    mapping: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))  # {file header text: field}
    # Sorted header_key() of every mapped header: a profile fits a file when these are all among the file's.
    header_keys: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = created_at_field()
    created_by: str = Field(max_length=200)
    updated_at: datetime | None = timestamp_field()
    updated_by: str | None = Field(default=None, max_length=200)
