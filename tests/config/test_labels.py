"""Labels that mean what they say, one per place they were seen wrong: where one English word
means two things, each meaning has its own context (pgettext) and its own Chinese."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from docx import Document

from accounts.audit_actions import ACTIONS, VERBS, action_label
from accounts.models import AuditEntry
from cases.models import Case
from cases.models import Status as S
from engine import deadlines
from engine.models import Deadline
from tests.cases.complaints.factories import file_anonymous
from tests.cases.factories import advance, file_case
from tests.workflows.monitoring.factories import IndicatorFactory, PeriodFactory
from tests.workflows.plans.factories import draft_target, in_force_plan
from workflows.monitoring import services as monitoring

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_in_process")]


def _page(client, url, **kwargs):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans", **kwargs)
    assert response.status_code == 200, url
    return response.content.decode()


def test_complaint_and_report_text_is_not_a_targets_definition(cast, client):
    """内涵释义 is what a target means; the text of a complaint or a report is its 内容."""
    assert "投诉内容" in _page(client, reverse("complaints:file"))
    assert "举报内容" in _page(client, "/report/")
    for url in (reverse("complaints:file"), "/report/"):
        assert "内涵释义" not in _page(client, url)
    target = draft_target(cast, in_force_plan(cast))
    client.force_login(cast.quality_officer)
    assert "内涵释义" in _page(client, target.get_absolute_url())


def test_investigation_findings_are_not_review_findings(cast, client):
    case = advance(cast, file_case(cast.student, cast.units.rj), S.INVESTIGATING)
    client.force_login(cast.xx_member)
    page = _page(client, reverse("cases:action", args=[case.pk, "findings"]))
    assert "调查结论" in page and "复核意见" not in page


def test_a_verified_rectification_reads_as_accepted_not_as_a_case_taken_in(cast, client):
    case = advance(cast, file_case(cast.student, cast.units.rj), S.RECTIFIED)
    client.force_login(cast.xx_leader)
    page = _page(client, case.get_absolute_url())
    assert "验收通过" in page and "已受理: " not in page


def test_an_incident_is_filed_by_its_reporter_not_an_informant(cast, client):
    """举报人 is the discipline office's word for a confidential informant."""
    case = file_case(cast.supervisor, cast.units.rj, kind=Case.Kind.REPORT, title="实验室安全隐患")
    client.force_login(cast.supervisor)
    page = _page(client, case.get_absolute_url())
    assert "提交人" in page and "举报人" not in page and "举报时间" not in _page(client, "/cases/")


