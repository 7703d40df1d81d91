"""Personal data in text: the masks a message shows, and the one redaction of personal numbers in
any text a submission brings (cells, file and sheet names, headers, title rows, messages,
exception texts). The rules of ID-number and phone cells (GB 11643 check character, the keyed
hash, the stored masks) run in SQL: ingest.rows.personal_sql.

The pattern is data (pii_pattern.txt, beside this module): the submission gate reads the same
file, and the tests scan everything the system writes with it (``leaks``)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

PATTERN_FILE = Path(__file__).with_name("pii_pattern.txt")
# An ID or mobile number anywhere in text, in any of the forms pii_pattern.txt describes.
PATTERN = re.compile(PATTERN_FILE.read_text(encoding="utf-8"))
# Identifiers the system itself writes: digests and keyed hashes (64/40/32 hex characters, a
# submission id: 16) and uuids. Hex, never personal data; only the scan (leaks) looks past them.
_HEX_ID_RE = re.compile(r"(?<![0-9A-Za-z])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                        r"|(?=[0-9a-f]*[a-f])(?:[0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{32}|[0-9a-f]{16}))(?![0-9A-Za-z])")
_MIN_DIGITS = 11


def mask_name(name: str) -> str:
    return name[0] + "*" * max(len(name) - 1, 1) if name else ""


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "*" * len(phone)


def mask_id(id_number: str) -> str:
    return id_number[:3] + "*" * max(len(id_number) - 7, 0) + id_number[-4:] if len(id_number) > 7 else "*" * len(id_number)


def redact(text: str) -> str:
    """`text` with every ID or mobile number in it masked (138****5678, 510***********1234),
    whatever its form: +86/0086/86 in front, broken by spaces, hyphens or dots, full-width
    digits, glued to letters or Chinese, grouped IDs, a lower-case x, old 15-digit IDs.
    For free text and names only: codes, amounts, dates and hours never pass through here."""
    if len(text) < _MIN_DIGITS or sum(map(str.isdigit, text)) < _MIN_DIGITS:
        return text
    return PATTERN.sub(_masked, text)


def redact_any(value: Any) -> Any:
    """redact over the text inside a JSON-like value (strings in lists and dicts, keys too)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_any(k): redact_any(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_any(v) for v in value]
    return value


def leaks(text: str) -> list[str]:
    """The personal numbers `text` still shows: PATTERN's matches, except inside the hex
    identifiers the system writes (sha256 digests, volunteer keys, uuids). For scans."""
    if sum(map(str.isdigit, text)) < _MIN_DIGITS:
        return []
    hexes = [m.span() for m in _HEX_ID_RE.finditer(text)]
    return [m.group() for m in PATTERN.finditer(text)
            if not any(a <= m.start() and m.end() <= b for a, b in hexes)]


def _masked(m: re.Match[str]) -> str:
    """The mask of one match: an ID (18 characters, or 15 digits not starting 0086) or a mobile."""
    chars = "".join(str(int(c)) if c.isdecimal() else "X" for c in m.group() if c.isdecimal() or c in "XxＸｘ")
    if len(chars) == 18 or len(chars) == 15 and not chars.startswith("0086"):
        return mask_id(chars)
    return mask_phone(chars[-11:])
