"""The org tree and memberships through /api/v1/."""

from accounts.models import AuditEntry, Membership, OrgUnit, Role


def test_units_created_renamed_moved_and_closed_through_the_api(cast, login):
    client = login(cast.sysadmin)
    created = client.post(
        "/api/v1/units/",
        {"parent_id": cast.units.xx.pk, "name": "大数据技术", "code": "dsj", "kind": "major"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["parent_id"] == cast.units.xx.pk

    bad = client.post(
        "/api/v1/units/",
        {"parent_id": cast.units.jwc.pk, "name": "错位", "code": "cw", "kind": "major"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "parent" in bad.json()["errors"]

    moved = client.patch(
        f"/api/v1/units/{pk}/",
        {"name": "大数据技术与应用", "parent_id": cast.units.jd.pk},
        content_type="application/json",
    )
    assert moved.status_code == 200
    assert (
        moved.json()["name"] == "大数据技术与应用" and moved.json()["parent_id"] == cast.units.jd.pk
    )

    closed = client.post(f"/api/v1/units/{pk}/close/", {}, content_type="application/json")
    assert closed.status_code == 200 and closed.json()["is_active"] is False
    assert [e.action for e in AuditEntry.objects.order_by("id")] == [
        "orgunit.create",
        "orgunit.rename",
        "orgunit.move",
        "orgunit.close",
    ]
    assert (
        login(cast.xx_leader)
        .post(
            "/api/v1/units/",
            {"parent_id": cast.units.xx.pk, "name": "x", "code": "x", "kind": "major"},
            content_type="application/json",
        )
        .status_code
        == 403
    )


def test_memberships_through_the_api(cast, login):
    client = login(cast.xx_leader)
    listed = client.get("/api/v1/memberships/", {"unit": cast.units.rj.pk})
    assert listed.status_code == 200
    assert {r["username"] for r in listed.json()["results"]} >= {"teacher", "student"}
    added = client.post(
        "/api/v1/memberships/",
        {"unit": cast.units.rj.pk, "username": "nobody", "role": Role.STUDENT},
        content_type="application/json",
    )
    assert added.status_code == 201
    refused = client.post(
        "/api/v1/memberships/",
        {"unit": cast.units.rj.pk, "username": "nobody", "role": Role.QUALITY_OFFICER},
        content_type="application/json",
    )
    assert refused.status_code == 403
    gone = client.delete(f"/api/v1/memberships/{added.json()['id']}/")
    assert gone.status_code == 204
    assert not Membership.objects.filter(user=cast.outsider).exists()
    assert client.get("/api/v1/memberships/", {"unit": cast.units.jdyt.pk}).status_code == 404
    assert OrgUnit.objects.filter(code="rj", is_active=True).exists()
