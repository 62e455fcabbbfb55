"""Files written for a row live only as long as the row: a rolled-back transaction or savepoint
leaves no file behind, an open or committed one keeps it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from engine import attachments, filestore
from tests.factories import UserFactory


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _files(folder):
    return [p for p in folder.rglob("*") if p.is_file()]


def _attach(obj, text=b"evidence"):
    return attachments.attach(actor=None, obj=obj, upload=SimpleUploadedFile("a.txt", text))


@pytest.mark.django_db
def test_file_of_a_rolled_back_savepoint_is_deleted(media):
    user = UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        _attach(user)
        assert len(_files(media)) == 1
        raise RuntimeError
    assert filestore.discard_rolled_back() == 1
    assert _files(media) == []


@pytest.mark.django_db
def test_file_of_an_open_or_committed_transaction_stays(media, django_capture_on_commit_callbacks):
    user = UserFactory()
    _attach(user, b"open")
    assert filestore.discard_rolled_back() == 0
    with django_capture_on_commit_callbacks(execute=True):
        _attach(user, b"committed")
    assert filestore.discard_rolled_back() == 0
    assert len(_files(media)) == 2
