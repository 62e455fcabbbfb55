from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """The five levels (层面) every 诊改 feature is organised by."""

    SCHOOL = "school", _("School")
    MAJOR = "major", _("Major")
    COURSE = "course", _("Course")
    TEACHER = "teacher", _("Teacher")
    STUDENT = "student", _("Student")
