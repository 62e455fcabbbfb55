"""Every add, change and delete through the admin leaves an audit row with before/after: walked
for every model registered on the site, through the admin's URLs, as the system administrator."""

import datetime
import json

import pytest
from django import forms
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.forms import MultiWidget
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import reverse
from model_bakery import baker
from viewflow.workflow.models import Process

from accounts.admin_audit import ALWAYS_EXCLUDED, AuditedAdminMixin
from accounts.models import AuditEntry, OrgUnit, Role
from cases.models import MatrixCell
from engine.demo_flow import DemoJobFlow
from engine.notifications import user_kinds

# Rows whose random values would break the model's own rules: the fields to give them.
VALID = {
    "accounts.orgunit": lambda cast: {"kind": OrgUnit.Kind.OFFICE, "code": "audit-test"},
    "accounts.membership": lambda cast: {
        "user": cast.outsider,
        "org_unit": cast.units.rj,
        "role": Role.STUDENT,
    },
    # the seeded table holds most pairs already
    "accounts.grantablerole": lambda cast: {
        "granter_role": Role.EXTERNAL_EXPERT,
        "role": Role.STUDENT,
    },
    "monitoring.period": lambda cast: {
        "kind": "month",
        "code": "2031-01",
        "start": datetime.date(2031, 1, 1),
        "end": datetime.date(2031, 1, 31),
    },
    "engine.deadline": lambda cast: {
        "content_type": ContentType.objects.get_for_model(OrgUnit),
        "object_id": str(cast.units.rj.pk),
    },
    # an upload of an ordinary record: one of a confidential report is hidden from the
    # administrator (the delete page answers "no such record"), which a random one hit at times
    "engine.attachment": lambda cast: {
        "content_type": ContentType.objects.get_for_model(OrgUnit),
        "object_id": str(cast.units.rj.pk),
    },
    "engine.messagetemplate": lambda cast: {"kind": user_kinds()[0].kind},
    "monitoring.indicator": lambda cast: {
        "direction": "higher",
        "min_value": 0,
        "max_value": 100,
        "target_value": 90,
        "yellow_threshold": 80,
        "red_threshold": 60,
    },
    "review.catalogue": lambda cast: {"code": "catalogue-2031"},
    # a subject is a unit or a person, never both
    "monitoring.cycle": lambda cast: {
        "subject": baker.make(
            "monitoring.Subject",
            subject_unit=cast.units.rj,
            subject_user=None,
            responsible_unit=cast.units.rj,
        ),
        "responsible_unit": cast.units.rj,
        "previous": None,
    },
    "monitoring.cycledecision": lambda cast: {"cycle": _valid_cycle(cast)},
    "review.personalreport": lambda cast: {"cycle": _valid_cycle(cast)},
    # the seeded quotas hold the leaders' and supervisors' roles
    "observations.dutyquota": lambda cast: {"count": 4, "role": Role.STUDENT},
    # a random quota would meet a seeded one for the same role and period one run in a few
    "observations.duty": lambda cast: {
        "quota": baker.make("observations.DutyQuota", count=4, role=Role.STUDENT)
    },
    "statedata.profile": lambda cast: {"period_column": "统计年度"},
    "surveys.coursesection": lambda cast: {"course": cast.units.rj_python},
    # Processes and steps are what the processes declare (engine.duties), not free text.
    "engine.dutyrule": lambda cast: _duty_rule_fields(),
    # baker calls what it is given: a flow class would be instantiated
    "viewflow.process": lambda cast: {"flow_class": lambda: DemoJobFlow},
    "viewflow.task": lambda cast: {
        "flow_task": lambda: DemoJobFlow.start,
        "process": baker.make(Process, flow_class=lambda: DemoJobFlow),
    },
    "engine.term": lambda cast: {
        "start": datetime.date(2031, 2, 24),
        "end": datetime.date(2031, 7, 10),
        "teaching_weeks": 18,
    },
}


def _valid_cycle(cast):
    return baker.make("monitoring.Cycle", **VALID["monitoring.cycle"](cast))


def _duty_rule_fields():
    from engine import duties

    key, process = next(iter(duties.PROCESSES.items()))
    steps = list(process.steps)
    return {"process": key, "earlier_step": steps[0], "later_step": steps[-1], "kind": "person"}


