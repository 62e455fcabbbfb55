"""Demo 评教 for 软件技术: two classes of students take its three courses this term; the
mid-term evaluation is closed (results per class, readings awaiting 教务处's approval, comments
released to the teachers), the end-of-term one is open with about half answered (郑小明 still
has it in 我的问卷). Everything goes through the services; running it twice changes nothing."""

import datetime

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import Membership, OrgUnit, Role, User
from workflows.monitoring.models import Period

from . import catalogue, services
from .models import CourseSection, Enrolment, QuestionKind, Questionnaire, Survey
from .selectors import questions_of

TERM = "2026-1"
CLASSES = [("2301", "软件2301班"), ("2302", "软件2302班")]
STUDENTS_PER_CLASS = 12
# course code → (teacher's username, the mean rating the class gives): the Python course fares
# badly, so approving its readings raises a warning.
COURSES = {"rj-c01": ("teacher", 2), "rj-c02": ("rj_member", 4), "rj-c03": ("rj_leader", 5)}
CLOSED_TITLE = "2026-2027学年第1学期期中学生评教（软件技术）"
OPEN_TITLE = "2026-2027学年第1学期期末学生评教（软件技术）"
COMMENTS = ["希望多一些上机练习", "讲解清楚，节奏合适", "作业反馈可以更及时", "案例贴近岗位"]


def _students(rj) -> dict[str, list[User]]:
    password = make_password(DEMO_PASSWORD)
    classes = {}
    for code, _name in CLASSES:
        users = []
        for i in range(1, STUDENTS_PER_CLASS + 1):
            user, created = User.objects.get_or_create(
                username=f"rj{code}-{i:02d}",
                defaults={
                    "full_name": f"软件{code}班学生{i:02d}",
                    "staff_no": f"2023{code}{i:02d}",
                },
            )
            if created or not user.has_usable_password():
                # demo students sign in like the rest of the demo (to answer 评教 as several)
                user.password = password
                user.save(update_fields=["password"])
            Membership.objects.get_or_create(user=user, org_unit=rj, role=Role.STUDENT)
            users.append(user)
        classes[code] = users
    student = User.objects.filter(username="student").first()
    if student is not None:
        classes["2301"] = [student, *classes["2301"]]
    return classes


def _sections(term, classes) -> list[CourseSection]:
    sections = []
    for course_code, (teacher, _mean) in COURSES.items():
        course = OrgUnit.objects.get(code=course_code)
        for code, name in CLASSES:
            section, _new = CourseSection.objects.get_or_create(
                period=term,
                code=f"{course_code}-{code}",
                defaults={
                    "course": course,
                    "name": name,
                    "teacher": User.objects.get(username=teacher),
                },
            )
            Enrolment.objects.bulk_create(
                [Enrolment(section=section, student=s) for s in classes[code]],
                ignore_conflicts=True,
            )
            sections.append(section)
    return sections


def _rows(questions, rating: int, i: int):
    rows = []
    for q in questions:
        if q.kind == QuestionKind.LIKERT:
            rows.append((q.pk, max(1, min(q.points, rating + (i % 3) - 1)), ""))
        elif q.kind == QuestionKind.SINGLE or q.kind == QuestionKind.MULTIPLE:
            rows.append((q.pk, 1 + i % q.points, ""))
        elif i % 3 == 0:
            rows.append((q.pk, None, COMMENTS[i % len(COMMENTS)]))
    return rows


def _answer(survey, share: float, skip=(), leave_one=False) -> None:
    """`leave_one`: each student leaves one course of the running survey unanswered, so every
    demo student's home page has a questionnaire waiting."""
    questions = questions_of(survey)
    courses = list(COURSES)
    for group in survey.groups.select_related("section__course"):
        _teacher, rating = COURSES[group.section.course.code]
        left = courses.index(group.section.course.code)
        students = [
            e.student for e in group.section.enrolments.select_related("student").order_by("pk")
        ]
        students = [s for s in students if s.username not in skip]
        for i, student in enumerate(students[: int(len(students) * share)]):
            if leave_one and i % len(courses) == left:
                continue
            if group.eligibilities.filter(user=student).exists():
                services.response_submit(
                    user=student, group=group, rows=_rows(questions, rating, i)
                )


def _survey(officer, term, title, grades_date, closes_on) -> Survey:
    return services.survey_create(
        actor=officer,
        questionnaire=Questionnaire.objects.get(code="pj-ketang"),
        title=title,
        period=term,
        audience="sections",
        unit=OrgUnit.objects.get(code="rj"),
        closes_on=closes_on,
        grades_date=grades_date,
    )


def seed() -> dict:
    catalogue.load()
    term = Period.objects.filter(code=TERM).first()
    officer = User.objects.filter(username="zgb").first()
    rj = OrgUnit.objects.filter(code="rj").first()
    if term is None or officer is None or rj is None:
        raise ValueError("seed the demo college and monitoring first")
    with transaction.atomic():
        classes = _students(rj)
        _sections(term, classes)
    closed = Survey.objects.filter(title=CLOSED_TITLE).first()
    if closed is None:
        # closed today with its comments released today: comments never show before the close
        today = timezone.localdate()
        closed = _survey(officer, term, CLOSED_TITLE, today, closes_on=today)
        services.survey_open(actor=officer, survey=closed)
        _answer(closed, 0.9)
        services.survey_close(actor=officer, survey=closed)
    running = Survey.objects.filter(title=OPEN_TITLE).first()
    if running is None:
        closes_on = timezone.localdate() + datetime.timedelta(days=10)
        grades_date = max(term.end + datetime.timedelta(days=7), closes_on)
        running = _survey(officer, term, OPEN_TITLE, grades_date, closes_on=closes_on)
        services.survey_open(actor=officer, survey=running)
        _answer(running, 1.0, skip={"student"}, leave_one=True)
    return {
        "surveys": Survey.objects.count(),
        "closed": Survey.objects.filter(status="closed").count(),
        "sections": CourseSection.objects.filter(period=term).count(),
    }
