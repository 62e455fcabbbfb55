"""Many requests adding the same membership at once leave one row and one audit entry."""

import threading

import pytest
from django.db import connection

from accounts import services
from accounts.models import AuditEntry, Membership, Role

THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_membership_add_creates_one_membership_and_one_audit_row(cast):
    start = threading.Barrier(THREADS)
    memberships, errors = [], []
    user, unit = cast.outsider, cast.units.rj

    def add():
        try:
            start.wait(timeout=30)
            memberships.append(
                services.membership_add(
                    actor=cast.sysadmin, user=user, org_unit=unit, role=Role.TEACHER
                )
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors, errors
    assert len(memberships) == THREADS
    rows = Membership.objects.filter(user=user, org_unit=unit, role=Role.TEACHER)
    assert rows.count() == 1
    assert {m.pk for m in memberships} == {rows.get().pk}
    audits = AuditEntry.objects.filter(action="membership.add", object_id=str(rows.get().pk))
    assert audits.count() == 1
    assert audits.get().actor == cast.sysadmin
