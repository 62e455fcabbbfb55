"""Every page (and Word file) each person of the cast reaches from the home page, and the public
pages, in zh-hans: no 500, no English words, no dotted codes, no raw choice values, no word said
twice in a row, no half-width colon after Chinese, no form with two fields of one name, no id
used twice on a page.

Each person walks breadth-first from the home page over the site's own links (each URL pattern
once, query strings dropped), over a college with something in every workflow; a visitor who is
not logged in walks from the public pages. The failure lists page and offending text, and who
saw it.

Two fields named alike in one form post one value for both: the change request's 变更内容 and
the plan's 概要 were both `summary`, and the plan's silently replaced the change text.
"""

import datetime
import io
import re
import time
from collections import defaultdict, deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.apps import apps
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone
from docx import Document

from cases.complaints import services as complaints
from cases.models import Case
from cases.models import Status as S
from engine.models import Deadline
from tests.cases.complaints.factories import file_anonymous
from tests.cases.confidential.factories import file_report
from tests.cases.factories import advance, category, file_case, grade
from tests.workflows.monitoring.factories import IndicatorFactory, PeriodFactory
from tests.workflows.plans.factories import approve, draft_plan, draft_target, in_force_plan
from tests.workflows.review.factories import forwarded_report, round_in_review, shipped_catalogue
from workflows.monitoring import decisions
from workflows.monitoring import services as monitoring
from workflows.monitoring.models import Cycle, DecisionKind
from workflows.plans import services as plans
from workflows.plans.models import PlanKind
from workflows.review import personal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_in_process")]


PUBLIC_STARTS = ("/accounts/login/", "/report/", "/complaint/")
# Links that change the session, switch the language or leave the site's pages.
SKIP = ("/accounts/logout", "/i18n/", "/api/", "/static/", "/media/", "/healthz")
# Downloads are left alone, but for Word files: people read them as they read the pages.
SKIP_ENDINGS = (".xlsx", ".csv", ".pdf", ".zip", "/download/", "/export/")
WORD = "wordprocessingml"
MAX_PAGES_PER_PERSON = 120
# Django's admin is the administrator's tool, built from the ModelAdmins and Django's own
# templates (keys such as a deadline's kind are what an administrator edits there): its index is
# read like every page; of its model pages (a sample: the first models' lists, add and change
# pages) only the forms and the status are checked.
ADMIN_INDEX = "/admin/"
MAX_ADMIN_PAGES = 30

# Latin words a Chinese page may carry: formats and products people know by these names (the
# product's own, 诊改 Engine, among them), and the cast's data (usernames, the course
# 'Python程序设计', the unit 'PLC应用技术').
ALLOWED_WORDS = {
    "Engine",
    "PDF",
    "Excel",
    "Word",
    "API",
    "CSV",
    "UTF",
    "URL",
    "JSON",
    "ID",
    "IP",
    "ISO",
    "English",
    "Python",
    "PLC",
}
# What is not a word of the page's language: addresses, file names, quoted numbers.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
FILE_NAME = re.compile(r"[\w.-]*\.(docx|xlsx|pdf|csv|jpe?g|png|zip|txt)\b", re.I)
LINK = re.compile(r"https?://\S+")
# Numbers people quote: cases ZL-2026-00001, reports JB-2026-00002, units rj-c01.
NUMBER = re.compile(r"(?<![A-Za-z])[A-Za-z]+-[A-Za-z0-9-]*[0-9]")
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z]{2,}(?![A-Za-z0-9_])")
# A word said twice in a row, as a label glued to a word it already ends with ("红色预警预警").
STUTTER = re.compile(r"([\u4e00-\u9fff]{2,4})\1")
# A half-width colon after Chinese: a label that does not end with {% label_suffix %} (the
# catalogue's "："), in a template or in markup built in Python.
HALF_WIDTH_COLON = re.compile(r"[\u4e00-\u9fff）》”]:")
# a remark in ASCII brackets after Chinese text (吴芳 (teacher)): Chinese brackets it （…）
HALF_WIDTH_BRACKET = re.compile(r"[\u4e00-\u9fff）》”] ?\([^()\n]{0,40}\)")
DOTTED_CODE = re.compile(r"(?<![\w.])[a-z][a-z_]*(\.[a-z][a-z_]*)+(?![\w.])")
HIDDEN = {"script", "style", "code", "pre", "template"}
VISIBLE_ATTRIBUTES = ("placeholder", "title", "alt", "aria-label")
# Inputs that share a name by design: a group of radios or checkboxes, buttons.
GROUPED = {"radio", "checkbox", "submit", "button", "image", "reset"}


