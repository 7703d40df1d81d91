"""What both gates need of Great Expectations: an ephemeral context, and a result's column and
error in plain values. GX itself is imported only when a context is made."""
from __future__ import annotations

import logging
from typing import Any


def new_context() -> Any:
    # GX logs hundreds of INFO lines on import; keep task logs readable unless configured.
    gx_logger = logging.getLogger("great_expectations")
    if gx_logger.level == logging.NOTSET:
        gx_logger.setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm in task logs
    return context


def column_of(kwargs: dict[str, Any]) -> str | None:
    """The column(s) an expectation checks: 'a', or 'a,b' for pairs and compound keys."""
    pair = [kwargs[k] for k in ("column_A", "column_B") if kwargs.get(k)]
    return kwargs.get("column") or ",".join(kwargs.get("column_list") or pair) or None


def exception_message(info: dict[str, Any] | None) -> str | None:
    """GX gives either one exception dict or one per metric id."""
    if not info:
        return None
    candidates = [info] if "raised_exception" in info else list(info.values())
    for c in candidates:
        if isinstance(c, dict) and c.get("raised_exception"):
            return str(c.get("exception_message"))
    return None
