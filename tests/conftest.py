"""The named cast: one small college and one person for every role.

Service-marked tests (postgres / redis / worker / browser) run when their service is there and
are skipped otherwise, unless REQUIRE_SERVICES=1, which turns a missing service into a failure.
"""

import os
import shutil
from collections import Counter
from io import StringIO
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.defaults import seed_grantable_roles
from accounts.models import GrantableRole, Membership, OrgUnit, Role, User
from tests.factories import PASSWORD, PASSWORD_HASH

K = OrgUnit.Kind
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PLAYWRIGHT_FIXTURES = ("browser", "page")
# own_redis and workers: a private redis-server and real Celery workers for worker-marked tests
pytest_plugins = ["tests.workers"]


def _redis_ok() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping())
    except Exception:
        return False


def _service_problems() -> dict[str, str]:
    problems = {}
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        problems["postgres"] = "DATABASE_URL does not point to PostgreSQL"
    if not _redis_ok():
        problems["redis"] = "REDIS_URL is unset or Redis does not answer"
        problems["worker"] = problems["redis"]
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        problems["browser"] = f"no chromium at {CHROMIUM}"
    return problems


def pytest_sessionstart(session):
    if REQUIRE_SERVICES:
        problems = _service_problems()
        if problems:
            pytest.exit(
                "REQUIRE_SERVICES=1 but: " + "; ".join(sorted(set(problems.values()))), returncode=3
            )


def pytest_collection_modifyitems(config, items):
    problems = _service_problems()
    for item in items:
        for marker in ("postgres", "redis", "worker", "browser"):
            if marker in item.keywords and marker in problems:
                item.add_marker(pytest.mark.skip(reason=problems[marker]))


@pytest.fixture(autouse=True)
def _fresh_memos():
    """A process's table copies (engine.memo) start each test empty: an earlier test's change,
    rolled back with its transaction, would otherwise leave a memo reading its table on every
    lookup (as a changing transaction does until it ends)."""
    from engine import memo

    for held in memo.MEMOS.values():
        held._settle()


@pytest.fixture(autouse=True)
def _notification_kinds_restored():
    """A kind a test registers for itself goes with the test: the preferences page lists every
    registered kind, and a later page walk would read the test's label as the product's."""
    from engine import notifications

    before = dict(notifications.KINDS)
    yield
    notifications.KINDS.clear()
    notifications.KINDS.update(before)


@pytest.fixture(autouse=True)
def _close_connections_of_the_browser_loop(request):
    """Playwright's sync API keeps an asyncio loop running in this thread; while it runs, Django
    gives the test's ORM calls a second connection (asgiref keeps one per async context) that
    nothing would close, and the test database could not be dropped at the end ("is being
    accessed by other users"). Close it while the browser, and so the loop, is still there.
    Works for a Playwright fixture named in PLAYWRIGHT_FIXTURES."""
    names = [n for n in PLAYWRIGHT_FIXTURES if n in request.fixturenames]
    if not names:
        yield
        return
    for name in names:
        request.getfixturevalue(name)
    yield
    from django.db import connections

    connections.close_all()


# The cast's college: (attribute, code, name, kind, parent attribute), parents first.
TREE = [
    ("college", "college", "示范职业技术学院", K.COLLEGE, None),
    ("committee", "qac", "学院质量保证委员会", K.COMMITTEE, "college"),
    ("jwc", "jwc", "教务处", K.OFFICE, "college"),
    ("jdpj", "jdpj", "教育质量监督评价中心", K.OFFICE, "college"),
    ("zgb", "zgb", "质量管理办公室", K.OFFICE, "jdpj"),
    ("jw", "jw", "纪委办公室", K.OFFICE, "college"),
    ("xxzx", "xxzx", "信息中心", K.OFFICE, "college"),
    ("xx", "xx", "信息工程系", K.DEPARTMENT, "college"),
    ("rj", "rj", "软件技术", K.MAJOR, "xx"),
    ("rj_python", "rj-c01", "Python程序设计", K.COURSE, "rj"),
    ("wl", "wl", "计算机网络技术", K.MAJOR, "xx"),
    ("jd", "jd", "机电工程系", K.DEPARTMENT, "college"),
    ("jdyt", "jdyt", "机电一体化技术", K.MAJOR, "jd"),
    ("jdyt_plc", "jdyt-c01", "PLC应用技术", K.COURSE, "jdyt"),
]

