"""A semester-end load on the production start: one locust user class per role, in the
proportions of a college (students most, the quality office few), each opening the pages that
role lands on. `bench/load/run.py` starts the site and runs this file; it can also be pointed at
any running site: `locust -f bench/load/locustfile.py --host http://127.0.0.1:8000`.

Every request is named by page (not by URL with ids) so the table has one row per page. The
"trivial" user opens `/accounts/me/` (a logged-in page that reads only the session): the
floor the other pages are compared with, measured in the same run.

Logins are the demo's (`make seed`): the password is DEMO_PASSWORD, the people are the demo
cast and the survey students (rj2301-01 …)."""

import os
import random
import re
import uuid

from locust import HttpUser, LoadTestShape, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "Demo@2026")
STUDENTS = [f"rj{c}-{i:02d}" for c in ("2301", "2302") for i in range(1, 13)] + ["student"]
TEACHERS = ["teacher", "rj_member", "rj_leader", "jd_teacher", "xx_member"]
LEADERS = ["xx_leader", "jd_leader", "jwc_leader", "jg_leader"]
OFFICE = ["zgb"]
SUPERVISORS = ["dudao"]
TRIVIAL = os.environ.get("LOAD_TRIVIAL", "/accounts/me/")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FIRST_UNIT = re.compile(r'<select name="subject_unit"[^>]*>.*?<option value="(\d+)"', re.S)


class _Person(HttpUser):
    abstract = True
    wait_time = between(1, 4)
    people: list[str] = []

    def on_start(self):
        username = random.choice(self.people)
        page = self.client.get("/accounts/login/", name="login form")
        token = CSRF.search(page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != 302:
                response.failure(f"{username} could not log in ({response.status_code})")

    def page(self, url: str, name: str):
        with self.client.get(url, name=name, catch_response=True) as response:
            if "/accounts/login/" in response.url:
                response.failure("sent to the login page")
            return response


class Trivial(_Person):
    """The floor: a logged-in page that does nothing. Two of them in every step, whatever the
    number of users, so that each step measures its own floor."""

    fixed_count = 2
    wait_time = between(0.5, 1.5)
    people = STUDENTS + TEACHERS

    @task
    def me(self):
        self.page(TRIVIAL, "trivial /accounts/me/")


class Student(_Person):
    weight = 60
    people = STUDENTS

    @task(4)
    def home(self):
        self.page("/", "home")

    @task(2)
    def questionnaires(self):
        self.page("/surveys/mine/", "surveys: mine")

    @task(1)
    def cases(self):
        self.page("/cases/", "case list")


class Teacher(_Person):
    weight = 20
    people = TEACHERS

    @task(3)
    def home(self):
        self.page("/", "home")

    @task(2)
    def inbox(self):
        self.page("/inbox/", "inbox")

    @task(2)
    def readings(self):
        self.page("/monitoring/", "monitoring dashboard")

    @task(2)
    def plan_tasks(self):
        self.page("/plans/tasks/", "plan tasks")

    @task(1)
    def cycles(self):
        self.page("/monitoring/cycles/", "cycle list")


class Leader(_Person):
    weight = 8
    people = LEADERS

    @task(3)
    def home(self):
        self.page("/", "home")

    @task(3)
    def inbox(self):
        self.page("/inbox/", "inbox")

    @task(2)
    def approvals(self):
        self.page("/monitoring/approvals/", "reading approvals")

    @task(2)
    def cases(self):
        self.page("/cases/", "case list")

    @task(1)
    def plans(self):
        self.page("/plans/", "plans list")


class QualityOffice(_Person):
    weight = 4
    people = OFFICE

    @task(3)
    def home(self):
        self.page("/", "home")

    @task(2)
    def overview(self):
        self.page("/monitoring/overview/", "monitoring overview")

    @task(2)
    def dashboard(self):
        self.page("/cases/dashboard/", "case dashboard")

    @task(2)
    def cases(self):
        self.page("/cases/", "case list")

    @task(1)
    def export(self):
        # an export started in the background: the page answers at once, a worker builds it
        page = self.page("/plans/", "plans list")
        token = CSRF.search(page.text)
        if token:
            self.client.post(
                "/plans/exports/",
                {"csrfmiddlewaretoken": token.group(1), "what": "tasks", "fmt": "xlsx"},
                headers={"Referer": f"{self.host}/plans/"},
                name="plans export (start)",
            )


class Supervisor(_Person):
    weight = 4
    people = SUPERVISORS

    @task(3)
    def home(self):
        self.page("/", "home")

    @task(1)
    def report(self):
        """An incident report from a phone: the form, then the report filed."""
        form = self.page("/cases/new/report/", "incident report form")
        token, unit = CSRF.search(form.text), FIRST_UNIT.search(form.text)
        if not (token and unit):
            return
        self.client.post(
            "/cases/new/report/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "idempotency_key": str(uuid.uuid4()),
                "title": "巡查发现实训室设备未按规定登记",
                "subject_unit": unit.group(1),
                "source": "inspection",
                "description": "巡查时发现实训室设备使用记录缺失，请核查。",
            },
            headers={"Referer": f"{self.host}/cases/new/report/"},
            name="incident report (file)",
        )


class Anonymous(HttpUser):
    """The public intake pages. Filing itself is limited per client address (INTAKE_* settings),
    so one load source cannot file at volume: the pages are what is measured."""

    weight = 4
    wait_time = between(2, 6)

    @task(2)
    def complaint_form(self):
        self.client.get("/complaint/", name="anonymous: complaint form")

    @task(1)
    def report_form(self):
        self.client.get("/report/", name="anonymous: report form")


class _SemesterEnd(LoadTestShape):
    """Ramp to LOAD_USERS over a minute, hold, spike to twice as many, settle back. Stage
    lengths in seconds come from LOAD_SECONDS (the whole run), scaled."""

    abstract = True

    users = int(os.environ.get("LOAD_USERS", "32"))
    total = int(os.environ.get("LOAD_SECONDS", "180"))

    def tick(self):
        t = self.get_run_time()
        ramp, hold, spike = self.total * 0.3, self.total * 0.6, self.total * 0.8
        if t < ramp:
            return max(1, int(self.users * t / ramp)), max(1, self.users / 10)
        if t < hold:
            return self.users, self.users
        if t < spike:
            return self.users * 2, self.users
        if t < self.total:
            return self.users, self.users
        return None


# locust uses a shape whenever the file defines a concrete one: only when run.py asks for it
if os.environ.get("LOAD_SHAPE") == "semester-end":

    class SemesterEnd(_SemesterEnd):
        abstract = False
