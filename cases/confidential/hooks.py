"""Connection points other apps fill in.

`open_quality_case` is set by the cases app once quality cases exist:
    callable(*, actor, title: str, description: str, org_unit: OrgUnit | None,
             recused: list[User]) -> model instance
It receives only the redacted fields the discipline office chose to pass on and the people the
report is about (who take no step of the case: 回避), never the report, its reporter, contact
details or attachments, so the case cannot lead back to the report. The cases app tells
`services.quality_case_finished(case)` when such a case is refused or closed."""

open_quality_case = None
