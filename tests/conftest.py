"""The named cast: one small college and one person for every role.

Service-marked tests (postgres / redis / worker / browser) run when their service is there and
are skipped otherwise, unless REQUIRE_SERVICES=1, which turns a missing service into a failure.
"""

import os
import shutil
from types import SimpleNamespace

import pytest
from django.conf import settings

from accounts.models import OrgUnit, Role
from tests.factories import PASSWORD, MembershipFactory, UserFactory, unit

K = OrgUnit.Kind
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PLAYWRIGHT_FIXTURES = ("browser", "page")


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


@pytest.fixture
def college(db):
    """The org tree of the cast's college."""
    c = unit("college", "示范职业技术学院", K.COLLEGE)
    u = SimpleNamespace(college=c)
    u.committee = unit("qac", "学院质量保证委员会", K.COMMITTEE, c)
    u.jwc = unit("jwc", "教务处", K.OFFICE, c)
    u.jdpj = unit("jdpj", "教育质量监督评价中心", K.OFFICE, c)
    u.zgb = unit("zgb", "质量管理办公室", K.OFFICE, u.jdpj)
    u.jw = unit("jw", "纪委办公室", K.OFFICE, c)
    u.xxzx = unit("xxzx", "信息中心", K.OFFICE, c)
    u.xx = unit("xx", "信息工程系", K.DEPARTMENT, c)
    u.rj = unit("rj", "软件技术", K.MAJOR, u.xx)
    u.rj_python = unit("rj-c01", "Python程序设计", K.COURSE, u.rj)
    u.wl = unit("wl", "计算机网络技术", K.MAJOR, u.xx)
    u.jd = unit("jd", "机电工程系", K.DEPARTMENT, c)
    u.jdyt = unit("jdyt", "机电一体化技术", K.MAJOR, u.jd)
    u.jdyt_plc = unit("jdyt-c01", "PLC应用技术", K.COURSE, u.jdyt)
    for name in vars(u):
        setattr(u, name, OrgUnit.objects.get(pk=getattr(u, name).pk))
    return u


def _person(username, full_name, *roles):
    user = UserFactory(username=username, full_name=full_name)
    for role, org_unit in roles:
        MembershipFactory(user=user, org_unit=org_unit, role=role)
    return user


def _staff(user):
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


@pytest.fixture
def cast(college):
    """One person per role, named by what they do."""
    u = college
    return SimpleNamespace(
        units=u,
        password=PASSWORD,
        chair=_person("chair", "王建国", (Role.COMMITTEE_CHAIR, u.committee)),
        committee_member=_person("committee", "李华", (Role.COMMITTEE_MEMBER, u.committee)),
        quality_officer=_person("zgb", "张敏", (Role.QUALITY_OFFICER, u.zgb)),
        xx_leader=_person("xx_leader", "刘伟", (Role.DEPARTMENT_LEADER, u.xx)),
        xx_member=_person("xx_member", "黄丽", (Role.DEPARTMENT_MEMBER, u.xx)),
        jd_leader=_person("jd_leader", "陈刚", (Role.DEPARTMENT_LEADER, u.jd)),
        software_lead=_person("rj_leader", "赵磊", (Role.TEAM_LEADER, u.rj), (Role.TEACHER, u.rj)),
        software_member=_person("rj_member", "何燕", (Role.TEAM_MEMBER, u.rj)),
        supervisor=_person("dudao", "孙丽", (Role.SUPERVISOR, u.jdpj)),
        discipline_officer=_person("jiwei", "周强", (Role.DISCIPLINE_OFFICER, u.jw)),
        teacher=_person("teacher", "吴芳", (Role.TEACHER, u.rj)),
        student=_person("student", "郑小明", (Role.STUDENT, u.rj)),
        expert=_person("expert", "冯教授", (Role.EXTERNAL_EXPERT, u.college)),
        sysadmin=_staff(_person("admin", "系统管理员", (Role.SYSTEM_ADMIN, u.xxzx))),
        outsider=_person("nobody", "无角色"),
    )


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
