"""The chain tree both ways, the gaps view, and the exports in the seed's layouts."""

import datetime
import io
import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time
from openpyxl import load_workbook

from tests.documents import docx_text, official_docx, red_runs, upload_template
from workflows.plans import selectors, services

from .factories import approve, draft_plan, draft_standard, draft_target, in_force_plan

pytestmark = pytest.mark.django_db


def _grow(cast, root, n):
    special = draft_plan(cast, title=f"专项规划{n}", kind="special", parent=root)
    for i in range(n):
        target = draft_target(cast, special, title=f"目标{n}-{i}")
        draft_standard(cast, [target], title=f"标准{n}-{i}")
        services.task_create(
            actor=cast.quality_officer,
            plan=special,
            category="明确目标",
            title=f"任务{n}-{i}",
            deliverable="文本",
            lead_unit=cast.units.jwc,
            assisting=[cast.units.xx, cast.units.jd],
            deadline=datetime.date(2027, 6, 30),
            person=cast.xx_leader,
        )


def _tree_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("plans:index"))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_tree_renders_in_a_constant_number_of_queries(cast, login):
    root = in_force_plan(cast)
    _grow(cast, root, 2)
    client = login(cast.quality_officer)
    _tree_queries(client)  # the first request of a process fills its caches (one query more)
    small, page = _tree_queries(client)
    assert "任务2-1" in page and "标准2-1" in page and "目标2-0" in page
    _grow(cast, root, 8)
    large, page = _tree_queries(client)
    assert "任务8-7" in page
    assert large == small


def test_tree_rows_show_what_the_template_showed(cast, login):
    """The rows rendered in one pass (workflows/plans/tree.py) carry the links, labels, people
    and dates the per-row template did, escaped."""
    root = draft_plan(cast)
    target = draft_target(cast, root, title="目标<b>&")
    standard = draft_standard(cast, [target], title="标准<i>")
    task = services.task_create(
        actor=cast.quality_officer,
        plan=root,
        category="明确目标",
        title="任务<script>",
        deliverable="文本",
        lead_unit=cast.units.jwc,
        deadline=datetime.date(2027, 6, 30),
        person=cast.xx_leader,
    )
    bare = services.task_create(
        actor=cast.quality_officer,
        plan=root,
        category="明确目标",
        title="无人任务",
        deliverable="文本",
        lead_unit=cast.units.xx,
    )
    page = login(cast.quality_officer).get(reverse("plans:index")).content.decode()
    assert (
        f'目标：<a href="{target.get_absolute_url()}">目标&lt;b&gt;&amp;</a> '
        f'<span class="badge">{target.get_category_display()}</span>'
    ) in page
    assert f'标准：<a href="{standard.get_absolute_url()}">标准&lt;i&gt;</a></li>' in page
    assert f'任务：<a href="{task.get_absolute_url()}">任务&lt;script&gt;</a>' in page
    person = cast.xx_leader.full_name or cast.xx_leader.username
    assert f'<span class="muted">{cast.units.jwc.name} → {person} · 2027年6月30日</span>' in page
    assert f'<a href="{bare.get_absolute_url()}">无人任务</a>' in page
    assert f'<span class="muted">{cast.units.xx.name}</span>' in page
    assert "任务<script>" not in page


def test_task_leads_up_to_its_plan_and_targets(cast, login):
    root = in_force_plan(cast)
    target = approve(cast, draft_target(cast, root))
    annual = draft_plan(
        cast, title="2026年度工作计划", kind="annual", parent=root, start=2026, end=2026
    )
    task = services.task_create(
        actor=cast.quality_officer,
        plan=annual,
        category="制定计划",
        title="学校年度工作计划",
        deliverable="文件",
        lead_unit=cast.units.xx,
    )
    chain = selectors.task_chain_up(task)
    assert [p.pk for p in chain["plans"]] == [annual.pk, root.pk]
    assert [t.pk for t in chain["targets"]] == [target.pk]
    page = login(cast.xx_leader).get(task.get_absolute_url()).content.decode()
    assert root.title in page and target.title in page


def test_assisting_unit_sees_the_task_but_may_not_complete_it(cast, login):
    plan = draft_plan(cast)  # tasks are written while the plan is a draft
    task = services.task_create(
        actor=cast.quality_officer,
        plan=plan,
        category="健全组织",
        title="成立工作组",
        deliverable="文件",
        lead_unit=cast.units.jwc,
        assisting=[cast.units.jd],
    )
    client = login(cast.jd_leader)
    page = client.get(task.get_absolute_url())
    assert page.status_code == 200 and page.context["can_work"] is False
    assert client.post(reverse("plans:task_complete", args=[task.pk])).status_code == 403
    assert login(cast.xx_leader).get(task.get_absolute_url()).status_code == 404


