from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


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