def test_a_notification_link_says_view_not_in_progress(
    cast, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        file_case(cast.student, cast.units.rj)
    client.force_login(cast.xx_leader)
    page = _page(client, reverse("engine:notification_list"))
    assert ">查看<" in page and "进行中" not in page


def test_the_indicator_table_names_indicators_not_people(cast, client):
    IndicatorFactory(code="M03", name="就业率", data_owner_unit=cast.units.xx)
    client.force_login(cast.quality_officer)
    page = _page(client, reverse("monitoring:indicator_list"))
    assert "<th>名称</th>" in page and "姓名" not in page
    assert "<th>姓名</th>" in _page(
        client, reverse("accounts:unit_detail", args=[cast.units.rj.pk])
    )


def test_a_wrong_tracking_code_is_answered_in_chinese(client):
    for url, message in (
        (reverse("complaints:track"), "没有与该查询码对应的投诉。"),
        ("/report/track/", "没有与该查询码对应的举报。"),
    ):
        response = client.post(
            url, {"code": "AAAA-BBBB-CCCC-DDDD-EEEE"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        page = response.content.decode()
        assert message in page and "matches this code" not in page


def test_each_language_is_offered_in_its_own_name(client):
    page = _page(client, reverse("accounts:login"))
    assert ">English</option>" in page and "英语" not in page


def test_deadline_kinds_and_audit_actions_are_shown_by_name(cast, client):
    """The kinds the issue saw raw: case.acceptance, review.improvement; the audit actions
    case.file and case.supervise (on the discipline office's timeline and the audit trail)."""
    deadlines.forget_rule_labels()
    with translation.override("zh-hans"):
        assert deadlines.kind_label("case.acceptance") == "案件受理"
        assert deadlines.kind_label("review.improvement") == "复核问题整改"
        assert deadlines.kind_label("no.such_kind") == "完成时限"
        assert action_label("case.file") == "提交案件"
        assert action_label("case.supervise") == "督办"
        assert action_label("review.round.add_report") == "报告加入复核批次"
    case, _code = file_anonymous(cast.units.xx)
    case = advance(cast, case, S.ACCEPTED)
    Deadline.objects.filter(kind="case.acceptance").update(
        due_at=timezone.now() - datetime.timedelta(days=9)
    )
    client.force_login(cast.discipline_officer)
    page = _page(client, reverse("complaints:oversight_detail", args=[case.pk]))
    assert "提交案件" in page and "case.file" not in page
    client.force_login(cast.quality_officer)
    page = _page(client, reverse("accounts:audit_list"))
    assert "受理" in page and "case.accept" not in page


def test_every_audit_action_in_the_code_has_a_name():
    """A new action without a name would show as the plain 变更: the actions the code writes
    (literal ones, and the verbs the case and report services pass on) all have one."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    written = set()
    for path in root.glob("[!.]*/**/*.py"):
        if "tests" in path.parts or "migrations" in path.parts or ".venv" in path.parts:
            continue
        text = path.read_text()
        written |= set(re.findall(r'action="([a-z_]+(?:\.[a-z_]+)+)"', text))
        written |= set(
            re.findall(r'"([a-z_]+\.[a-z_]+)" if [^\n]+? else "([a-z_]+\.[a-z_]+)"', text)
        )
        written |= {
            f"case.{v}"
            for v in re.findall(r'_(?:audit|close|advance)\(\s*actor, case, "(\w+)"', text)
        }
    written = {a for pair in written for a in ([pair] if isinstance(pair, str) else pair)}
    assert len(written) > 60
    unnamed = sorted(a for a in written if a not in ACTIONS and a.rsplit(".", 1)[-1] not in VERBS)
    assert unnamed == []


def test_the_ledger_says_red_warning_once(cast, client, django_capture_on_commit_callbacks):
    period = PeriodFactory()
    indicator = IndicatorFactory(code="M03", name="就业率", data_owner_unit=cast.units.xx)
    subject = monitoring.subject_for_unit(cast.units.rj)
    with django_capture_on_commit_callbacks(execute=True):
        reading, _ = monitoring.reading_submit(
            actor=cast.xx_member, indicator=indicator, subject=subject, period=period, value=80
        )
        monitoring.reading_approve(actor=cast.xx_leader, reading=reading)
    warning = subject.warnings.get()
    monitoring.improvement_open(
        actor=cast.software_lead,
        subject=subject,
        period=period,
        title="提高就业率",
        cause_analysis="校企合作岗位不足",
        measures="新增三家合作企业",
        owner=cast.software_lead,
        deadline=timezone.localdate() + datetime.timedelta(days=60),
        warning=warning,
    )
    client.force_login(cast.quality_officer)
    response = client.get(
        reverse("monitoring:improvement_export", args=["docx"]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    document = Document(io.BytesIO(response.content))
    cells = " ".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    text = " ".join(p.text for p in document.paragraphs) + cells
    assert "红色预警" in text and "预警预警" not in text
    # The warning's own pages and the home page name the level in Chinese, beside its deadline.
    client.force_login(cast.software_lead)
    home = _page(client, "/")
    assert "Red" not in home and "Yellow" not in home


def test_audit_rows_name_their_action_in_the_admin_too(cast, client):
    file_case(cast.student, cast.units.rj)
    client.force_login(cast.sysadmin)
    page = _page(client, reverse("admin:accounts_auditentry_changelist"))
    assert "提交案件" in page
    assert AuditEntry.objects.filter(action="case.file").exists()


def test_a_median_of_zero_days_is_zero_not_missing(cast, client):
    """Cases accepted and closed the day they came in: the medians are 0 days, a figure; only no
    case at all leaves them "—"."""
    client.force_login(cast.quality_officer)
    page = _page(client, reverse("cases:dashboard"))
    assert page.count('<div class="stat">—</div>') >= 2
    advance(cast, file_case(cast.teacher, cast.units.rj), S.CLOSED)
    page = _page(client, reverse("cases:dashboard"))
    for label in ("受理时长中位数（天）", "办结时长中位数（天）"):
        card = page.split(label, 1)[1].split("</div></div>", 1)[0]
        assert card.endswith('<div class="stat">0'), card
    response = client.get(reverse("cases:analysis_docx"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    document = Document(io.BytesIO(response.content))
    text = "".join(p.text for p in document.paragraphs)
    assert "受理的中位时长为0天" in text and "办结的中位时长为0天" in text


def test_an_open_supervision_request_is_not_yet_answered_not_switched_on(cast, client):
    """已开启 is a reporting period open for readings; a supervision request not yet answered
    is 未办结."""
    case, _code = file_anonymous(cast.units.rj)
    client.force_login(cast.discipline_officer)
    client.post(
        reverse("complaints:supervise", args=[case.pk]),
        {"request": "请加快办理。", "working_days": 5},
    )
    page = _page(client, reverse("complaints:oversight"))
    assert "（未办结：1）" in page and "已开启" not in page


def test_a_too_long_complaint_title_says_which_field_and_by_how_much(client):
    page = client.post(
        reverse("complaints:file"),
        {"title": "长" * 130, "description": "本学期实训课已取消三次。"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    assert "投诉事项不能超过120个字（现有130个）。" in page
    assert "确保该变量" not in page
