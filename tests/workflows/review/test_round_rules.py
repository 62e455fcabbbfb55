"""Issue 13: review rounds' own rules hold when the quality office and the expert walk them."""

import datetime
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from workflows.review import services
from workflows.review.models import (
    PanelMember,
    ReviewAssignment,
    ReviewConclusion,
    ReviewRound,
)

from .factories import forwarded_report, round_in_review

pytestmark = pytest.mark.django_db


def _create(client, report, start, name="2026 复核"):
    return client.post(
        reverse("review:round_list"),
        {
            "name": name,
            "catalogue": report.catalogue.pk,
            "review_start": start,
            "review_end": start + datetime.timedelta(days=3),
        },
    )


def test_create_form_shows_the_publication_deadline(cast, login):
    page = login(cast.quality_officer).get(reverse("review:round_list")).content.decode()
    assert str(settings.REVIEW_DISCLOSURE_DAYS) in page and "公示截止" in page
    assert "data-disclosure-days" in page


def test_round_whose_deadline_is_past_is_refused_naming_a_date_that_works(cast, login):
    report = forwarded_report(cast)
    today = timezone.localdate()
    start = today + datetime.timedelta(days=settings.REVIEW_DISCLOSURE_DAYS - 2)
    response = _create(login(cast.quality_officer), report, start)
    assert response.status_code == 200 and not ReviewRound.objects.exists()
    earliest = today + datetime.timedelta(days=settings.REVIEW_DISCLOSURE_DAYS)
    assert str(earliest) in response.content.decode()
    assert _create(login(cast.quality_officer), report, earliest).status_code == 302
    assert ReviewRound.objects.get().disclosure_deadline == today


def _planning_round(cast, report, start, name):
    return services.round_create(
        actor=cast.quality_officer,
        name=name,
        catalogue=report.catalogue,
        review_start=start,
        review_end=start,
    )


def test_report_moves_to_another_round_before_the_round_starts(cast, login):
    report = forwarded_report(cast)
    start = timezone.localdate() + datetime.timedelta(days=60)
    first = _planning_round(cast, report, start, "第一轮")
    second = _planning_round(cast, report, start + datetime.timedelta(days=30), "第二轮")
    services.round_add_report(actor=cast.quality_officer, round_=first, report=report)
    office = login(cast.quality_officer)
    url = reverse("review:round_detail", args=[first.pk])
    page = office.get(url).content.decode()
    assert "第二轮" in page
    office.post(url, {"step": "move", "move-report": report.pk, "move-to_round": second.pk})
    assert list(second.reports.all()) == [report]
    assert not first.reports.exists()


def test_report_stays_once_its_round_is_under_review(cast, login):
    report = forwarded_report(cast)
    round_, _chair = round_in_review(cast, [report])
    later = timezone.localdate() + datetime.timedelta(days=90)
    other = _planning_round(cast, report, later, "下一轮")
    office = login(cast.quality_officer)
    office.post(
        reverse("review:round_detail", args=[round_.pk]),
        {"step": "move", "move-report": report.pk, "move-to_round": other.pk},
    )
    assert round_.reports.filter(pk=report.pk).exists() and not other.reports.exists()


def _published_round_with_expert(cast):
    report = forwarded_report(cast)
    start = timezone.localdate() + datetime.timedelta(days=40)
    round_ = _planning_round(cast, report, start, "2026 复核")
    services.round_add_report(actor=cast.quality_officer, round_=round_, report=report)
    member = services.panel_add(
        actor=cast.quality_officer,
        round_=round_,
        user=cast.expert,
        kind=PanelMember.Kind.EXTERNAL,
        declaration="无",
        is_chair=True,
    )
    assignment = services.assignment_create(
        actor=cast.quality_officer, member=member, report=report
    )
    services.round_publish(actor=cast.quality_officer, round_=round_)
    return round_, assignment


def test_expert_form_is_read_only_with_reason_and_opening_date_before_the_review(cast, login):
    round_, assignment = _published_round_with_expert(cast)
    page = login(cast.expert).get(reverse("review:assignment_detail", args=[assignment.pk]))
    html = page.content.decode()
    form = re.search(r"<form[^>]*id=\"findings-form\".*?</form>", html, re.S).group(0)
    assert 'type="submit"' not in form
    for control in re.findall(r"<(?:input|textarea)[^>]*>", form):
        if 'type="hidden"' in control:
            continue
        assert "disabled" in control or "readonly" in control, control
    assert str(round_.review_start) in html and "尚未开始" in html


def test_what_the_expert_typed_is_kept_when_saving_is_refused(cast, login):
    round_, assignment = _published_round_with_expert(cast)
    element = round_.catalogue.elements_in_order().first()
    key = f"{element.pk}-0"
    expert = login(cast.expert)
    url = reverse("review:assignment_detail", args=[assignment.pk])
    response = expert.post(
        url,
        {f"match-{key}": "no", f"comment-{key}": "自评偏高，证据不足", "action": "save"},
        follow=True,
    )
    html = response.content.decode()
    assert "自评偏高，证据不足" in html
    assignment = ReviewAssignment.objects.get(pk=assignment.pk)
    assert assignment.draft[f"comment-{key}"] == "自评偏高，证据不足"
    assert not assignment.findings.exists() and assignment.submitted_at is None


def test_autosave_keeps_the_draft_and_the_review_starts_from_it(cast, login):
    report = forwarded_report(cast)
    round_, member = round_in_review(cast, [report])
    assignment = member.assignments.get()
    element = round_.catalogue.elements_in_order().first()
    key = f"{element.pk}-0"
    expert = login(cast.expert)
    url = reverse("review:assignment_detail", args=[assignment.pk])
    response = expert.post(
        url, {f"comment-{key}": "正在撰写", f"match-{key}": "yes"}, HTTP_X_AUTOSAVE="1"
    )
    assert response.json()["saved"] is True
    assert ReviewAssignment.objects.get(pk=assignment.pk).draft[f"comment-{key}"] == "正在撰写"
    assert "正在撰写" in expert.get(url).content.decode()
    assert "review/autosave" in expert.get(url).content.decode()


def test_start_refusal_is_all_chinese(cast, login):
    round_, _a = _published_round_with_expert(cast)
    office = login(cast.quality_officer)
    html = office.post(
        reverse("review:round_detail", args=[round_.pk]), {"step": "start"}
    ).content.decode()
    assert "公示期" in html
    assert "disclosure period" not in html
    assert not ReviewConclusion.objects.exists()


def test_no_chinese_message_carries_english():
    """A Chinese message never glosses itself in English (“公示期（disclosure period）”)."""
    po = (settings.BASE_DIR / "locale/zh_Hans/LC_MESSAGES/django.po").read_text()
    texts = ["".join(re.findall(r'"(.*)"', e)) for e in re.findall(r'msgstr ((?:".*"\n?)+)', po)]
    strays = []
    for text in texts:
        bare = re.sub(r"%\([a-z_]+\)[sd]|\{\{.*?\}\}|\{%.*?%\}|<[^>]+>", "", text)
        # Names the user must find in their own software stay as the software writes them.
        bare = bare.replace("CSV UTF-8", "")
        chinese = re.search(r"[\u4e00-\u9fff]", bare)
        gloss = r"[（(]\s*[a-z]{3,}[a-z ,.'-]*[）)]|[A-Za-z]{3,}(?: [A-Za-z]{2,})+"
        english = re.search(gloss, bare)
        if chinese and english:
            strays.append(text)
    assert strays == []
