from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from engine.filters import PageFilter


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label=_("Roster workbook (.xlsx)"),
        help_text=_("Columns: 工号/学号, 姓名, 单位, 角色; optional 邮箱, 手机, 初始密码."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than the upload limit."))
        return upload


class UnitChoiceField(forms.ModelChoiceField):
    """Units with their kind (the unit picker indents them in tree order)."""

    def label_from_instance(self, unit):
        return f"{unit.name}（{unit.get_kind_display()}）"


class PersonLabel:
    """People by name with the units they hold roles in (two 王伟 are told apart, and the person
    picker finds them by unit too). The queryset brings the units along: `with_units`."""

    def label_from_instance(self, obj):
        units = sorted({m.org_unit.name for m in obj.memberships.all()})
        return f"{obj}（{'、'.join(units)}）" if units else str(obj)


class PersonChoiceField(PersonLabel, forms.ModelChoiceField):
    pass


def with_units(people):
    """`people` with their active units fetched for PersonLabel (two queries, any length)."""
    from django.db.models import Prefetch

    from .models import Membership

    return people.prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(org_unit__is_active=True).select_related("org_unit"),
        )
    )


def _open_units():
    from .models import OrgUnit

    return OrgUnit.objects.filter(is_active=True).order_by("path")


class UnitCreateForm(forms.Form):
    parent = UnitChoiceField(queryset=None, label=_("Parent unit"))
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits, dots, dashes or underscores; unique in the college."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=())

    def __init__(self, *args, **kwargs):
        from .models import OrgUnit

        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = _open_units()
        self.fields["kind"].choices = [
            (value, label)
            for value, label in OrgUnit.Kind.choices
            if OrgUnit.ALLOWED_PARENTS[value]
        ]


class UnitRenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)


class UnitMoveForm(forms.Form):
    parent = UnitChoiceField(queryset=None, label=_("New parent unit"))

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = _open_units().exclude(path__startswith=unit.path)


class UnitCloseForm(forms.Form):
    hand_over_to = UnitChoiceField(
        queryset=None,
        required=False,
        label=_("Hand open work over to"),
        help_text=_("Memberships and open deadlines move to this unit."),
    )
    confirm = forms.BooleanField(label=_("Close this unit and all its sub-units"))

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hand_over_to"].queryset = _open_units().exclude(path__startswith=unit.path)


class MembershipAddForm(forms.Form):
    user = forms.CharField(
        label=pgettext_lazy("membership", "Person"),
        max_length=150,
        help_text=_("Staff or student number, or user name."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=())

    def __init__(self, *args, roles, **kwargs):
        from .models import Role

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(v, label) for v, label in Role.choices if v in roles]

    def clean_user(self):
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        ref = self.cleaned_data["user"].strip()
        found = list(
            get_user_model().objects.filter(Q(username=ref) | Q(staff_no=ref)).distinct()[:2]
        )
        if not found:
            raise forms.ValidationError(_("No person has this number or user name."))
        if len(found) > 1:
            raise forms.ValidationError(_("Several people match; use the user name."))
        return found[0]


class UserFilter(PageFilter):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)


class AuditFilter(PageFilter):
    action = forms.CharField(label=_("Action starts with"), max_length=100, required=False)


class PasswordLoginForm(AuthenticationForm):
    """The local password login. Once SSO is on, LOCAL_LOGIN=admins keeps it for the
    administrators only; everyone else is sent to the unified identity service."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "sso_only": _("Please log in through the unified identity service (统一身份认证)."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        from accounts.sso import may_use_password

        if not may_use_password(user):
            raise forms.ValidationError(self.error_messages["sso_only"], code="sso_only")


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=60,
        help_text=_("What the script that uses it does, e.g. 教务系统成绩同步."),
    )