def test_gaps_show_each_kind_of_broken_link(cast, login):
    plan = draft_plan(cast)  # tasks are written while the plan is a draft
    lonely_target = draft_target(cast, plan, title="无标准的目标")
    draft_standard(cast, [], title="无目标的标准")
    services.task_create(
        actor=cast.quality_officer,
        plan=plan,
        category="健全组织",
        title="无牵头部门的任务",
        deliverable="文件",
    )
    covered = draft_target(cast, plan, title="招生计划完成率目标")
    draft_standard(cast, [covered], title="好标准")
    page = login(cast.quality_officer).get(reverse("plans:gaps")).content.decode()
    assert lonely_target.title in page and "无目标的标准" in page and "无牵头部门的任务" in page
    assert "招生计划完成率目标" not in page and "好标准" not in page


def test_task_table_exports_as_xlsx_in_the_seed_layout_with_formulas_neutralised(cast, login):
    plan = draft_plan(cast)  # tasks are written while the plan is a draft
    for title in ("学校成立质量保证委员会", "=1+1"):
        services.task_create(
            actor=cast.quality_officer,
            plan=plan,
            category="健全组织",
            title=title,
            deliverable="学校印发文件",
            lead_unit=cast.units.zgb,
            assisting=[cast.units.jwc],
            deadline=datetime.date(2026, 6, 30),
        )
    response = login(cast.quality_officer).get(reverse("plans:export", args=["tasks", "xlsx"]))
    ws = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in ws[2]][:5] == ["类别", "建设任务", "成果形式", "牵头部门", "协助部门"]
    assert ws["B3"].value == "学校成立质量保证委员会" and ws["D3"].value == "质量管理办公室"
    assert ws["B4"].value == "'=1+1" and ws["B4"].data_type != "f"
    assert "A3:A4" in {str(r) for r in ws.merged_cells.ranges}


def test_target_and_standard_systems_export_as_docx(cast, login):
    plan = in_force_plan(cast)
    target = draft_target(cast, plan)
    draft_standard(cast, [target])
    client = login(cast.quality_officer)
    doc = official_docx(client.get(reverse("plans:export", args=["targets", "docx"])))
    cells = [c.text for c in doc.tables[0].rows[1].cells]
    assert cells[2] == "在校生规模" and "2027：9000" in cells[7]
    doc = official_docx(client.get(reverse("plans:export", args=["standards", "docx"])))
    assert doc.tables[0].rows[1].cells[2].text == "普通高等学校基本办学条件指标"


def test_the_decomposition_table_merges_each_category_and_follows_the_offices_template(
    cast, login, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    plan = draft_plan(cast)
    for title in ("成立质量保证委员会", "制定诊改工作方案"):
        services.task_create(
            actor=cast.quality_officer,
            plan=plan,
            category="健全组织",
            title=title,
            deliverable="文件",
            lead_unit=cast.units.zgb,
        )
    client = login(cast.quality_officer)
    url = reverse("plans:export", args=["tasks", "docx"])
    doc = official_docx(client.get(url))
    assert red_runs(doc) == [cast.units.college.name]
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells][:2] == ["类别", "建设任务"]
    assert table.cell(1, 0)._tc is table.cell(2, 0)._tc  # one 类别 cell for the run
    assert table.cell(2, 1).text == "制定诊改工作方案"

    assert upload_template(client, "plans.tasks", "共{{ groups|length }}类").status_code == 302
    assert "共1类" in docx_text(official_docx(client.get(url)))
    # the other tables keep their own templates
    assert "共1类" not in docx_text(
        official_docx(client.get(reverse("plans:export", args=["standards", "docx"])))
    )


def test_unknown_export_is_404(cast, login):
    client = login(cast.quality_officer)
    assert client.get(reverse("plans:export", args=["people", "xlsx"])).status_code == 404


def test_background_export_shows_progress_and_serves_the_file(cast, login):
    from workflows.plans.tasks import run_export

    plan = draft_plan(cast)  # tasks are written while the plan is a draft
    services.task_create(
        actor=cast.quality_officer,
        plan=plan,
        category="健全组织",
        title="成立工作组",
        deliverable="文件",
        lead_unit=cast.units.jwc,
    )
    client = login(cast.quality_officer)
    response = client.post(reverse("plans:export_start"), {"what": "tasks", "fmt": "xlsx"})
    waiting = client.get(response.url)
    job = waiting.context["job"]
    assert job.state == "pending" and "<progress" in waiting.content.decode()
    assert 'http-equiv="refresh"' in waiting.content.decode()

    run_export(job.pk)  # what the worker does after commit
    page = client.get(response.url)
    assert page.context["job"].state == "done" and page.context["job"].percent == 100
    download = client.get(reverse("plans:export_download", args=[job.pk]))
    ws = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert ws["B3"].value == "成立工作组"
    assert login(cast.xx_leader).get(response.url).status_code == 404


