"""Personal data: GB 11643 ID validation, keyed hashing, masking. Raw values never leave here."""
from __future__ import annotations

import hmac
import operator
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ZERO_TOTAL = ord("0") * sum(_WEIGHTS)
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")      # ASCII: other scripts' digits are made ASCII before
_PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")
# An ID or mobile number anywhere inside free text (a clerk's note, a team name, a file name).
_EMBEDDED_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15}|1[3-9]\d{9}|1[3-9]\d[ -]\d{4}[ -]\d{4})(?![0-9A-Za-z])")


def normalise_id(text: str) -> str:
    return text.strip().upper().replace(" ", "")


def id_is_valid(id_number: str) -> bool:
    """18 characters with the ISO 7064 MOD 11-2 check character of GB 11643."""
    if not _ID_RE.match(id_number):
        return False
    head = id_number[:17]
    if head.isascii():   # the usual case: byte values minus '0' (it runs once per distinct ID of a file)
        total = sum(map(operator.mul, head.encode("ascii"), _WEIGHTS)) - _ZERO_TOTAL
    else:                # other Unicode digits that \d admits
        total = sum(int(d) * w for d, w in zip(head, _WEIGHTS))
    return _CHECK[total % 11] == id_number[17]


def phone_is_valid(phone: str) -> bool:
    return bool(_PHONE_RE.match(phone))


def volunteer_key(id_number: str, key: bytes) -> str:
    """HMAC-SHA256 of the normalised ID number, hex."""
    return hmac.digest(key, normalise_id(id_number).encode("ascii"), "sha256").hex()  # one-shot, in C


def mask_name(name: str) -> str:
    return name[0] + "*" * max(len(name) - 1, 1) if name else ""


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "*" * len(phone)


def mask_id(id_number: str) -> str:
    return id_number[:3] + "*" * max(len(id_number) - 7, 0) + id_number[-4:] if len(id_number) > 7 else "*" * len(id_number)


def redact(text: str) -> str:
    """Free text with any embedded ID or mobile number masked (138****5678)."""
    if not any(c.isdigit() for c in text):
        return text
    return _EMBEDDED_RE.sub(lambda m: mask_id(m.group()) if len(m.group()) > 13 else mask_phone(m.group()), text)
