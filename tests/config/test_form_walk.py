"""Every form page, as every person of the cast: no <form> holds two inputs with one name.

Two fields named alike in one form post one value for both: the change request's 变更内容 and
the plan's 概要 were both `summary`, and the plan's silently replaced the change text. The walk
starts at the home page and follows the site's links (each URL pattern once per person, query
strings dropped), over a college with something in every workflow.
"""

import datetime
import time
from collections import Counter, defaultdict, deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import Resolver404, resolve

from cases.models import Case
from tests.cases.factories import category, file_case, grade
from tests.workflows.plans.factories import approve, draft_plan, draft_target, in_force_plan
from tests.workflows.review.factories import forwarded_report, round_in_review
from workflows.plans import services as plans
from workflows.plans.models import PlanKind

pytestmark = pytest.mark.django_db

# Links that download files, change the session or leave the site's pages.
SKIP = ("/accounts/logout", "/i18n/", "/api/", "/static/", "/media/", "/healthz")
SKIP_ENDINGS = (".docx", ".xlsx", ".csv", ".pdf", ".zip", "/download/", "/export/")
MAX_PAGES_PER_PERSON = 120
# Django's admin builds its forms from the ModelAdmins; a sample of its pages (the first models'
# lists, add and change pages) covers the custom ones without walking every model.
MAX_ADMIN_PAGES = 30
FORMLESS_AFTER = 2
GROUPED = {"radio", "checkbox", "submit", "button", "image", "reset"}


class _Forms(HTMLParser):
    """Collects, per <form>, the names of its fields, and the page's links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.links, self._current = [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._current = {"action": a.get("action", ""), "names": []}
            self.forms.append(self._current)
        elif (
            tag in ("input", "select", "textarea")
            and self._current is not None
            and a.get("name")
            and (tag != "input" or a.get("type", "text") not in GROUPED)
        ):
            self._current["names"].append(a["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _pattern(path):
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.route


@pytest.fixture
def busy_college(cast):
    """Something in every workflow: plans in every state, a change request, tasks, a review
    round under way, a case."""
    root = in_force_plan(cast)
    draft = draft_plan(cast, title="专业建设专项规划", kind=PlanKind.SPECIAL, parent=root)
    plans.task_create(
        actor=cast.quality_officer,
        plan=draft,
        category="专业建设",
        title="修订人才培养方案",
        deliverable="方案",
        lead_unit=cast.units.xx,
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
    report = forwarded_report(cast)
    round_in_review(cast, [report])
    category(), grade()
    file_case(cast.student, cast.units.rj, kind=Case.Kind.COMPLAINT)
    return root


def _local_paths(links):
    for href in links:
        parts = urlsplit(urldefrag(href)[0])
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith(SKIP) or parts.path.endswith(SKIP_ENDINGS):
            continue
        yield parts.path


def test_no_form_has_two_inputs_with_one_name(cast, busy_college, client):
    """Each person walks from the home page. A page that showed nobody a form (beyond the
    footer's language switch) after FORMLESS_AFTER people is not fetched again: its links, as
    seen so far, are followed instead (keeps the walk under a minute)."""
    # CPU time of this process: the machine's other load does not count against the walk.
    started = time.process_time()
    problems, pages_with_forms, fetched = [], set(), 0
    formless, links_of = Counter(), defaultdict(set)
    people = [
        getattr(cast, name)
        for name in vars(cast)
        if name not in ("units", "password") and hasattr(getattr(cast, name), "username")
    ]
    for person in people:
        client.force_login(person)
        seen_routes, queue, visited, admin = set(), deque(["/"]), 0, 0
        while queue and visited < MAX_PAGES_PER_PERSON:
            path = queue.popleft()
            route = _pattern(path)
            if route is None or route in seen_routes:
                continue
            if path.startswith("/admin/"):
                if admin >= MAX_ADMIN_PAGES:
                    continue
                admin += 1
            seen_routes.add(route)
            if formless[route] >= FORMLESS_AFTER and route not in pages_with_forms:
                queue.extend(links_of[route])
                continue
            response = client.get(path)
            visited += 1
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            parser = _Forms()
            parser.feed(response.content.decode())
            own = [f for f in parser.forms if f["names"] and "/i18n/" not in f["action"]]
            if own:
                pages_with_forms.add(route)
            else:
                formless[route] += 1
            for form in parser.forms:
                doubled = sorted({n for n in form["names"] if form["names"].count(n) > 1})
                if doubled:
                    problems.append(f"{person.username} {path} form→{form['action']}: {doubled}")
            paths = list(_local_paths(parser.links))
            links_of[route].update(paths)
            queue.extend(paths)
        fetched += visited
        client.logout()
    elapsed = time.process_time() - started
    assert problems == []
    # The walk reached the pages this issue is about.
    for route in ("plans/<str:kind>/<int:pk>/change/", "review/rounds/", "plans/changes/<int:pk>/"):
        assert route in pages_with_forms, sorted(pages_with_forms)
    assert len(pages_with_forms) >= 20, sorted(pages_with_forms)
    assert elapsed < 60, f"the walk took {elapsed:.0f} s of CPU for {fetched} pages"