@freeze_time("2026-11-23 10:00:00")
def test_inbox_lists_led_and_assisted_tasks_and_the_list_filters_overdue(cast, login):
    plan = draft_plan(cast)  # tasks are written while the plan is a draft
    late = services.task_create(
        actor=cast.quality_officer,
        plan=plan,
        category="健全组织",
        title="成立系部质量保证工作组",
        deliverable="文件",
        lead_unit=cast.units.xx,
        deadline=datetime.date(2026, 1, 5),
    )
    services.task_create(
        actor=cast.quality_officer,
        plan=plan,
        category="明确目标",
        title="明确机电专业发展目标",
        deliverable="目标清单",
        lead_unit=cast.units.jd,
        assisting=[cast.units.xx],
        deadline=datetime.date(2030, 6, 30),
    )
    ours = services.task_create(
        actor=cast.quality_officer,
        plan=plan,
        category="健全组织",
        title="学校成立质量保证委员会",
        deliverable="文件",
        lead_unit=cast.units.zgb,
        assisting=[cast.units.jwc],
        deadline=datetime.date(2030, 1, 5),
    )
    inbox = login(cast.xx_leader).get(reverse("plans:inbox"))
    assert [t.title for t in inbox.context["tasks"]] == [late.title]
    assert [t.title for t in inbox.context["assisting"]] == ["明确机电专业发展目标"]
    overdue = login(cast.quality_officer).get(reverse("plans:task_list") + "?overdue=1")
    assert [t.title for t in overdue.context["tasks"]] == [late.title]
    # the quality office may work on any task of the college, but lists as its own the tasks
    # 质管办 leads (not under 协助, not every task), and its home card counts them
    client = login(cast.quality_officer)
    inbox = client.get(reverse("plans:inbox"))
    assert [t.title for t in inbox.context["tasks"]] == [ours.title]
    assert list(inbox.context["assisting"]) == []
    cards = {c.title: c.count for c in client.get(reverse("home")).context["cards"]}
    assert cards["本单位牵头的未完成任务"] == 1


def test_old_import_previews_and_export_files_are_cleaned(cast, settings):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from workflows.plans.models import ExportJob, PendingImport
    from workflows.plans.tasks import clean_old_files

    assert "plans.clean_old_files" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    settings.PLANS_FILES_KEEP_DAYS = 7
    plan = in_force_plan(cast)
    old_job = ExportJob.objects.create(owner=cast.quality_officer, what="tasks", fmt="xlsx")
    old_job.file.save("old.xlsx", ContentFile(b"x"))
    new_job = ExportJob.objects.create(owner=cast.quality_officer, what="tasks", fmt="xlsx")
    new_job.file.save("new.xlsx", ContentFile(b"y"))
    old_pending = PendingImport.objects.create(
        owner=cast.quality_officer, plan=plan, file_name="a.xlsx", rows=[]
    )
    new_pending = PendingImport.objects.create(
        owner=cast.quality_officer, plan=plan, file_name="b.xlsx", rows=[]
    )
    eight_days_ago = timezone.now() - datetime.timedelta(days=8)
    ExportJob.objects.filter(pk=old_job.pk).update(created_at=eight_days_ago)
    PendingImport.objects.filter(pk=old_pending.pk).update(created_at=eight_days_ago)
    old_path = old_job.file.path

    assert clean_old_files() == {"imports": 1, "exports": 1}
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [new_job.pk]
    assert list(PendingImport.objects.values_list("pk", flat=True)) == [new_pending.pk]
    assert not os.path.exists(old_path) and os.path.exists(new_job.file.path)


def test_escaping_many_titles_at_once_gives_each_its_own_escape():
    from workflows.plans import tree

    texts = ["任务<script>", "无人任务", "A & B", "'引号\""]
    assert tree.escape_all(texts) == [tree.html.escape(t) for t in texts]
    assert tree.escape_all(["无人任务"]) == ["无人任务"]
    # a NUL inside a text would shift the split: each is escaped alone then
    assert tree.escape_all(["a\0<", "b"]) == ["a\0&lt;", "b"]
