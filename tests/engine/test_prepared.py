"""engine.prepared: querysets compiled once per process and run with each value, the same rows
as the ORM builds them; `any_of` takes a list of any length in one parameter (PostgreSQL)."""

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, OrgUnit, User
from engine import prepared

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="any_of is PostgreSQL's = ANY()"
)


def _people_in(pk):
    # the marker stands twice: in the filter and in the annotation
    here = Membership.objects.filter(user=OuterRef("pk"), org_unit_id=pk)
    return (
        User.objects.filter(memberships__org_unit_id=pk)
        .annotate(member_here=Exists(here))
        .select_related()
        .order_by("username")
        .distinct()
    )


def test_a_marker_used_twice_and_an_annotation_come_back_as_the_orm_gives_them(cast):
    query = prepared.Prepared(_people_in)
    for unit in OrgUnit.objects.all():
        expected = list(_people_in(unit.pk))
        got = query.fetch(unit.pk)
        assert [u.pk for u in got] == [u.pk for u in expected]
        assert all(u.member_here is True for u in got)
    assert any(query.fetch(unit.pk) for unit in OrgUnit.objects.all())


@needs_postgres
def test_any_of_reads_any_number_of_ids_with_one_compiled_statement(cast):
    by_id = prepared.ByIds(User.objects.all)
    people = list(User.objects.order_by("pk").values_list("pk", flat=True))
    assert len(people) > 3
    with CaptureQueriesContext(connection) as queries:
        one = by_id.fetch(people[:1])
        many = by_id.fetch(people)
    assert set(one) == set(people[:1]) and set(many) == set(people)
    assert many[people[-1]].username == User.objects.get(pk=people[-1]).username
    # compiled once, whatever the length: the statements differ in their one parameter only
    statements = [q["sql"].split("ANY(")[0] for q in queries.captured_queries]
    assert len(statements) == 2 and statements[0] == statements[1]
    assert by_id.fetch([]) == {}


def test_any_of_filters_a_foreign_key_by_a_list_of_any_length(cast):
    memberships = Membership.objects.order_by("pk")
    units = list(memberships.values_list("org_unit_id", flat=True).distinct())[:3]
    assert units
    for field in ("org_unit", "org_unit_id"):
        rows = memberships.filter(prepared.any_of(field, units))
        assert list(rows) == list(memberships.filter(org_unit_id__in=units))
        assert list(memberships.filter(prepared.any_of(field, []))) == []
