"""SQL shared by the cell rules that run in SQL (ingest.rows.column_sql): how a text is cleaned.

A value comes in as text: ASCII cells as written (the SQL collapses their spaces); anything else
(other scripts' digits, full-width forms, numbers typed in a workbook) as Python made it
(`values.clean_text`, `ascii_digits`), flagged `ready`."""
from __future__ import annotations

# ASCII text with its whitespace collapsed and trimmed (values.clean_text on ASCII, control
# characters being refused before this), or the text Python prepared.
CLEAN = "case when ready then t else trim(regexp_replace(t, '[ \\t\\n\\r]+', ' ', 'g')) end"
NO_SPACES = "case when ready then t else regexp_replace(t, '[ \\t\\n\\r]', '', 'g') end"