# What an add page posts besides the model's fields.
EXTRA_POST = {
    "accounts.orgunit": lambda cast: {
        "treebeard_position": "first-child",
        "treebeard_ref_node": cast.units.college.pk,
    },
    "accounts.user": lambda cast: {
        "password1": "Xq9!long-pass",
        "password2": "Xq9!long-pass",
        "usable_password": "true",
    },
}
TREE_FIELDS = {"treebeard_position", "treebeard_ref_node"}


def _registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def test_every_registered_admin_is_audited():
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedAdminMixin)
    ]
    assert unaudited == []


def _post_value(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, dict | list) and not all(isinstance(v, models.Model) for v in value):
        return json.dumps(value)
    return value


def _form_data(model_admin, request, obj, cast, *, change):
    """What the admin's add or change page would post for `obj`."""
    form_class = model_admin.get_form(request, obj if change else None)
    form = form_class(instance=obj) if change else form_class(initial=model_to_dict(obj))
    data = {} if change else EXTRA_POST.get(obj._meta.label_lower, lambda c: {})(cast)
    for name, field in form.fields.items():
        if name in data:
            continue
        value = form[name].value()
        if name in TREE_FIELDS:
            data[name] = _post_value(value) if value is not None else ""
            continue
        if isinstance(field.widget, MultiWidget):
            for i, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{i}"] = "" if part is None else _post_value(part)
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple) and not isinstance(value, str):
            data[name] = [_post_value(v) for v in value]
        elif value is not None:
            data[name] = _post_value(value)
    for formset, _inline in model_admin.get_formsets_with_inlines(request, obj if change else None):
        prefix = formset.get_default_prefix()
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return data


def _edit(model_admin, request, obj, data):
    """Change one editable text, number or boolean field of the posted data."""
    form = model_admin.get_form(request, obj)(instance=obj)
    for name, field in form.fields.items():
        if name in TREE_FIELDS | ALWAYS_EXCLUDED or (
            name not in data and not isinstance(field, bool)
        ):
            continue
        model_field = next((f for f in type(obj)._meta.fields if f.name == name), None)
        if (
            model_field is None
            or model_field.choices
            or isinstance(field, forms.ChoiceField)  # choices given by the form (duty rules)
            or model_field.unique
            or model_field._validators
            or model_field.default_validators
        ):
            continue
        if isinstance(model_field, models.CharField | models.TextField):
            data[name] = (str(data.get(name, "")) + "改")[-(model_field.max_length or 100) :]
            return name
        if isinstance(model_field, models.PositiveIntegerField | models.IntegerField):
            data[name] = int(data.get(name) or 0) + 1
            return name
        if isinstance(model_field, models.BooleanField):
            if data.get(name):
                data.pop(name)
            else:
                data[name] = "on"
            return name
    return None


@pytest.mark.parametrize(
    "label",
    [model._meta.label_lower for model, _a in _registered()],
)
def test_admin_add_change_delete_leave_audit_rows(label, cast, client):
    model, model_admin = next(
        (m, a) for m, a in admin.site._registry.items() if m._meta.label_lower == label
    )
    client.force_login(cast.sysadmin)
    request = RequestFactory().get("/")
    request.user = cast.sysadmin
    name = model._meta.model_name
    info = (model._meta.app_label, name)
    fixed = VALID.get(label, lambda c: {})(cast)
    did_something = False

    if model_admin.has_add_permission(request):
        obj = baker.prepare(model, _save_related=True, _fill_optional=False, **fixed)
        data = _form_data(model_admin, request, obj, cast, change=False)
        response = client.post(reverse("admin:{}_{}_add".format(*info)), data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        entry = AuditEntry.objects.filter(
            action__endswith=".create", content_type__model=name
        ).get()
        assert entry.actor == cast.sysadmin and entry.after and entry.before is None
        obj = model._default_manager.get(pk=entry.object_id)
        did_something = True
    else:
        obj = baker.make(model, **fixed)
    made = AuditEntry.objects.count()

    if model_admin.has_change_permission(request, obj):
        data = _form_data(model_admin, request, obj, cast, change=True)
        changed = _edit(model_admin, request, obj, data)
        if changed is not None:
            response = client.post(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]), data)
            assert response.status_code == 302, response.context["adminform"].form.errors
            entry = AuditEntry.objects.filter(
                action__endswith=".change", content_type__model=name, object_id=str(obj.pk)
            ).get()
            assert entry.before[changed] != entry.after[changed]
            did_something = True

    if model_admin.has_delete_permission(request, obj):
        response = client.post(
            reverse("admin:{}_{}_delete".format(*info), args=[obj.pk]), {"post": "yes"}
        )
        assert response.status_code == 302
        assert not model._default_manager.filter(pk=obj.pk).exists()
        entry = AuditEntry.objects.filter(
            action__endswith=".delete", content_type__model=name, object_id=str(obj.pk)
        ).get()
        assert entry.before and entry.after is None
        did_something = True

    if not did_something:
        assert AuditEntry.objects.count() == made


