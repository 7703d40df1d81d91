"""The mart audit keeps its own words (expectations imports nothing of ours): they must stay the
words ingest's contracts accept, or the audit would pass marts ingest could never have made, or
fail ones it did."""
from __future__ import annotations

from expectations.audit import vocabulary
from ingest.contracts import all_contracts, stages


def test_the_audit_knows_the_project_stages_of_the_investment_contract():
    assert vocabulary.STAGES == stages()


def test_the_audit_knows_the_issue_statuses_of_the_issue_contract():
    assert vocabulary.ISSUE_STATUSES == all_contracts()["issue"].fields["status"].values
    assert set(vocabulary.CLOSED_STATUSES) < set(vocabulary.ISSUE_STATUSES)
