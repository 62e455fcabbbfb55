"""Hostile or broken uploads to the anonymous intake: a zip bomb disguised as a .docx is refused
from its directory, fast and without inflating it; a submission refused after one good file was
stored leaves neither a row nor a file."""

import time
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.confidential.models import Report
from engine.models import Attachment
from tests.cases.confidential.factories import jpeg_with_gps, solved_challenge
from tests.engine import office_files


@pytest.fixture(scope="session")
def bomb(tmp_path_factory):
    path = tmp_path_factory.mktemp("bomb") / "bomb.docx"
    office_files.zip_bomb_docx(path, megabytes=512)
    return path.read_bytes()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _files_in(folder):
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _post(client, files, url="confidential:file"):
    return client.post(
        reverse(url),
        {
            "subject": "funds",
            "about": "某系专项经费",
            "description": "专项经费被挪用。",
            "contact": "",
            **solved_challenge(),
            "files": files,
        },
        REMOTE_ADDR="203.0.113.77",
    )


def test_zip_bomb_docx_is_refused_fast_from_its_directory_with_little_memory(
    cast, client, media, bomb
):
    assert len(bomb) < 1024 * 1024
    client.get(reverse("confidential:file"))  # URLs, templates and catalogues loaded once
    started = time.perf_counter()
    response = _post(client, [SimpleUploadedFile("材料.docx", bomb)])
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    errors = response.context["form"].errors["files"]
    assert any("解压后超过" in e for e in errors), errors
    assert elapsed < 1.0, elapsed
    tracemalloc.start()
    try:
        again = _post(client, [SimpleUploadedFile("材料.docx", bomb)])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "files" in again.context["form"].errors
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB"
    assert not Report.objects.exists() and not Attachment.objects.exists()
    assert _files_in(media) == []


def test_zip_bomb_is_refused_by_the_api_intake_with_a_400(cast, client, media, bomb):
    response = _post(client, [SimpleUploadedFile("材料.docx", bomb)], url="api:report-intake")
    assert response.status_code == 400
    assert "files" in response.json().get("errors", response.json())
    assert not Report.objects.exists() and _files_in(media) == []


@pytest.mark.parametrize("url", ["confidential:file", "api:report-intake"])
def test_submission_refused_after_a_stored_file_leaves_no_row_and_no_file(cast, client, media, url):
    """The picture is cleaned and stored first; the document after it passes the type checks
    but cannot be read, so the whole submission is refused."""
    broken = SimpleUploadedFile("说明.docx", office_files.corrupt_docx())
    response = _post(client, [jpeg_with_gps(), broken], url=url)
    assert response.status_code in (200, 400)
    body = response.content.decode()
    assert "无法读取" in body or "could not be read" in body, body[:500]
    assert not Report.objects.exists() and not Attachment.objects.exists()
    assert _files_in(media) == []


def test_accepted_submission_keeps_its_files(
    cast, client, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, [jpeg_with_gps()])
    assert response.status_code == 200 and Report.objects.count() == 1
    attachment = Attachment.objects.get()
    assert [p.name for p in _files_in(media)] == [attachment.file.name.rsplit("/", 1)[1]]
