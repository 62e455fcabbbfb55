"""Rewards (评优 recommendations), training taken and measures adopted, recorded as decisions on a
cycle's large loop: who recommends, what, on which grounds, and the decision of whoever the
kind names; audited, shown on the cycle page and in the HR appraisal export."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from accounts.models import AuditEntry
from engine.models import Attachment
from engine.selectors import inbox_tasks
from workflows.levels import Level
from workflows.monitoring import services
from workflows.monitoring.models import (
    Cycle,
    CycleDecision,
    DecisionKind,
    DecisionStatus,
    Stage,
)
from workflows.monitoring.stages import cycles_move

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

PATH = ["standard", "plan", "implement", "monitor", "diagnose", "incentive", "learn", "innovate"]


def _cycle_at(cast, user, level, period, stage):
    cycle = Cycle.objects.create(
        subject=services.subject_for_user(user, level),
        period=period,
        level=level,
        responsible_unit=cast.units.rj,
    )
    for to in PATH[: PATH.index(stage) + 1]:
        cycles_move(Cycle.objects.filter(pk=cycle.pk), "advance", args=(to,))
    cycle.refresh_from_db()
    return cycle


def _propose(client, cycle, code, title="2026年度优秀教师", grounds="教学满意度连续两年优秀"):
    kind = DecisionKind.objects.get(code=code)
    return client.post(
        f"/monitoring/cycles/{cycle.pk}/decisions/",
        {"kind": kind.pk, "title": title, "grounds": grounds},
        follow=True,
    )


def test_a_team_leader_recommends_a_teacher_and_the_committee_decides(cast, mon, login):
    cycle = _cycle_at(cast, cast.teacher, Level.TEACHER, mon.y2026, Stage.INCENTIVE)
    lead = login(cast.software_lead)
    page = lead.get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
    assert "推荐评优" in page and "优秀教师" in page
    page = _propose(lead, cycle, "excellent-teacher").content.decode()
    decision = CycleDecision.objects.get(cycle=cycle)
    assert f"提出人：{cast.software_lead}" in page
    assert (decision.proposed_by, decision.status, decision.stage) == (
        cast.software_lead,
        DecisionStatus.PROPOSED,
        Stage.INCENTIVE,
    )
    # the committee decides a teacher's reward: its chair has it in the inbox
    assert [t.process.artifact for t in inbox_tasks(cast.chair)] == [decision]
    assert not inbox_tasks(cast.xx_leader).exists()
    # nobody else decides it
    response = login(cast.xx_leader).post(
        f"/monitoring/decisions/{decision.pk}/decide/", {"approve": "1"}
    )
    assert response.status_code == 403
    # while it waits, the teacher cannot leave 激励
    teacher = login(cast.teacher)
    teacher.post(f"/monitoring/cycles/{cycle.pk}/advance/")
    cycle.refresh_from_db()
    assert cycle.stage == Stage.INCENTIVE

    chair = login(cast.chair)
    page = chair.get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
    assert "教学满意度连续两年优秀" in page and "不予批准" in page
    chair.post(f"/monitoring/decisions/{decision.pk}/decide/", {"approve": "1", "note": "同意"})
    decision.refresh_from_db()
    assert (decision.status, decision.decided_by, decision.note) == (
        DecisionStatus.APPROVED,
        cast.chair,
        "同意",
    )
    assert not inbox_tasks(cast.chair).exists()
    assert AuditEntry.objects.filter(action="cycle.decision.propose").count() == 1
    assert AuditEntry.objects.get(action="cycle.decision.approve").actor == cast.chair

    # the approved reward is the incentive decision: the teacher moves on
    teacher = login(cast.teacher)
    page = teacher.get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
    assert "2026年度优秀教师" in page and "王建国" in page
    teacher.post(f"/monitoring/cycles/{cycle.pk}/advance/")
    cycle.refresh_from_db()
    assert cycle.stage == Stage.LEARN

    # the appraisal export names it for 吴芳
    response = login(cast.quality_officer).get(
        f"/monitoring/overview/{mon.y2026.pk}/appraisal.xlsx"
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[2][-1] == "评优推荐及决定"
    mine = [r for r in rows[3:] if r[1] == "吴芳"]
    assert mine[0][-1] == "优秀教师：2026年度优秀教师（已批准）"


def test_a_students_reward_is_the_department_leaders_and_not_their_own(cast, mon, login):
    cycle = _cycle_at(cast, cast.student, Level.STUDENT, mon.y2026, Stage.INCENTIVE)
    leader = login(cast.xx_leader)
    # a teacher's kinds are not offered for a student
    response = _propose(leader, cycle, "excellent-teacher")
    assert "有效的选项" in response.content.decode()
    assert not CycleDecision.objects.exists()
    _propose(leader, cycle, "merit-student", title="2026年度三好学生", grounds="成绩优良")
    decision = CycleDecision.objects.get(cycle=cycle)
    # the department leader proposed it: a rule passes them over
    response = leader.post(
        f"/monitoring/decisions/{decision.pk}/decide/", {"approve": "1"}, follow=True
    )
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.PROPOSED
    assert "不得决定本人提出的建议" in response.content.decode()


def test_not_approving_needs_a_reason_and_a_decision_is_taken_once(cast, mon, login):
    cycle = _cycle_at(cast, cast.student, Level.STUDENT, mon.y2026, Stage.INCENTIVE)
    _propose(login(cast.software_lead), cycle, "excellent-student", title="优秀学生")
    decision = CycleDecision.objects.get(cycle=cycle)
    leader = login(cast.xx_leader)
    response = leader.post(f"/monitoring/decisions/{decision.pk}/decide/", {"approve": "0"})
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.PROPOSED
    leader.post(
        f"/monitoring/decisions/{decision.pk}/decide/", {"approve": "0", "note": "名额已满"}
    )
    decision.refresh_from_db()
    assert (decision.status, decision.note) == (DecisionStatus.REJECTED, "名额已满")
    response = leader.post(
        f"/monitoring/decisions/{decision.pk}/decide/", {"approve": "1"}, follow=True
    )
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.REJECTED
    assert "已作出决定" in response.content.decode()
    # a rejected recommendation does not meet the incentive gate
    client = login(cast.student)
    client.post(f"/monitoring/cycles/{cycle.pk}/advance/")
    cycle.refresh_from_db()
    assert cycle.stage == Stage.INCENTIVE


def test_training_taken_and_a_measure_adopted_meet_learn_and_innovate(cast, mon, login):
    cycle = _cycle_at(cast, cast.teacher, Level.TEACHER, mon.y2026, Stage.LEARN)
    teacher = login(cast.teacher)
    page = teacher.get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
    assert "记录参加的培训" in page
    teacher.post(
        f"/monitoring/cycles/{cycle.pk}/decisions/",
        {
            "kind": DecisionKind.objects.get(code="training").pk,
            "title": "信息化教学能力培训（32学时）",
            "grounds": "结业证书",
            "file": SimpleUploadedFile("结业证书.pdf", PDF),
        },
    )
    training = CycleDecision.objects.get(cycle=cycle, stage=Stage.LEARN)
    # the certificate is on the cycle page, for those who see the cycle
    attachment = Attachment.objects.get(object_id=str(training.pk))
    assert (
        f"/files/{attachment.pk}/"
        in teacher.get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
    )
    assert teacher.get(f"/files/{attachment.pk}/").status_code == 200
    assert login(cast.jd_leader).get(f"/files/{attachment.pk}/").status_code == 404
    teacher = login(cast.teacher)
    # the teacher does not confirm their own training; their department leader does
    assert [t.process.artifact for t in inbox_tasks(cast.xx_leader)] == [training]
    login(cast.xx_leader).post(f"/monitoring/decisions/{training.pk}/decide/", {"approve": "1"})
    teacher = login(cast.teacher)
    teacher.post(f"/monitoring/cycles/{cycle.pk}/advance/")
    cycle.refresh_from_db()
    assert cycle.stage == Stage.INNOVATE
    _propose(teacher, cycle, "measure-adopted", title="课堂即时评价", grounds="试点班满意度提高")
    measure = CycleDecision.objects.get(cycle=cycle, stage=Stage.INNOVATE)
    assert [t.process.artifact for t in inbox_tasks(cast.quality_officer)] == [measure]
    login(cast.quality_officer).post(
        f"/monitoring/decisions/{measure.pk}/decide/", {"approve": "1"}
    )
    teacher = login(cast.teacher)
    teacher.post(f"/monitoring/cycles/{cycle.pk}/advance/")
    cycle.refresh_from_db()
    assert cycle.stage == Stage.IMPROVED


def test_who_may_recommend(cast, mon, login):
    cycle = _cycle_at(cast, cast.teacher, Level.TEACHER, mon.y2026, Stage.INCENTIVE)
    # another department's leader cannot even see the cycle; a student sees nothing of it
    assert _propose(login(cast.jd_leader), cycle, "excellent-teacher").status_code == 404
    assert _propose(login(cast.student), cycle, "excellent-teacher").status_code == 404
    # the quality office sees it but answers for no teacher
    response = login(cast.quality_officer).post(
        f"/monitoring/cycles/{cycle.pk}/decisions/",
        {
            "kind": DecisionKind.objects.get(code="excellent-teacher").pk,
            "title": "x",
            "grounds": "y",
        },
    )
    assert response.status_code == 403
    assert not CycleDecision.objects.exists()


def test_the_decision_line_names_the_deciding_body_then_the_person_who_decided(cast, mon, login):
    """ "decided by" is a voting method on a plan's decision rule, the body a kind names and the
    person who decided: the cycle page says 决定方 while it waits and 决定人 once decided."""
    import re

    cycle = _cycle_at(cast, cast.teacher, Level.TEACHER, mon.y2026, Stage.INCENTIVE)
    _propose(login(cast.software_lead), cycle, "excellent-teacher")
    decision = CycleDecision.objects.get(cycle=cycle)

    def line(user):
        html = login(user).get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
        block = re.search(rf'data-decision="{decision.pk}">(.*?)</div>', html, re.S).group(1)
        assert "表决方式" not in block
        return re.sub(r"<[^>]+>", "", block)

    assert "决定方：学院质量保证委员会" in line(cast.teacher)
    login(cast.chair).post(f"/monitoring/decisions/{decision.pk}/decide/", {"approve": "1"})
    assert f"决定人：{cast.chair}" in line(cast.teacher)
