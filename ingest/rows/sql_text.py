"""SQL shared by the cell rules that run in SQL (ingest.rows.column_sql): how a text is cleaned
and which texts a rule may read as written.

A value comes in as text: ASCII cells as written (the SQL collapses their spaces); anything else
(other scripts' digits, full-width forms, numbers typed in a workbook) as Python made it
(`values.clean_text`, `ascii_digits`), flagged `ready`."""
from __future__ import annotations

from ingest.rows.values import BLANK_MARKS, MAX_CELL_CHARS

# ASCII text with its whitespace collapsed and trimmed (values.clean_text on ASCII, control
# characters being refused before this), or the text Python prepared.
CLEAN = "case when ready then t else trim(regexp_replace(t, '[ \\t\\n\\r]+', ' ', 'g')) end"
NO_SPACES = "case when ready then t else regexp_replace(t, '[ \\t\\n\\r]', '', 'g') end"

BLANK_MARKS_SQL = "(" + ", ".join("'" + m.replace("'", "''") + "'" for m in sorted(BLANK_MARKS)) + ")"
# Text a rule reads as written: printable ASCII longer than any blank mark (not all spaces), or
# CJK unified ideographs alone that are no blank mark (NFKC leaves them as they are). Anything
# else (NULL included) is left to the caller to check and normalise. true: ready as it is.
ROUTE = f"""case when length(t) between 7 and {MAX_CELL_CHARS} and regexp_full_match(t, '[\\x20-\\x7e]+')
                      and trim(t) <> '' then false
                 when length(t) <= {MAX_CELL_CHARS} and regexp_full_match(t, '[\\x{{4e00}}-\\x{{9fff}}]+')
                      and t not in {BLANK_MARKS_SQL} then true end"""
