"""Extension points other features fill in.

`on_warning_raised` holds callables `f(warning)` run after a warning is raised and committed.
The cases feature registers one that opens a quality case when the indicator says so
(`Indicator.opens_case`); settings.MONITORING_WARNING_HOOKS may name more by dotted path.

`batch_namers` holds callables `f(codes) -> {code: name}`: a feature that writes readings under a
batch code of its own (a state-data upload, a survey) names its batches for the approvals page,
where the code alone ("statedata:1", "survey-1") tells the approver nothing.
"""

from django.conf import settings
from django.utils.module_loading import import_string

on_warning_raised: list = []


def register_warning_hook(func):
    if func not in on_warning_raised:
        on_warning_raised.append(func)
    return func


def warning_hooks() -> list:
    configured = [import_string(p) for p in getattr(settings, "MONITORING_WARNING_HOOKS", [])]
    return [*on_warning_raised, *configured]


def run_warning_hooks(warnings) -> None:
    hooks = warning_hooks()
    if not hooks:
        return
    for warning in warnings:
        if warning.indicator.opens_case:
            for hook in hooks:
                hook(warning)


batch_namers: list = []


def register_batch_namer(func):
    if func not in batch_namers:
        batch_namers.append(func)
    return func


def batch_names(codes) -> dict[str, str]:
    """Each batch code with the name its feature gives it (the code itself when none does)."""
    codes = list(codes)
    names: dict[str, str] = {}
    for namer in batch_namers:
        names.update(namer([c for c in codes if c not in names]))
    return {code: names.get(code) or code for code in codes}
