"""viewflow's own Simplified Chinese catalogue leaves its task and process status names
untranslated; naming them here puts them in the project's catalogue, which Django reads first
(LOCALE_PATHS), so pages that show a viewflow status (approval steps, task lists) stay Chinese."""

from django.utils.translation import pgettext_lazy

STATUS_LABELS = (
    pgettext_lazy("STATUS", "Assigned"),
    pgettext_lazy("STATUS", "Canceled"),
    pgettext_lazy("STATUS", "Done"),
    pgettext_lazy("STATUS", "Error"),
    pgettext_lazy("STATUS", "New"),
    pgettext_lazy("STATUS", "Revived"),
    pgettext_lazy("STATUS", "Scheduled"),
    pgettext_lazy("STATUS", "Started"),
)
