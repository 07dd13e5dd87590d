"""The run's as-of instant: what "now" means for one build (decay, lifecycle, speed to lead,
LTV all measure against it).

A nightly run uses its own start time (UTC); ``revloop run --as-of`` pins it for replays and
backfills; dbt receives it as the var ``as_of`` (macro ``as_of()`` in dbt_project/macros).
"""

from __future__ import annotations

import datetime as dt

AS_OF_FORMAT = "%Y-%m-%d %H:%M:%S"


def parse_as_of(text: str) -> dt.datetime:
    """An aware UTC datetime from ISO 8601 text.

    ``2026-10-31T23:59:59Z``, ``2026-10-31 23:59:59`` (read as UTC), ``2026-11-01T08:59:59+09:00``
    and a bare date ``2026-10-31`` (= the end of that day, 23:59:59 UTC) are accepted.
    Raises ValueError naming the accepted forms.
    """
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(
            f"not an as-of timestamp: {text!r} (use e.g. 2026-10-31T23:59:59Z, "
            "'2026-10-31 23:59:59' in UTC, or a date 2026-10-31 for the end of that day)"
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0)


def as_of_text(value: dt.datetime) -> str:
    """The form dbt's ``as_of`` var takes: ``YYYY-MM-DD HH:MM:SS`` in UTC."""
    return value.astimezone(dt.UTC).strftime(AS_OF_FORMAT)
