"""The rules of personal-data columns (ID numbers, mobile numbers, names) as SQL over a column's
distinct values (run by ingest.rows.column_sql): GB 11643 check character, the keyed hash
(HMAC-SHA256 as two `sha256` calls over the key ⊕ ipad/opad blobs), the masks. Raw values stay in
a registered frame of an in-memory database, never a table.

QUERIES[kind] reads `cells(k, t, ready)` and yields (k, value, error) per text."""
from __future__ import annotations

import hashlib

from ingest.rows.sql_text import CLEAN, NO_SPACES

_BLOCK = 64                                   # SHA-256's block size (RFC 2104)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# ISO 7064 MOD 11-2 over the first 17 digits, as one dot product (padded: lists of one length
# whatever the text; cheaper to plan and to run than the 17 terms written out)
_CHECK_SUM = (f"list_dot_product(list_transform(string_split(rpad(left(n, 17), 17, '0'), ''), "
              f"lambda c: ascii(c) - 48)::double[], {list(_WEIGHTS)}::double[])")

_ID = f"""
with s as (select k, {NO_SPACES} as s from cells),
unwrapped as (
  select k, case when regexp_full_match(s, '="(.*)"') then regexp_extract(s, '^="(.*)"$', 1)
                 when regexp_full_match(s, '''(.*)') then regexp_extract(s, '^''(.*)$', 1)
                 else s end as s from s),
numbers as (
  select k, case when regexp_full_match(s, '[0-9](\\.[0-9]+)?[eE][+]?[0-9]+') then null
                 else upper(s) end as n from unwrapped),
checked as (
  select k, n, n is not null and regexp_full_match(n, '[0-9]{{17}}[0-9X]')
         and substr('10X98765432', cast(({_CHECK_SUM}) % 11 as bigint) + 1, 1) = substr(n, 18, 1) as valid
  from numbers)
select k, case when valid then sha256($opad::blob || unhex(sha256($ipad::blob || encode(n)))) end as value,
       case when n is null then 'id_not_text' when not valid then 'bad_id_number' end as error
from checked"""

_PHONE = f"""
with c as (select k, {CLEAN} as c from cells),
p as (select k, case when length(c) > 11 then regexp_replace(regexp_replace(c, '[ \\-()]', '', 'g'), '^(\\+?86)', '')
                     else c end as p from c)
select k,
       case when regexp_full_match(p, '1[3-9][0-9]{{9}}') then substr(p, 1, 3) || '****' || right(p, 4) end as value,
       case when not regexp_full_match(p, '1[3-9][0-9]{{9}}') then 'bad_phone' end as error
from p"""

_NAME = f"""
with s as (select k, {NO_SPACES} as s from cells)
select k, case when s = '' then '' else left(s, 1) || repeat('*', greatest(length(s) - 1, 1)) end as value,
       null as error
from s"""

QUERIES = {"id_number": _ID, "phone": _PHONE, "person_name": _NAME}


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer pads of HMAC-SHA256 for `key` (RFC 2104)."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5c for b in key)