def test_matrix_cell_list_edit_is_audited(cast, client):
    """The observed case: an approver changed in the matrix's list page."""
    cell = baker.make(MatrixCell, approver="quality_office")
    other = next(
        v for v, _l in MatrixCell._meta.get_field("approver").choices if v != cell.approver
    )
    client.force_login(cast.sysadmin)
    model_admin = admin.site._registry[MatrixCell]
    data = {
        "form-TOTAL_FORMS": 1,
        "form-INITIAL_FORMS": 1,
        "form-0-id": cell.pk,
        "_save": "Save",
    }
    for field in model_admin.list_editable:
        value = getattr(cell, field)
        if isinstance(value, bool):
            if value:
                data[f"form-0-{field}"] = "on"
        else:
            data[f"form-0-{field}"] = value
    data["form-0-approver"] = other
    response = client.post(reverse("admin:cases_matrixcell_changelist"), data)
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="matrixcell.change")
    assert entry.before["approver"] == "quality_office" and entry.after["approver"] == other


def test_user_admin_keeps_the_password_hash_out_of_the_trail(cast, client):
    client.force_login(cast.sysadmin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newbie",
            "password1": "Xq9!long-pass",
            "password2": "Xq9!long-pass",
            "usable_password": "true",
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["errors"]
    entry = AuditEntry.objects.get(action="user.create")
    assert "password" not in entry.after


def test_admin_adds_a_child_unit_and_checks_its_parent(cast, client):
    """The observed defect: every child unit added in the admin was refused as parentless."""
    client.force_login(cast.sysadmin)
    post = {
        "name": "人工智能技术",
        "code": "ai",
        "kind": OrgUnit.Kind.MAJOR,
        "is_active": "on",
        "treebeard_position": "first-child",
        "treebeard_ref_node": cast.units.xx.pk,
    }
    response = client.post(reverse("admin:accounts_orgunit_add"), post)
    assert response.status_code == 302, response.context["adminform"].form.errors
    unit = OrgUnit.objects.get(code="ai")
    assert OrgUnit.objects.get_parent(unit) == cast.units.xx
    assert AuditEntry.objects.get(action="orgunit.create").after["code"] == "ai"

    wrong = {**post, "code": "ai2", "treebeard_ref_node": cast.units.jwc.pk}
    response = client.post(reverse("admin:accounts_orgunit_add"), wrong)
    assert response.status_code == 200
    assert "kind" in response.context["adminform"].form.errors
    assert not OrgUnit.objects.filter(code="ai2").exists()


def test_admin_tree_drag_and_drop_follows_the_rules_and_is_audited(cast, client):
    client.force_login(cast.sysadmin)
    url = reverse("admin:accounts_orgunit_changelist") + "move/"
    refused = client.post(
        url, {"node": cast.units.rj.pk, "target": cast.units.jwc.pk, "relation": "child"}
    )
    assert refused.status_code == 400
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(code="rj")) == cast.units.xx
    moved = client.post(
        url, {"node": cast.units.rj.pk, "target": cast.units.jd.pk, "relation": "child"}
    )
    assert moved.status_code == 200
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(code="rj")) == cast.units.jd
    entry = AuditEntry.objects.get(action="orgunit.move")
    assert entry.before["parent"] == cast.units.xx.pk and entry.after["parent"] == cast.units.jd.pk


def test_admin_password_change_is_audited(cast, client):
    client.force_login(cast.sysadmin)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[cast.teacher.pk]),
        {"password1": "Xq9!long-pass", "password2": "Xq9!long-pass", "usable_password": "true"},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="user.password_set")
    assert entry.object_id == str(cast.teacher.pk) and entry.before is None and entry.after is None
