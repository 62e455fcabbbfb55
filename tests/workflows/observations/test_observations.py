"""Class observation through its URLs, as the supervisor, the teacher and the quality officer."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEntry
from cases.models import Case
from engine.attachments import attachments_for
from engine.models import Attachment, Notification
from tests.cases.confidential.factories import GPS_CAMERA, jpeg_with_gps
from workflows.levels import Level
from workflows.monitoring import services as monitoring
from workflows.monitoring.models import Reading, ReadingStatus
from workflows.observations.models import Observation, ObservationReply

from .conftest import sheet

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_in_process")]


def _text(response) -> str:
    return response.content.decode()


def test_an_observation_by_dudao_becomes_readings_and_with_one_click_a_case(
    cast, obs, client, django_capture_on_commit_callbacks
):
    client.force_login(cast.supervisor)
    page = client.get(reverse("observations:new"))
    assert page.status_code == 200
    for point in ("教学准备充分度", "学生课堂参与度", "教学环节的完整度"):
        assert point in _text(page)
    photo = jpeg_with_gps()
    data = sheet(obs, cast.units.rj_python, cast.teacher, photos=[photo])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("observations:new"), data)
    observation = Observation.objects.get()
    assert response.status_code == 302 and response.url == observation.get_absolute_url()
    # (8+8+7+6+7)/50 of equal weights
    assert str(observation.total_score) == "72.00"
    assert observation.version == obs.version and observation.teacher == cast.teacher
    readings = {r.subject.level: r for r in Reading.objects.select_related("subject")}
    assert set(readings) == {Level.COURSE, Level.TEACHER}
    course_reading, teacher_reading = readings[Level.COURSE], readings[Level.TEACHER]
    assert course_reading.subject.subject_unit == cast.units.rj_python
    assert teacher_reading.subject.subject_user == cast.teacher
    assert course_reading.status == ReadingStatus.PENDING
    assert str(course_reading.value) == "72.0000" and course_reading.entered_by == cast.supervisor
    assert course_reading.period == obs.term
    # the photo was cleaned as the intake cleans: no camera or GPS data kept
    stored = Attachment.objects.get()
    with stored.file.open("rb") as handle:
        assert GPS_CAMERA.encode() not in handle.read()
    assert stored.original_name == "photo-1.jpg"

    # approval as the indicator's rule says: the head of 教务处; then the warning follows (72 <80)
    with django_capture_on_commit_callbacks(execute=True):
        monitoring.reading_approve(actor=obs.approver, reading=course_reading)
    assert course_reading.indicator.warnings.filter(subject=course_reading.subject).exists()

    detail = _text(client.get(observation.get_absolute_url()))
    assert "听课评价得分" in detail and "从此听课记录发起质量事件" in detail

    response = client.post(reverse("observations:open_case", args=[observation.pk]))
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == case.get_absolute_url()
    assert case.kind == Case.Kind.REPORT and case.source == Case.Source.OBSERVATION
    assert case.subject_unit == cast.units.rj_python and case.teacher_name == "吴芳"
    assert "教学准备充分度：" in case.description and "72" in case.description
    assert case.reporter == cast.supervisor
    # the photo went along as evidence
    assert [a.mime for a in attachments_for(case)] == ["image/jpeg"]
    observation.refresh_from_db()
    assert observation.case == case
    # a second click opens nothing new
    again = client.post(reverse("observations:open_case", args=[observation.pk]))
    assert again.url == case.get_absolute_url() and Case.objects.count() == 1
    assert AuditEntry.objects.filter(action="observation.open_case").count() == 1

    # the supervisor follows it to the case; the chair reads the observation, but the case
    # (a department's) is not theirs to open: named, not linked
    link = f'href="{case.get_absolute_url()}"'
    assert link in client.get(reverse("observations:mine")).content.decode()
    client.force_login(cast.chair)
    assert client.get(case.get_absolute_url()).status_code == 404
    for url in (reverse("observations:scope"), observation.get_absolute_url()):
        page = client.get(url).content.decode()
        assert case.number in page and link not in page, url


def test_a_second_submit_of_the_same_draft_is_saved_once(cast, obs, client):
    client.force_login(cast.supervisor)
    key = uuid.uuid4()
    data = sheet(obs, cast.units.rj_python, cast.teacher, key=key)
    first = client.post(reverse("observations:new"), data)
    second = client.post(reverse("observations:new"), data, HTTP_ACCEPT="application/json")
    observation = Observation.objects.get()
    assert first.status_code == 302
    assert second.status_code == 200
    assert second.json() == {
        "url": observation.get_absolute_url(),
        "created": False,
        "message": "这条听课记录已经提交过，没有重复保存。",
    }
    assert Reading.objects.count() == 2
    assert AuditEntry.objects.filter(action="observation.submit").count() == 1
    third = client.post(reverse("observations:new"), data, follow=True)
    assert "这条听课记录已经提交过" in _text(third)
    assert Observation.objects.count() == 1


def test_the_api_submit_is_idempotent_by_the_client_key(cast, obs, client):
    client.force_login(cast.supervisor)
    payload = {
        "client_key": str(uuid.uuid4()),
        "version": obs.version.pk,
        "course": cast.units.rj_python.pk,
        "teacher": cast.teacher.pk,
        "observed_at": sheet(obs, cast.units.rj_python)["observed_at"],
        "scores": [{"item": i.pk, "score": "9"} for i in obs.items],
    }
    url = reverse("api:observations")
    first = client.post(url, payload, content_type="application/json")
    second = client.post(url, payload, content_type="application/json")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"] and first.json()["total_score"] == "90.00"
    assert Observation.objects.count() == 1
    # another observer cannot reuse somebody's key
    client.force_login(cast.quality_officer)
    taken = client.post(url, payload, content_type="application/json")
    assert taken.status_code == 400 and "已被使用" in str(taken.json())
    listed = client.get(url).json()
    assert listed["count"] == 1


def _nothing_written():
    assert not Observation.objects.exists()
    assert not Reading.objects.exists()
    assert not Attachment.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="observation.submit").exists()


def test_a_course_the_observer_may_not_observe_is_refused_in_chinese(cast, obs, client):
    """A department leader observes the courses of their own department only."""
    client.force_login(cast.xx_leader)
    data = sheet(obs, cast.units.jdyt_plc, photos=[jpeg_with_gps()])
    response = client.post(reverse("observations:new"), data)
    assert response.status_code == 200
    assert "您不能对该课程听课" in _text(response)
    _nothing_written()
    # through the API: a 400 in the error shape
    payload = {
        "client_key": str(uuid.uuid4()),
        "version": obs.version.pk,
        "course": cast.units.jdyt_plc.pk,
        "teacher_name": "马超",
        "observed_at": data["observed_at"],
        "scores": [{"item": i.pk, "score": "9"} for i in obs.items],
    }
    api = client.post(reverse("api:observations"), payload, content_type="application/json")
    assert api.status_code == 400 and "您不能对该课程听课" in str(api.json()["errors"]["course"])
    _nothing_written()
    # their own department's course is fine
    ok = client.post(reverse("observations:new"), sheet(obs, cast.units.rj_python, cast.teacher))
    assert ok.status_code == 302


@pytest.mark.parametrize(
    "bad,message",
    [
        ("abc", "不是有效的分数"),
        ("11", "评分范围为 0 至 10"),
        ("7.25", "最多保留一位小数"),
        ("", "请为"),
    ],
)
def test_a_malformed_score_is_refused_and_nothing_is_written(cast, obs, client, bad, message):
    client.force_login(cast.supervisor)
    data = sheet(obs, cast.units.rj_python, cast.teacher, photos=[jpeg_with_gps()])
    data[f"score_{obs.items[2].pk}"] = bad
    response = client.post(reverse("observations:new"), data)
    assert response.status_code == 200 and message in _text(response)
    _nothing_written()
    as_json = client.post(
        reverse("observations:new"),
        sheet(obs, cast.units.rj_python, cast.teacher, **{f"score_{obs.items[2].pk}": bad}),
        HTTP_ACCEPT="application/json",
    )
    assert as_json.status_code == 400
    assert message in str(as_json.json()["errors"][f"score_{obs.items[2].pk}"])
    _nothing_written()


def test_a_file_that_is_not_a_photo_is_refused(cast, obs, client):
    client.force_login(cast.supervisor)
    text = SimpleUploadedFile("notes.txt", "课堂记录".encode(), content_type="text/plain")
    response = client.post(
        reverse("observations:new"), sheet(obs, cast.units.rj_python, cast.teacher, photos=[text])
    )
    assert response.status_code == 200 and "不是照片" in _text(response)
    _nothing_written()


def test_the_teacher_sees_the_observation_and_answers_it(cast, obs, client):
    client.force_login(cast.supervisor)
    client.post(reverse("observations:new"), sheet(obs, cast.units.rj_python, cast.teacher))
    observation = Observation.objects.get()
    assert Notification.objects.filter(recipient=cast.teacher, kind="observation.received").exists()

    client.force_login(cast.teacher)
    mine = _text(client.get(reverse("observations:about_me")))
    assert "Python程序设计" in mine and "孙丽" in mine
    detail = _text(client.get(observation.get_absolute_url()))
    assert "教学准备充分度" in detail and "发送回复" in detail
    empty = client.post(reverse("observations:reply", args=[observation.pk]), {"text": " "})
    # the page comes back with the error under the box
    assert empty.status_code == 200 and not ObservationReply.objects.exists()
    assert "此项为必填项。" in empty.content.decode()
    client.post(
        reverse("observations:reply", args=[observation.pk]), {"text": "下周增加分组练习。"}
    )
    reply = ObservationReply.objects.get()
    assert reply.author == cast.teacher
    assert AuditEntry.objects.filter(action="observation.reply").count() == 1
    assert Notification.objects.filter(recipient=cast.supervisor, kind="observation.reply").exists()
    # the observer reads the reply
    client.force_login(cast.supervisor)
    assert "下周增加分组练习。" in _text(client.get(observation.get_absolute_url()))
    # the observer may not answer in the teacher's name; others do not see it at all
    assert (
        client.post(reverse("observations:reply", args=[observation.pk]), {"text": "x"}).status_code
        == 403
    )
    for outsider in (cast.student, cast.software_member, cast.jd_leader):
        client.force_login(outsider)
        assert client.get(observation.get_absolute_url()).status_code == 404
    # the teacher may not open a case from it
    client.force_login(cast.teacher)
    assert client.post(reverse("observations:open_case", args=[observation.pk])).status_code == 403


def test_the_quality_officer_edits_the_form_and_old_observations_keep_their_version(
    cast, obs, client
):
    client.force_login(cast.supervisor)
    client.post(reverse("observations:new"), sheet(obs, cast.units.rj_python, cast.teacher))
    observation = Observation.objects.get()

    client.force_login(cast.quality_officer)
    office = client.get(reverse("observations:office"))
    assert office.status_code == 200 and "课堂教学质量评价表" in _text(office)
    edit_url = reverse("observations:form_edit", args=[obs.form.pk])
    page = _text(client.get(edit_url))
    assert "课堂教学 | 教学准备充分度 | 20 | 10" in page
    rows = page.split('name="rows"')[1].split(">", 1)[1].split("</textarea>")[0]
    bad = client.post(edit_url, {"rows": "课堂教学 | 教学准备充分度 | 很多"})
    assert "权重不是数字" in _text(bad) and obs.form.versions.count() == 2
    response = client.post(
        edit_url,
        {
            "rows": rows.strip() + "\n课堂管理 | 课堂纪律 | 10 | 5",
            "course_indicator": obs.course_indicator.pk,
            "teacher_indicator": obs.teacher_indicator.pk,
            "note": "增加课堂纪律",
        },
    )
    assert response.status_code == 302
    latest = obs.form.current_version()
    assert latest.number == 3 and latest.items().count() == 6
    observation.refresh_from_db()
    assert observation.version == obs.version and observation.scores.count() == 5
    # the supervisor's next sheet is the new version
    client.force_login(cast.supervisor)
    assert "课堂纪律" in _text(client.get(reverse("observations:new")))
    # nobody else edits forms
    assert client.get(edit_url).status_code == 403
    assert client.get(reverse("observations:office")).status_code == 403


def test_a_typed_teacher_gives_a_course_reading_of_the_terms_mean(cast, obs, client):
    """A teacher not in the system is typed: the course still gets its reading, the mean of the
    term's observations of the course, as a new version each time."""
    client.force_login(cast.supervisor)
    url = reverse("api:observations")
    for scores in ("9", "7"):
        payload = {
            "client_key": str(uuid.uuid4()),
            "version": obs.version.pk,
            "course": cast.units.rj_python.pk,
            "teacher_name": "外聘教师王某",
            "observed_at": sheet(obs, cast.units.rj_python)["observed_at"],
            "scores": [{"item": i.pk, "score": scores} for i in obs.items],
        }
        response = client.post(url, payload, content_type="application/json")
        assert response.status_code == 201 and response.json()["teacher"] is None
    readings = Reading.objects.order_by("version")
    assert [(r.subject.level, r.version, str(r.value)) for r in readings] == [
        (Level.COURSE, 1, "90.0000"),
        (Level.COURSE, 2, "80.0000"),
    ]
    # leaders of the course's department see it among their units' observations
    client.force_login(cast.xx_leader)
    assert "外聘教师王某" in _text(client.get(reverse("observations:scope")))
    client.force_login(cast.jd_leader)
    assert "外聘教师王某" not in _text(client.get(reverse("observations:scope")))


def test_a_reply_too_long_comes_back_with_its_text(cast, obs, client):
    client.force_login(cast.supervisor)
    client.post(reverse("observations:new"), sheet(obs, cast.units.rj_python, cast.teacher))
    observation = Observation.objects.get()
    client.force_login(cast.teacher)
    text = "下周增加分组练习。" * 223  # 2007 characters
    page = client.post(reverse("observations:reply", args=[observation.pk]), {"text": text})
    assert page.status_code == 200 and not ObservationReply.objects.exists()
    (error,) = page.context["reply_form"]["text"].errors
    assert "2000" in error and "2007" in error
    html = _text(page)
    assert text in html and error in html
