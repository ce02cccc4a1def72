"""Redact personal contact details from free text before it leaves the service (exports).

Dispatch notes routinely carry call-back numbers and sometimes e-mail addresses; an export
for analysis or retraining needs neither. ``redact`` replaces them with fixed placeholders so
the text still reads naturally ("CB [PHONE]") and models never learn from real numbers.
"""

from __future__ import annotations

import re

PHONE_PLACEHOLDER = "[PHONE]"
EMAIL_PLACEHOLDER = "[EMAIL]"

# local@domain.tld, also with dots, plus-tags and sub-domains; deliberately generous.
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w-])"
)

# North American Numbering Plan shapes; digits are not checked against the plan (a mistyped
# number is still personal): optional +1 / 1, area code (optionally in parentheses), exchange
# and line number separated by spaces, dots or dashes, or run together; optional extension.
# Also the 7-digit local form with a separator (555-1234).
_SEP = r"[ .\-\u2010-\u2015]?"
_PHONE = re.compile(
    r"(?<![\w+])"
    r"(?:(?:\+\s?1|1)" + _SEP + r")?"
    r"(?:\(\s*\d{3}\s*\)\s?|\d{3}" + _SEP + r")"
    r"\d{3}" + _SEP + r"\d{4}"
    r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,6})?"
    r"(?!\w)"
    r"|(?<![\w+\-.])\d{3}[.\-]\d{4}(?![\w\-]|\.\d)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with e-mail addresses and US phone numbers replaced by placeholders."""
    text = _EMAIL.sub(EMAIL_PLACEHOLDER, text)
    return _PHONE.sub(PHONE_PLACEHOLDER, text)
