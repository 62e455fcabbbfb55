import pytest
from django.urls import reverse

from accounts import services
from accounts.models import AuditEntry, Membership, Role


def test_service_writes_audit_in_same_transaction(cast):
    membership = services.membership_add(
        actor=cast.xx_leader, user=cast.teacher, org_unit=cast.units.wl, role=Role.TEACHER
    )
    entry = AuditEntry.objects.get(action="membership.add")
    assert entry.actor == cast.xx_leader
    assert entry.object_id == str(membership.pk)
    assert entry.after["org_unit"] == cast.units.wl.pk and entry.before is None


def test_denied_service_writes_nothing(cast):
    with pytest.raises(services.access.PermissionDenied):
        services.membership_add(
            actor=cast.jd_leader, user=cast.teacher, org_unit=cast.units.wl, role=Role.TEACHER
        )
    assert not Membership.objects.filter(org_unit=cast.units.wl).exists()
    assert not AuditEntry.objects.exists()


def test_audit_records_ip_from_request(cast, client):
    client.force_login(cast.sysadmin)
    user = cast.outsider
    response = client.post(
        reverse("admin:accounts_membership_add"),
        {"user": user.pk, "org_unit": cast.units.rj.pk, "role": Role.STUDENT},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="membership.create")
    assert entry.ip == "10.1.2.3" and entry.actor == cast.sysadmin


def test_audit_is_append_only(cast):
    services.user_set_active(actor=cast.sysadmin, user=cast.student, active=False)
    entry = AuditEntry.objects.get(action="user.deactivate")
    entry.action = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(action="tampered")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "user.deactivate"


def test_admin_cannot_change_or_delete_audit_rows(cast, client):
    services.user_set_active(actor=cast.sysadmin, user=cast.student, active=False)
    entry = AuditEntry.objects.get()
    client.force_login(cast.sysadmin)
    assert client.get(reverse("admin:accounts_auditentry_changelist")).status_code == 200
    assert (
        client.post(
            reverse("admin:accounts_auditentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_audit_page_for_permitted_roles(cast, login):
    services.user_set_active(actor=cast.sysadmin, user=cast.student, active=False)
    page = login(cast.quality_officer).get(reverse("accounts:audit_list"))
    assert page.status_code == 200
    # The action by its name, not its key.
    assert "停用" in page.content.decode() and "user.deactivate" not in page.content.decode()
    assert login(cast.xx_leader).get(reverse("accounts:audit_list")).status_code == 403
