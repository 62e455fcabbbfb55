"""Separation of duties (职责分离), one mechanism for every process.

The rules are data (`engine.models.DutyRule`, edited in admin, every change audited): "whoever
did step X of a process may not do its step Y" (kind PERSON), or "nobody from the unit that did
step X may do step Y" (kind UNIT). A process registers what its steps are and how to read who did
each one on an object (its history: the FSM log, its notices, its votes); a step named like a
person rather than an act (the case's subject person, a report's author) works the same way.

Three uses:
- `duty_check` in a service: raises `DutyRefused`, a PermissionDenied that names the rule in
  Chinese (the 403 page and the forms show it);
- `refusal` in an access layer: the rule that would refuse (buttons and task pages hide the step);
- `eligible_people` for pickers and for who must act: the people of the first level (the
  accepting body, then its superior, then the quality office) whom no rule excludes, with the
  reason when the step went up a level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Membership

from . import memo


@dataclass
class Process:
    """What a process declares: its steps (key -> label) and who did a step on an object.

    `people(obj, step)` returns the ids of the users who did (or are) `step` on `obj`;
    `units(obj, step)` the org units that did it (for UNIT rules; may be None)."""

    key: str
    label: object
    steps: dict[str, object]
    people: Callable[[object, str], Iterable[int]]
    units: Callable[[object, str], Iterable] | None = None


PROCESSES: dict[str, Process] = {}


def register(process: Process) -> None:
    """Declare a process (from its app's ready())."""
    PROCESSES[process.key] = process


def process_choices():
    return [(p.key, p.label) for p in PROCESSES.values()]


def step_choices():
    seen = {}
    for p in PROCESSES.values():
        for key, label in p.steps.items():
            seen.setdefault(key, f"{p.label} · {label}")
    return sorted(seen.items())


class DutyRefused(PermissionDenied):
    """A separation-of-duties rule refuses the step; `rule` says which."""

    def __init__(self, rule):
        self.rule = rule
        super().__init__(refused_text(rule))


def refused_text(rule) -> str:
    """What a person refused by `rule` reads (the 403 page, a step's duty notes)."""
    # the message ends the sentence: a description written with its own full stop keeps one
    return _("A separation-of-duties rule does not let you do this: %(rule)s.") % {
        "rule": rule.description.rstrip().rstrip("。.")
    }


def _load_rules() -> dict[tuple[str, str], list]:
    from .models import DutyRule

    found: dict[tuple[str, str], list] = {}
    for rule in DutyRule.objects.filter(is_active=True).order_by("pk"):
        found.setdefault((rule.process, rule.later_step), []).append(rule)
    return found


# every step of every process asks for its rules: read from memory, reloaded when one changes
_rules = memo.SharedMemo("duty-rules", _load_rules)


def rules_for(process_key: str, step: str) -> list:
    """The active rules that forbid someone `step` of a process (in the order they were made)."""
    return list(_rules.get().get((process_key, step), ()))


def connect_signals():
    from django.db.models.signals import post_delete, post_save

    from .models import DutyRule

    post_save.connect(_rules.changed, sender=DutyRule, dispatch_uid="duty-rules-memo")
    post_delete.connect(_rules.changed, sender=DutyRule, dispatch_uid="duty-rules-memo")


def _in_unit(user_id: int, units) -> bool:
    """Does the user hold a role in one of `units` or below it? (A department leader who
    oversees a major is not a member of the major's own rectifying team.)"""
    paths = [u.path for u in units if u is not None]
    if not paths:
        return False
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(org_unit__path__startswith=path)
    return Membership.objects.filter(q, user_id=user_id).exists()


def _breaks(rule, process: Process, obj, user_id: int, memo: dict) -> bool:
    key = (rule.kind, rule.earlier_step)
    if rule.kind == rule.Kind.UNIT:
        if process.units is None:
            return False
        if key not in memo:
            memo[key] = list(process.units(obj, rule.earlier_step))
        return _in_unit(user_id, memo[key])
    if key not in memo:
        memo[key] = set(process.people(obj, rule.earlier_step))
    return user_id in memo[key]


def refusal(*, process_key: str, step: str, actor, obj, rules=None, memo=None):
    """The first active rule that forbids `actor` to do `step` on `obj`, or None."""
    process = PROCESSES.get(process_key)
    if process is None or actor is None or getattr(actor, "pk", None) is None:
        return None
    memo = {} if memo is None else memo
    for rule in rules_for(process_key, step) if rules is None else rules:
        if _breaks(rule, process, obj, actor.pk, memo):
            return rule
    return None


def duty_check(*, process_key: str, step: str, actor, obj) -> None:
    """Raise DutyRefused when a rule forbids `actor` to do `step` on `obj` (services call this
    after the access check, on the locked object)."""
    rule = refusal(process_key=process_key, step=step, actor=actor, obj=obj)
    if rule is not None:
        raise DutyRefused(rule)


@dataclass
class Eligible:
    """Who may do a step: `people` of level `level` (0 = the usual body), `unit` the level's
    unit (or label), `excluded` the rules that left the lower levels empty."""

    people: list
    level: int
    unit: object = None
    excluded: list = field(default_factory=list)

    @property
    def escalated(self) -> bool:
        return self.level > 0

    def reason(self) -> str:
        """Why the step went up a level, in Chinese on the page."""
        if not self.escalated:
            return ""
        rules = "；".join(dict.fromkeys(str(r.description) for r in self.excluded))
        if not rules:
            return _("Nobody in the usual body holds this step, so it goes up to %(unit)s.") % {
                "unit": self.unit
            }
        return _(
            "Nobody in the usual body may do this step (%(rules)s), so it goes up to %(unit)s."
        ) % {"rules": rules, "unit": self.unit}


def exclusions(*, process_key: str, step: str, obj) -> list[tuple]:
    """(rule, Q on users) for every active rule on `step`: the people each rule excludes, as a
    condition a user queryset can take (pickers filter on it in the database)."""
    process = PROCESSES.get(process_key)
    if process is None:
        return []
    found = []
    for rule in rules_for(process_key, step):
        if rule.kind == rule.Kind.UNIT:
            units = [u for u in (process.units(obj, rule.earlier_step) if process.units else [])]
            paths = Q(pk__in=[])
            for unit in units:
                if unit is not None:
                    paths |= Q(org_unit__path__startswith=unit.path)
            members = Membership.objects.filter(paths).values("user_id")
            found.append((rule, Q(pk__in=members)))
        else:
            found.append((rule, Q(pk__in=list(process.people(obj, rule.earlier_step)))))
    return found


def allowed_people(users, *, process_key: str, step: str, obj):
    """`users` (a queryset) without everyone a rule excludes from `step` on `obj`."""
    for _rule, q in exclusions(process_key=process_key, step=step, obj=obj):
        users = users.exclude(q)
    return users


def eligible_people(*, process_key: str, step: str, obj, levels) -> Eligible:
    """The people who may do `step` on `obj`: the first level of `levels` — a sequence of
    (unit or label, user queryset) from the usual body upwards — with anyone left after the
    rules. A level whose people are all excluded passes the step up; none left: nobody."""
    parts = exclusions(process_key=process_key, step=step, obj=obj)
    excluded: list = []
    for index, (unit, users) in enumerate(levels):
        kept = users
        for _rule, q in parts:
            kept = kept.exclude(q)
        kept = list(kept)
        if kept:
            return Eligible(people=kept, level=index, unit=unit, excluded=excluded)
        excluded += [rule for rule, q in parts if users.filter(q).exists()]
    return Eligible(people=[], level=len(levels), unit=None, excluded=excluded)


# The college's defaults (DOMAIN.md §6: the seeds are silent on separation of duties), loaded by
# engine's migration 0004; edit them in admin. (process, who did, may not do, kind, as shown)
DEFAULT_RULES = [
    ("case", "rectification_report", "verify", "person", "整改报告的提交人不得验收本人的整改"),
    (
        "case",
        "rectification_report",
        "verify",
        "unit",
        "整改单位的人员不得验收本单位的整改（签发单位即整改单位时，由上一级验收）",
    ),
    ("case", "subject", "findings", "person", "被投诉（涉事）人员不得调查本案"),
    ("case", "file", "findings", "person", "投诉人（报告人）不得调查本案"),
    ("review.report", "author", "approve", "person", "自我诊改报告的撰写人不得审核本人的报告"),
    ("review.report", "approve", "forward", "person", "报告的审核人与报送人不得为同一人"),
    ("plans.committee", "propose", "vote", "person", "变更申请的提出人不得对本申请投票"),
]


def seed_defaults(model=None) -> None:
    """Load the default rules (idempotent; never overwrites an edited rule)."""
    if model is None:
        from .models import DutyRule as model
    for process, earlier, later, kind, description in DEFAULT_RULES:
        model.objects.get_or_create(
            process=process,
            earlier_step=earlier,
            later_step=later,
            kind=kind,
            defaults={"description": description},
        )
