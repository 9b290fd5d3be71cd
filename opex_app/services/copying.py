"""COPY between Polars frames and tables, inside the session's transaction: the one way bulk rows move."""

from __future__ import annotations

import io
from typing import Any

import polars as pl
from sqlmodel import Session

from opex_app.db import psycopg_connection


def copy_in(session: Session, table: str, frame: pl.DataFrame) -> None:
    """COPY a frame into `table` (its column names are the table's)."""
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value=r"\N", quote_style="necessary")
    with (
        psycopg_connection(session).cursor() as cur,
        cur.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy,
    ):
        copy.write(buffer.getbuffer())


def copy_out(session: Session, query: str, schema: dict[str, Any], params: Any = None) -> pl.DataFrame:
    """The rows of a SELECT (whose columns are `schema`'s, in order) as a typed frame, read with one COPY."""
    buffer = io.BytesIO()
    with (
        psycopg_connection(session).cursor() as cur,
        cur.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)", params) as copy,
    ):
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    return pl.read_csv(buffer, schema=schema)
