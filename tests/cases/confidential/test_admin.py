"""Django admin: reports are for discipline officers only, never for the superuser flag."""

from django.urls import reverse

from accounts.models import Membership, Role
from engine.models import Attachment
from tests.cases.confidential.factories import file_report, jpeg_with_gps


def test_system_admin_superuser_sees_no_report_in_admin(cast, login):
    report, _code = file_report(uploads=[jpeg_with_gps()])
    client = login(cast.sysadmin)
    assert cast.sysadmin.is_superuser
    index = client.get(reverse("admin:index")).content.decode()
    assert "confidential" not in index and report.number not in index
    for name, args in [
        ("admin:confidential_report_changelist", []),
        ("admin:confidential_report_change", [report.pk]),
        ("admin:confidential_report_history", [report.pk]),
        ("admin:confidential_reportnote_changelist", []),
        ("admin:confidential_reportaddition_changelist", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code in (403, 404), name
    assert client.get(reverse("admin:app_list", args=["confidential"])).status_code == 404
    attachments = client.get(reverse("admin:engine_attachment_changelist")).content.decode()
    assert "evidence-1.jpg" not in attachments and Attachment.objects.count() == 1
    deliveries = client.get(reverse("admin:engine_delivery_changelist")).content.decode()
    assert report.number not in deliveries


def test_discipline_officer_who_may_open_admin_reads_reports_there_read_only(cast, login):
    report, _code = file_report()
    Membership.objects.create(
        user=cast.discipline_officer, org_unit=cast.units.xxzx, role=Role.SYSTEM_ADMIN
    )
    cast.discipline_officer.is_staff = True
    cast.discipline_officer.save(update_fields=["is_staff"])
    client = login(cast.discipline_officer)
    listing = client.get(reverse("admin:confidential_report_changelist"))
    assert listing.status_code == 200 and report.number in listing.content.decode()
    page = client.get(reverse("admin:confidential_report_change", args=[report.pk]))
    assert page.status_code == 200 and report.code_hash not in page.content.decode()
    assert client.get(reverse("admin:confidential_report_add")).status_code == 403
    assert (
        client.get(reverse("admin:confidential_report_delete", args=[report.pk])).status_code == 403
    )