class _Page(HTMLParser):
    """The visible text of a page (with the attributes a person reads: placeholders, tooltips,
    button captions), its links and, per <form>, the names of its fields."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.links, self.forms, self.ids = [], [], [], []
        self._hidden, self._form = 0, None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if a.get("id"):
            self.ids.append(a["id"])
        if tag in HIDDEN:
            self._hidden += 1
            return
        if self._hidden:
            return
        self.text.extend(a[name] for name in VISIBLE_ATTRIBUTES if a.get(name))
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.text.append(a["value"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action", ""), "names": []}
            self.forms.append(self._form)
        elif (
            tag in ("input", "select", "textarea")
            and self._form is not None
            and a.get("name")
            and (tag != "input" or a.get("type", "text") not in GROUPED)
        ):
            self._form["names"].append(a["name"])

    def handle_endtag(self, tag):
        if tag in HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "form":
            self._form = None

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data.strip())


def _choice_values() -> dict[str, str]:
    """Every stored choice value (a key such as "submitted"), with the field it belongs to."""
    found = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or ():
                if isinstance(value, str) and value.isascii() and len(value) > 1:
                    found.setdefault(value, f"{model._meta.label}.{field.name}")
    return found


def _problems_in_text(text: str, people_words: set[str], choices: dict[str, str]) -> list[str]:
    for pattern in (LINK, EMAIL, FILE_NAME, NUMBER):
        text = pattern.sub(" ", text)
    problems = []
    for match in STUTTER.finditer(text):
        problems.append(f"said twice {match.group()!r}")
    for match in DOTTED_CODE.finditer(text):
        problems.append(f"dotted code {match.group()!r}")
    for match in HALF_WIDTH_COLON.finditer(text):
        around = text[max(0, match.start() - 20) : match.end() + 20].replace("\n", " ")
        problems.append(f"half-width colon in {around!r}")
    for match in HALF_WIDTH_BRACKET.finditer(text):
        problems.append(f"half-width brackets in {match.group()!r}")
    text = DOTTED_CODE.sub(" ", text)
    for match in LATIN_WORD.finditer(text):
        word = match.group()
        if word in ALLOWED_WORDS or word in people_words:
            continue
        around = text[max(0, match.start() - 20) : match.end() + 20].replace("\n", " ")
        if word in choices:
            problems.append(f"raw choice value {word!r} of {choices[word]} in {around!r}")
        else:
            problems.append(f"English {word!r} in {around!r}")
    return problems


def _word_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = (cell.text for table in document.tables for row in table.rows for cell in row.cells)
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


def _pattern(path):
    try:
        return resolve(path).route
    except Resolver404:
        return None


def _local_paths(links):
    for href in links:
        parts = urlsplit(urldefrag(href)[0])
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith(SKIP) or parts.path.endswith(SKIP_ENDINGS):
            continue
        yield parts.path


@pytest.fixture
def lived_in_college(cast, django_capture_on_commit_callbacks, settings, tmp_path):
    """Something in every workflow and every list: plans in every state, a change request, a
    self-diagnosis report in a review round, cases along their way, an incident, complaints
    (one anonymous, one supervised), a confidential report, a period with cycles, indicators with
    readings, a warning and an improvement."""
    settings.MEDIA_ROOT = tmp_path
    u = cast.units
    with django_capture_on_commit_callbacks(execute=True):
        root = in_force_plan(cast)
        draft = draft_plan(cast, title="专业建设专项规划", kind=PlanKind.SPECIAL, parent=root)
        plans.task_create(
            actor=cast.quality_officer,
            plan=draft,
            category="专业建设",
            title="修订人才培养方案",
            deliverable="方案",
            lead_unit=u.xx,
            deadline=datetime.date(2026, 12, 31),
        )
        target = approve(cast, draft_target(cast, root))
        plans.change_request_create(
            actor=cast.quality_officer,
            item=root,
            summary="规划期延长一年",
            reason="与自治区规划对齐",
            proposed={"end_year": 2031},
        )
        plans.item_end_request(actor=cast.quality_officer, item=target, reason="指标调整")
        round_in_review(cast, [forwarded_report(cast)])

        category(), grade()
        file_case(cast.student, u.rj, kind=Case.Kind.COMPLAINT)
        advance(cast, file_case(cast.student, u.rj, title="实训设备损坏"), S.INVESTIGATING)
        advance(cast, file_case(cast.teacher, u.rj, title="教材未按时发放"), S.VERIFYING)
        advance(cast, file_case(cast.student, u.rj, title="考试安排冲突"), S.CLOSED)
        file_case(cast.supervisor, u.rj, kind=Case.Kind.REPORT, title="实验室安全隐患")
        anonymous, _code = file_anonymous(u.xx)
        complaints.supervision_issue(
            actor=cast.discipline_officer,
            case=advance(cast, anonymous, S.ACCEPTED),
            request="请加快处理",
        )
        file_report(anonymous=True)
        file_report(actor=cast.teacher, anonymous=False, about="实验室采购")

        period = PeriodFactory()
        employment = IndicatorFactory(code="M03", name="就业率", data_owner_unit=u.xx)
        monitoring.period_open(
            actor=cast.quality_officer, period=period, levels=["major", "teacher", "student"]
        )
    with django_capture_on_commit_callbacks(execute=True):
        rj = monitoring.subject_for_unit(u.rj)
        reading, _ = monitoring.reading_submit(
            actor=cast.xx_member, indicator=employment, subject=rj, period=period, value=80
        )
        monitoring.reading_approve(actor=cast.xx_leader, reading=reading)
        # A yellow warning beside the red one, and a reading still waiting for approval.
        teachers = IndicatorFactory(code="M07", name="双师型教师比例", data_owner_unit=u.xx)
        reading, _ = monitoring.reading_submit(
            actor=cast.xx_member, indicator=teachers, subject=rj, period=period, value=88
        )
        monitoring.reading_approve(actor=cast.xx_leader, reading=reading)
        monitoring.reading_submit(
            actor=cast.xx_member,
            indicator=employment,
            subject=monitoring.subject_for_unit(u.wl),
            period=period,
            value=93,
        )
    warning = rj.warnings.get(indicator=employment)
    monitoring.improvement_open(
        actor=cast.software_lead,
        subject=rj,
        period=period,
        title="提高就业率",
        cause_analysis="校企合作岗位不足",
        measures="新增三家合作企业",
        owner=cast.software_lead,
        deadline=timezone.localdate() + datetime.timedelta(days=60),
        warning=warning,
    )
    # 吴芳's personal report waits for her team leader; he recommends her for a reward.
    shipped_catalogue("teacher-personal")
    shipped_catalogue("student-personal")
    mine = Cycle.objects.get(subject__subject_user=cast.teacher)
    report = personal.personal_report_create(actor=cast.teacher, cycle=mine)
    row = {
        "achievements": "完成",
        "problems": "不足之处较多",
        "measures": "培训",
        "effects": "提高",
    }
    personal.personal_report_save(
        actor=cast.teacher,
        report=report,
        overview="年度总结",
        rows={r.element_id: row for r in report.rows.all()},
    )
    personal.personal_report_submit(actor=cast.teacher, report=report)
    decisions.cycle_decision_propose(
        actor=cast.software_lead,
        cycle=mine,
        kind=DecisionKind.objects.get(code="excellent-teacher"),
        title="优秀教师",
        grounds="教学效果好",
    )
    # Some deadlines already passed: the overdue lists have rows.
    Deadline.objects.filter(kind__in=["case.acceptance", "warning.response"]).update(
        due_at=timezone.now() - datetime.timedelta(days=10)
    )
    return root


def _people(cast):
    return [
        getattr(cast, name)
        for name in vars(cast)
        if name not in ("units", "password") and hasattr(getattr(cast, name), "username")
    ]


def _walk(client, starts, people_words, choices, problems, pages_with_forms):
    """Breadth-first from `starts`; returns how many pages were fetched."""
    seen_routes, queue, fetched, admin = set(), deque(starts), 0, 0
    while queue and fetched < MAX_PAGES_PER_PERSON:
        path = queue.popleft()
        route = _pattern(path)
        if route is None or route in seen_routes:
            continue
        admin_model_page = path.startswith(ADMIN_INDEX) and path != ADMIN_INDEX
        if admin_model_page:
            if admin >= MAX_ADMIN_PAGES:
                continue
            admin += 1
        seen_routes.add(route)
        fetched += 1
        try:
            response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
        except Exception as error:  # the test client re-raises what the view raised
            problems.append(f"{path}: {type(error).__name__}: {error}")
            continue
        if response.status_code >= 500:
            problems.append(f"{path}: {response.status_code}")
            continue
        content_type = response.get("Content-Type", "")
        if response.status_code == 200 and WORD in content_type:
            text = _word_text(response.content)
            problems.extend(f"{path}: {p}" for p in _problems_in_text(text, people_words, choices))
            continue
        if response.status_code in (403, 404) and path not in starts:
            # a page offered the link to someone it then refuses: a dead end
            problems.append(f"{path}: {response.status_code} from a link offered to them")
            continue
        if response.status_code != 200 or "html" not in content_type:
            continue
        page = _Page()
        page.feed(response.content.decode())
        if not admin_model_page:
            text = "\n".join(page.text)
            problems.extend(f"{path}: {p}" for p in _problems_in_text(text, people_words, choices))
        doubled_ids = sorted({i for i in page.ids if page.ids.count(i) > 1})
        if doubled_ids:
            # a label's for= and the browser's focus find only the first
            problems.append(f"{path}: ids used twice {doubled_ids}")
        for form in page.forms:
            if form["names"] and "/i18n/" not in form["action"]:
                pages_with_forms.add(route)
            doubled = sorted({n for n in form["names"] if form["names"].count(n) > 1})
            if doubled:
                problems.append(f"{path}: form→{form['action']} repeats fields {doubled}")
        queue.extend(_local_paths(page.links))
    return fetched


def test_every_page_speaks_chinese(cast, lived_in_college, capsys):
    choices = _choice_values()
    people = _people(cast)
    people_words = {w for p in people for w in re.findall(r"[A-Za-z]+", p.username)}
    problems, pages_with_forms, figures = defaultdict(list), set(), []
    walkers = [("public", None, PUBLIC_STARTS)] + [(p.username, p, ("/",)) for p in people]
    for name, person, starts in walkers:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        if person is not None:
            client.force_login(person)
        started = time.perf_counter()
        found = []
        fetched = _walk(client, starts, people_words, choices, found, pages_with_forms)
        figures.append(f"{name}: {fetched} pages, {time.perf_counter() - started:.1f} s")
        for problem in found:
            problems[problem].append(name)
    with capsys.disabled():
        print("\nlabel walk: " + "; ".join(figures))
    report = [f"{p}  [{', '.join(who)}]" for p, who in sorted(problems.items())]
    assert not report, f"{len(report)} problems:\n" + "\n".join(report)
    # The walk reached the pages whose forms once doubled a field.
    for route in ("plans/<str:kind>/<int:pk>/change/", "review/rounds/", "plans/changes/<int:pk>/"):
        assert route in pages_with_forms, sorted(pages_with_forms)
    assert len(pages_with_forms) >= 20, sorted(pages_with_forms)
