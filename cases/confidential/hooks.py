"""Connection points other apps fill in.

`open_quality_case` is set by the cases app once quality cases exist:
    callable(*, actor, title: str, description: str, org_unit: OrgUnit | None) -> model instance
It receives only the redacted fields the discipline office chose to pass on, never the report,
its reporter, contact details or attachments, so the case cannot lead back to the report."""

open_quality_case = None
