"""The form renderer's marks reach every form: required labels, unit and people pickers."""

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.forms.models import ModelChoiceField
from django.forms.renderers import get_default_renderer

from accounts import widgets
from accounts.models import OrgUnit, User
from cases.forms import CaseFileForm, InvestigateForm
from config.forms import BoundField
from tests.factories import unit as make_unit
from workflows.plans.forms import ImportNamesForm, TaskForm

pytestmark = pytest.mark.django_db


def _project_forms():
    """Every form class defined in the project's apps (their forms modules and packages)."""
    found = set()
    for config in apps.get_app_configs():
        if not str(config.path).startswith(str(settings.BASE_DIR)) or ".venv" in str(config.path):
            continue
        for info in pkgutil.walk_packages([str(config.path)], prefix=f"{config.name}."):
            if "migrations" in info.name or "management" in info.name:
                continue
            module = importlib.import_module(info.name)
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                    found.add(cls)
    return found


def test_every_form_renders_through_the_project_bound_field():
    assert get_default_renderer().bound_field_class is BoundField
    form = TaskForm()
    assert all(isinstance(form[name], BoundField) for name in form.fields)


def test_no_unit_or_person_field_opts_out_of_the_pickers():
    """A unit or person field with a widget of its own (radio buttons, a text box) would be a flat
    list again: only a hidden input (the value is fixed) may keep its own."""
    forms_found = _project_forms()
    assert CaseFileForm in forms_found and TaskForm in forms_found
    offenders = []
    for form_class in forms_found:
        for name, field in form_class.base_fields.items():
            if not isinstance(field, ModelChoiceField) or field.queryset is None:
                continue
            if not issubclass(field.queryset.model, OrgUnit | User):
                continue
            if isinstance(field.widget, forms.HiddenInput):
                continue
            if widgets.picker_for(field) is None:
                offenders.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
    assert offenders == []


def test_unit_fields_are_a_tree_with_ancestors_for_the_search(cast):
    html = str(CaseFileForm()["subject_unit"])
    assert 'data-picker="unit"' in html
    assert "\u3000\u3000软件技术" in html  # depth 3: two indents
    assert 'data-trail="信息工程系"' in html
    paths = list(OrgUnit.objects.filter(is_active=True).values_list("name", "path"))
    names_in_order = [name for name, _path in sorted(paths, key=lambda row: row[1])]
    shown = [n for n in names_in_order if f"{n}</option>" in html]
    assert [html.index(f"{n}</option>") for n in shown] == sorted(
        html.index(f"{n}</option>") for n in shown
    )
    multiple = str(CaseFileForm()["other_units"])
    assert 'data-picker="unit"' in multiple and "multiple" in multiple


def test_person_fields_are_searchable_pickers(cast):
    html = str(InvestigateForm()["investigators"])
    assert 'data-picker="person"' in html and "multiple" in html
    assert 'data-picker="person"' in str(TaskForm()["person"])


def test_hand_built_unit_choices_are_pickers_too(cast):
    form = ImportNamesForm(
        unmatched=[{"kind": "unit", "name": "软件教研室", "rows": [3], "lead": 1}]
    )
    assert 'data-picker="unit"' in str(form["n0"])


def test_required_fields_are_marked_optional_ones_not(cast):
    form = CaseFileForm()
    assert 'class="required"' in form["title"].label_tag()
    assert 'class="required"' not in form["other_units"].label_tag()
    assert 'class="required"' in form.as_p().split('for="id_description"')[0].rsplit("<label", 1)[1]


def test_a_picker_posts_like_the_plain_select(cast, login):
    """Without JavaScript the picker is the plain select: the form posts its value as before."""
    form = TaskForm(
        {
            "category": "专业建设",
            "title": "修订人才培养方案",
            "deliverable": "方案",
            "lead_unit": cast.units.rj.pk,
            "assisting_units": [cast.units.jwc.pk, cast.units.xx.pk],
            "person": cast.teacher.pk,
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["lead_unit"] == cast.units.rj
    assert set(form.cleaned_data["assisting_units"]) == {cast.units.jwc, cast.units.xx}


def _select_cases():
    """Selects of every kind of option the site renders: groups, several selected, attributes
    set True or False, text that needs escaping, lazy and safe labels, a unit picker's trails,
    and labels that are not text (Django's templates render those: the fast path declines)."""
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    choices = [
        ("", "---------"),
        (1, "R&D <unit>"),
        ("a\"b'", gettext_lazy("Cases")),
        ("safe", mark_safe("<b>bold</b>")),
        ("Group", [(2, "two"), (3, "three & more")]),
        (4, 4),
    ]
    attrs = {"id": "id_f", "required": True, "disabled": False, "data-x": 'q"<'}
    yield forms.Select(attrs=attrs, choices=choices[:4]), "a\"b'"
    yield forms.Select(attrs=attrs, choices=choices[:5]), 3
    yield forms.SelectMultiple(choices=choices[:5]), [1, 3, "safe"]
    yield forms.Select(choices=choices), 4
    yield forms.NullBooleanSelect(), True
    unit = widgets.UnitPicker(attrs=widgets.picker_attrs("unit"))
    college = make_unit("c", "学院 & <x>", OrgUnit.Kind.COLLEGE)
    child = make_unit("x", "信息系", OrgUnit.Kind.DEPARTMENT, college)
    unit.choices = unit.unit_choices(
        list(ModelChoiceField(OrgUnit.objects.order_by("path")).choices)
    )
    yield unit, child.pk


def test_a_select_renders_as_djangos_templates_render_it():
    """config.forms.Renderer writes a select's markup itself (half the CPU time of its options
    through Django's templates): the same bytes as the templates, or the
    templates themselves when an option is not plain text."""
    from django.forms.renderers import DjangoTemplates

    from config.forms import Renderer, select_html

    fast, django = Renderer(), DjangoTemplates()
    declined = 0
    for widget, value in _select_cases():
        context = widget.get_context("f", value, None)
        declined += select_html(context["widget"]) is None
        assert widget.render("f", value, renderer=fast) == widget.render(
            "f", value, renderer=django
        )
    assert declined == 1, "the select with a number as a label goes through the templates"
