"""Jinja2 templates, their filters, and the security headers of every console response."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from service.console.service import BACKUP_LABELS, RowView

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))

# Everything is served from this origin; no inline script or style, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # pages hold dispatch notes: never keep them in a cache
}


def percent(value: float | None) -> str:
    """0.934 -> ``93%``."""
    return "–" if value is None else f"{value * 100:.0f}%"


def clock(value: datetime | None) -> str:
    """``20:52:44`` (UTC; the browser rewrites it in local time)."""
    return value.strftime("%H:%M:%S") if value else ""


def stamp(value: datetime | None) -> str:
    """``2026-11-26 20:52:44 UTC``."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def words(name: str | None) -> str:
    """``armed_crisis_response`` -> ``armed crisis response``."""
    return (name or "").replace("_", " ")


TAG_ABBREVIATIONS = {"mental_health": "MH", "drugs": "D", "weapon": "W", "routine": "R"}

templates.env.filters.update(
    percent=percent,
    clock=clock,
    stamp=stamp,
    words=words,
    backup=BACKUP_LABELS.get,
    tag_abbr=lambda tag: TAG_ABBREVIATIONS.get(tag, tag),
)


def page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A full page or a fragment, with the console's security headers."""
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


def render_row(row: RowView) -> str:
    """One queue row as HTML (for the live stream)."""
    return templates.env.get_template("_row.html").render(row=row)
