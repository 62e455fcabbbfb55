"""Responses and respondents cannot be joined from the database: no column links them, keys
are random, the spent right is deleted (so no visible row shares the answer's transaction) and
answering writes nothing else anywhere."""

import pytest
from django.apps import apps
from django.db import connection, models
from django.urls import reverse

from workflows.surveys.models import Answer, Eligibility, Response

from .helpers import answers, create_survey

IDENTIFYING = (
    models.DateField,
    models.DateTimeField,
    models.TimeField,
    models.GenericIPAddressField,
)


def test_answer_tables_hold_nothing_that_points_at_a_person():
    for model in (Response, Answer):
        for field in model._meta.concrete_fields:
            assert not isinstance(field, IDENTIFYING), field
            if field.is_relation:
                assert field.related_model._meta.label in {
                    "surveys.Group",
                    "surveys.Response",
                    "surveys.Question",
                }, field
            assert not any(w in field.name for w in ("user", "ip", "agent", "token", "code"))
        assert isinstance(model._meta.pk, models.UUIDField)
    # and nothing points at a response from the side of the people
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and model not in (Answer,):
                assert field.related_model is not Response, (model, field)


def _xmin_by_table() -> dict[str, set[int]]:
    """The transaction that wrote each visible row, table by table (PostgreSQL)."""
    found = {}
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            cur.execute(f'SELECT DISTINCT xmin::text FROM "{table}"')  # noqa: S608
            found[table] = {int(x) for (x,) in cur.fetchall()}
    return found


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_response_cannot_be_joined_to_its_respondent(cast, sv, client):
    client.force_login(cast.quality_officer)
    survey = create_survey(client, sv, cast.units.rj)
    client.post(reverse("surveys:survey_open", args=[survey.pk]))
    group = survey.groups.get()
    order = sv.students[:6]
    for student in order:
        client.force_login(student)
        before = _xmin_by_table()
        client.post(reverse("surveys:answer", args=[group.pk]), answers(survey, 4, "意见"))
        after = _xmin_by_table()
        changed = {t for t in after if after[t] - before[t]}
        # the answer touched the answer tables only: no session, audit, outbox or log row
        # was written with it (a row there would share or neighbour its transaction id)
        assert changed == {"surveys_response", "surveys_answer"}, changed
        new = after["surveys_response"] - before["surveys_response"]
        assert len(new) == 1
        xid = next(iter(new))
        for table, xids in after.items():
            if table not in ("surveys_response", "surveys_answer"):
                assert xid not in xids, table
    # the spent rights are gone, the unspent are exactly those who did not answer
    assert set(Eligibility.objects.values_list("user_id", flat=True)) == {
        s.pk for s in sv.students[6:]
    }
    # keys are random: ordering the responses by key does not give the order of answering
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM surveys_response ORDER BY xmin::text::bigint")
        by_time = [r[0] for r in cur.fetchall()]
    assert sorted(by_time) != by_time or len(by_time) < 2
