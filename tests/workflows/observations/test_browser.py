"""The observation sheet on a phone (390 px): a submit without a connection stays on the phone
and is sent, once, when the connection is back; a reload in between restores the draft."""

import re

import pytest

from tests.conftest import PHONE, log_in
from workflows.monitoring.models import Reading
from workflows.observations.models import Observation

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("celery_in_process"),
]


def test_a_draft_survives_a_lost_connection_and_is_sent_once(browser, live_server, cast, obs):
    base = live_server.url
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    log_in(page, base, cast.supervisor, cast.password)
    page.goto(f"{base}/observations/new/")
    # nothing sticks out of a phone's screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.select_option("#id_course", str(cast.units.rj_python.pk))
    page.select_option("#id_teacher", str(cast.teacher.pk))
    page.fill("#id_class_name", "2025级1班")
    for item, score in zip(obs.items, ["8", "8", "7", "6", "7"], strict=True):
        page.fill(f"#id_score_{item.pk}", score)
    page.fill("#id_suggestions", "学生练习时间偏少")

    context.set_offline(True)
    page.click("#observation-sheet button[type=submit]")
    page.wait_for_selector("#draft-status:has-text('网络已断开')")
    assert not Observation.objects.exists()
    # the draft is on the phone: a reload (still offline: from the page cache or not at all) is
    # not needed to keep it, but a reload when online restores and sends it
    stored = page.evaluate(f"localStorage.getItem('observation-draft:{cast.supervisor.pk}')")
    assert "学生练习时间偏少" in stored and '"pending":true' in stored

    context.set_offline(False)
    page.wait_for_url(re.compile(r"/observations/\d+/$"))
    observation = Observation.objects.get()
    assert str(observation.total_score) == "72.00" and observation.teacher == cast.teacher
    assert Reading.objects.count() == 2
    assert "学生练习时间偏少" in page.content() and "听课记录已提交" in page.content()
    assert page.evaluate(f"localStorage.getItem('observation-draft:{cast.supervisor.pk}')") is None

    # a draft typed and left: reopening the sheet restores it with its key
    page.goto(f"{base}/observations/new/")
    page.select_option("#id_course", str(cast.units.rj_python.pk))
    page.fill("#id_class_name", "2025级2班")
    key = page.input_value("#id_client_key")
    page.goto(f"{base}/observations/new/")
    assert page.input_value("#id_class_name") == "2025级2班"
    assert page.input_value("#id_client_key") == key
    page.wait_for_selector("#draft-status:has-text('已恢复')")
    context.close()


def test_a_sheet_sent_online_opens_the_saved_observation(browser, live_server, cast, obs, tmp_path):
    from PIL import Image

    photo = tmp_path / "ketang.jpg"
    Image.new("RGB", (64, 48), "white").save(photo)
    base = live_server.url
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    log_in(page, base, cast.supervisor, cast.password)
    page.goto(f"{base}/observations/new/")
    page.select_option("#id_course", str(cast.units.rj_python.pk))
    page.select_option("#id_teacher", str(cast.teacher.pk))
    page.fill("#id_class_name", "2025级3班")
    for item in obs.items:
        page.fill(f"#id_score_{item.pk}", "8")
    page.set_input_files("#id_photos", str(photo))

    def drop_accept(route):
        # as a proxy on the way may: the server then answers with its redirect to the page
        headers = {k: v for k, v in route.request.headers.items() if k.lower() != "accept"}
        route.continue_(headers=headers)

    page.route("**/observations/new/", drop_accept)
    page.click("#observation-sheet button[type=submit]")
    page.wait_for_url(re.compile(r"/observations/\d+/$"), timeout=20000)
    observation = Observation.objects.get()
    assert page.url == f"{base}{observation.get_absolute_url()}"
    assert page.evaluate(f"localStorage.getItem('observation-draft:{cast.supervisor.pk}')") is None
    # the sheet opened again is empty: the sent draft is not restored
    page.unroute("**/observations/new/")
    page.goto(f"{base}/observations/new/")
    assert page.input_value("#id_class_name") == ""
    assert page.is_hidden("#draft-status")
    context.close()
