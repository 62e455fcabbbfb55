from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .filters import FlagField, PageFilter


class CalendarImportForm(forms.Form):
    file = forms.FileField(
        label=_("Calendar workbook (.xlsx)"),
        help_text=_("Columns: 类型 (学期/节假日/调休), 名称, 开始, 结束; optional 学期, 教学周."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than the upload limit."))
        return upload


class ImportRunFilter(PageFilter):
    kind = forms.ChoiceField(label=_("Kind"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .imports import importers

        self.fields["kind"].choices = [("", "")] + [(i.kind, i.label) for i in importers()]


class NotificationFilter(PageFilter):
    unread = FlagField(label=_("Unread only"))
