"""What an anonymous complaint needs beyond the case (its tracking code's hash, the additions of
the code holder) and the discipline office's supervision requests (督办) on complaints."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit
from cases.models import Case


class Ticket(models.Model):
    """The keyed hash of an anonymous complaint's tracking code: nothing else about its author
    exists anywhere (the case has no reporter, no address, no browser)."""

    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="ticket", verbose_name=_("case")
    )
    code_hash = models.CharField(_("tracking code fingerprint"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("complaint tracking code")
        verbose_name_plural = _("complaint tracking codes")

    def __str__(self):
        return self.case.number

    @property
    def access_unit(self):
        return self.case.accepting_unit


class Addition(models.Model):
    """Information the holder of the code added later (files go on the case, cleaned)."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="additions", verbose_name=_("case")
    )
    text = models.TextField(_("information added"), max_length=8000, blank=True)
    files = models.PositiveSmallIntegerField(_("files added"), default=0)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("added information")
        verbose_name_plural = _("added information")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.case.number} · {timezone.localtime(self.created_at):%Y-%m-%d}"

    @property
    def access_unit(self):
        return self.case.accepting_unit


class Supervision(models.Model):
    """督办: the discipline office asks the accepting body's leader to act on a stalled or badly
    handled complaint, by a deadline, and to answer in writing."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the answer")
        ANSWERED = "answered", _("Answered")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="supervisions", verbose_name=_("case")
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("accepting body")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
    request = models.TextField(_("what must be done"), max_length=4000)
    due_at = models.DateTimeField(_("answer by"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    answer = models.TextField(_("answer"), max_length=4000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("supervision request")
        verbose_name_plural = _("supervision requests")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"督办 {self.case.number}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("complaints:supervision", args=[self.pk])

    @property
    def access_unit(self):
        return self.unit

    @property
    def is_open(self):
        return self.status == self.Status.OPEN