# One person per role: (attribute, username, full name, [(role, unit attribute)], staff).
PEOPLE = [
    ("chair", "chair", "王建国", [(Role.COMMITTEE_CHAIR, "committee")], False),
    ("committee_member", "committee", "李华", [(Role.COMMITTEE_MEMBER, "committee")], False),
    ("quality_officer", "zgb", "张敏", [(Role.QUALITY_OFFICER, "zgb")], False),
    ("xx_leader", "xx_leader", "刘伟", [(Role.DEPARTMENT_LEADER, "xx")], False),
    ("xx_member", "xx_member", "黄丽", [(Role.DEPARTMENT_MEMBER, "xx")], False),
    ("jd_leader", "jd_leader", "陈刚", [(Role.DEPARTMENT_LEADER, "jd")], False),
    (
        "software_lead",
        "rj_leader",
        "赵磊",
        [(Role.TEAM_LEADER, "rj"), (Role.TEACHER, "rj")],
        False,
    ),
    ("software_member", "rj_member", "何燕", [(Role.TEAM_MEMBER, "rj")], False),
    ("supervisor", "dudao", "孙丽", [(Role.SUPERVISOR, "jdpj")], False),
    ("discipline_officer", "jiwei", "周强", [(Role.DISCIPLINE_OFFICER, "jw")], False),
    ("teacher", "teacher", "吴芳", [(Role.TEACHER, "rj")], False),
    ("student", "student", "郑小明", [(Role.STUDENT, "rj")], False),
    ("expert", "expert", "冯教授", [(Role.EXTERNAL_EXPERT, "college")], False),
    ("sysadmin", "admin", "系统管理员", [(Role.SYSTEM_ADMIN, "xxzx")], True),
    ("outsider", "nobody", "无角色", [], False),
]


def _tree(rows) -> SimpleNamespace:
    """The rows treebeard's add_root/add_child would write, in one INSERT (the cast is built for
    most tests: one statement instead of some sixty)."""
    last_root = OrgUnit.objects.get_last_root_node()
    units, children = {}, Counter()
    for attr, code, name, kind, parent in rows:
        if parent is None:
            path = last_root._inc_path() if last_root else OrgUnit._get_path(None, 1, 1)
            node = last_root = OrgUnit(path=path, depth=1)
        else:
            up = units[parent]
            children[parent] += 1
            node = OrgUnit(depth=up.depth + 1)
            node.path = OrgUnit._get_path(up.path, node.depth, children[parent])
        node.code, node.name, node.kind, node.numchild = code, name, kind, 0
        units[attr] = node
    for attr, count in children.items():
        units[attr].numchild = count
    OrgUnit.objects.bulk_create(units.values())
    return SimpleNamespace(**units)


def _people(units, rows) -> dict:
    """The users (as UserFactory(username=…) would get or create them) and their memberships,
    one INSERT each."""
    found = User.objects.in_bulk([r[1] for r in rows], field_name="username")
    fresh = [
        User(
            username=username,
            full_name=full_name,
            email=f"{username}@example.edu.cn",
            password=PASSWORD_HASH,
            is_staff=staff,
            is_superuser=staff,
        )
        for _attr, username, full_name, _roles, staff in rows
        if username not in found
    ]
    found.update({u.username: u for u in User.objects.bulk_create(fresh)})
    people = {attr: found[username] for attr, username, *_rest in rows}
    for attr, _username, _name, _roles, staff in rows:
        if staff and not people[attr].is_superuser:
            people[attr].is_staff = people[attr].is_superuser = True
            people[attr].save(update_fields=["is_staff", "is_superuser"])
    Membership.objects.bulk_create(
        Membership(user=people[attr], org_unit=getattr(units, unit), role=role)
        for attr, _username, _name, roles, _staff in rows
        for role, unit in roles
    )
    return people


@pytest.fixture
def college(db):
    """The org tree of the cast's college."""
    from engine import memo

    # the seats memo (engine.steps) may hold an earlier test's units, rolled back since: the
    # bulk inserts below send no signal that would make it forget them
    for held in memo.MEMOS.values():
        held.forget()
    return _tree(TREE)


@pytest.fixture
def cast(college):
    """One person per role, named by what they do. (The roles each may grant and the shipped
    separation-of-duties rules are put back too: transactional tests flush what the migrations
    loaded.)"""
    from engine import duties

    seed_grantable_roles(GrantableRole)
    duties.seed_defaults()
    return SimpleNamespace(units=college, password=PASSWORD, **_people(college, PEOPLE))


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


# --- the browser: Debian's chromium through Playwright --------------------------------------

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def browser():
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def log_in(page, base, user, password):
    """Log in through the login form, as a person does."""
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click(".login-box button[type=submit]")
    page.wait_for_url(f"{base}/")


# --- the demo of `make seed` ---------------------------------------------------------------

# The steps of the Makefile's `seed` target, in its order.
SEED = [
    "seed_demo",
    "review_load_catalogues",
    "seed_indicators",
    "surveys_load_questionnaires",
    "seed_plans",
    "seed_activity",
    "steps_backfill",
    "demo_logins",
]


def seed_the_demo(capture) -> str:
    out = StringIO()
    for command in SEED:
        # what each command left for after its commits runs (Celery is eager), as outside a test
        with capture(execute=True):
            call_command(command, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    return seed_the_demo(django_capture_on_commit_callbacks)


@pytest.fixture
def celery_in_process():
    """Run queued Celery tasks (notification delivery…) in this process even when REDIS_URL
    points at a real broker that no worker of the test reads. Not through `monkeypatch`: a test
    that calls `monkeypatch.undo()` for its own patches keeps this."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
