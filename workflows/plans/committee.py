"""How the committee decides a round (an item's approval, a change request).

The vote opens when the subject reaches the committee (`committee_open`): the round's
`CommitteeDecision` row records who may vote — the committee's members at that moment, less
anyone a separation-of-duties rule keeps out (the proposer of a change request) — and how many
approving votes decide (`CommitteeRule`: by default a majority of those members, the college's
default; a fixed number and the chair's sign-off are settings). Every member entitled to vote is
told and finds the task in their inbox until they have voted.

Each member votes once; until the round is decided they may change their vote (the row keeps
the earlier votes, and the audit trail each change). The round is decided as soon as the
outcome is certain: approved when the approving votes reach the threshold (and the chair
approved, if the rule asks); rejected when they can no longer reach it (a rejecting majority, or
a tie once everyone has voted) or the chair, whose sign-off is required, rejects.

A member who leaves the committee mid-vote: the electorate and the threshold stay as recorded
at opening, so changing the membership can never move the bar for a vote under way (removing a
dissenter cannot make a majority easier). A vote already cast stays counted — it was cast by a
member; a member who leaves before voting can no longer vote, which counts as not approving. The
round is recounted when someone leaves, so a vote that can no longer pass is decided at once.
Someone who joins mid-vote votes from the next round.

One mechanism for every kind of subject the committee decides: a plan, target or standard
awaiting approval, a change request, and a quality incident's determination of a severe grade
(cases). What differs per kind is declared once with `register_subject` (`SubjectKind`): the
subject's round, how its members are told, the chair's capability, what its separation of
duties keeps out of the electorate, and what the decision does to the subject.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts import access
from accounts.audit import audit_record
from accounts.models import Role
from engine import duties

from .models import ChangeRequest, CommitteeDecision, CommitteeRule, CommitteeVote

PROCESS = "plans.committee"
NOT_IN_ELECTORATE = gettext_noop(
    "You were not a member of the committee when this vote opened; you vote from the next round."
)
COMMITTEE_ROLES = (Role.COMMITTEE_CHAIR, Role.COMMITTEE_MEMBER)


@dataclass(frozen=True)
class SubjectKind:
    """What one kind of subject declares to the committee's vote.

    - `round_of(subject)`: the subject's current round (a counter on the subject, raised each
      time it goes to the committee);
    - `notify(subject, round_key, recipients)`: tell the members entitled to vote, at opening;
    - `chair_capability`: the capability whose holder votes as the chair;
    - `audit_prefix`: the audit rows are `<prefix>.committee.open`, `<prefix>.vote`,
      `<prefix>.vote.change`;
    - `keep_out(subject)`: ids the subject's own separation of duties keeps out of the
      electorate (the people recused from a case), beside the committee process's rules;
    - `refusal(actor, subject)`: the rule that keeps `actor` out (said when they try to vote);
    - `settle(actor, subject, decision, comment)`: the round was decided (`decision.approved`):
      move the subject, in the caller's transaction; the subject row is locked;
    - `lock(subject)`: the subject, its row locked (a recount locks before deciding)."""

    model: type
    round_of: Callable[[object], int]
    notify: Callable[..., None]
    chair_capability: str
    audit_prefix: str
    settle: Callable[..., None]
    lock: Callable[[object], object]
    keep_out: Callable[[object], Iterable[int]] = lambda subject: ()
    refusal: Callable[[object, object], object] | None = None


KINDS: dict[type, SubjectKind] = {}


def register_subject(kind: SubjectKind) -> None:
    """Declare a kind of subject the committee decides (from its app's ready())."""
    KINDS[kind.model] = kind


def kind_of(subject) -> SubjectKind:
    model = subject if isinstance(subject, type) else type(subject)
    for klass in model.__mro__:
        if klass in KINDS:
            return KINDS[klass]
    raise LookupError(f"{model.__name__} is not a committee subject (register_subject)")


def _people(subject, step: str):
    if step == "propose" and isinstance(subject, ChangeRequest) and subject.requested_by_id:
        return {subject.requested_by_id}
    if step == "vote":
        ct = ContentType.objects.get_for_model(subject)
        return set(
            CommitteeVote.objects.filter(content_type=ct, object_id=subject.pk).values_list(
                "voter_id", flat=True
            )
        )
    return set()


def register():
    duties.register(
        duties.Process(
            key=PROCESS,
            label=gettext_lazy("Committee decision"),
            steps={
                "propose": gettext_lazy("Proposed the change"),
                "vote": gettext_lazy("Vote in the committee"),
            },
            people=_people,
        )
    )


def members():
    """The committee's current members (chair included), as a queryset."""
    return (
        get_user_model()
        .objects.filter(memberships__role__in=COMMITTEE_ROLES, is_active=True)
        .distinct()
        .order_by("username")
    )


def chairs() -> set[int]:
    return set(
        get_user_model()
        .objects.filter(memberships__role=Role.COMMITTEE_CHAIR, is_active=True)
        .values_list("pk", flat=True)
    )


def _key(subject):
    return {
        "content_type": ContentType.objects.get_for_model(subject),
        "object_id": subject.pk,
        "round": kind_of(subject).round_of(subject),
    }


def current_decision(subject) -> CommitteeDecision | None:
    """The subject's current round, if it was opened (None before the first vote or opening)."""
    return CommitteeDecision.objects.filter(**_key(subject)).first()


def _refusal(actor, subject):
    """What keeps `actor` out of the subject's vote: a rule of the committee process, else the
    subject kind's own separation of duties."""
    rule = duties.refusal(process_key=PROCESS, step="vote", actor=actor, obj=subject)
    kind = kind_of(subject)
    if rule is None and kind.refusal is not None:
        rule = kind.refusal(actor, subject)
    return rule


def committee_open(subject) -> CommitteeDecision:
    """Open the subject's current round (idempotent; in the caller's transaction): record the
    electorate and the threshold, and tell every member entitled to vote."""
    kind = kind_of(subject)
    found = CommitteeDecision.objects.select_for_update().filter(**_key(subject)).first()
    if found is not None:
        return found
    everyone = list(members())
    allowed = duties.allowed_people(members(), process_key=PROCESS, step="vote", obj=subject)
    kept_out = set(kind.keep_out(subject))
    electorate = [u.pk for u in allowed if u.pk not in kept_out]
    rule = CommitteeRule.current()
    decision = CommitteeDecision.objects.create(
        **_key(subject),
        opened_at=timezone.now(),
        electorate=electorate,
        electorate_size=len(electorate),
        threshold=rule.threshold_for(len(electorate)),
        require_chair=rule.require_chair,
        excluded=[u.pk for u in everyone if u.pk not in electorate],
    )
    audit_record(
        actor=None,
        action=f"{kind.audit_prefix}.committee.open",
        obj=subject,
        after={
            "round": decision.round,
            "electorate": electorate,
            "threshold": decision.threshold,
            "require_chair": decision.require_chair,
            "excluded": decision.excluded,
        },
    )
    kind.notify(
        subject,
        round_key=str(decision.round),
        recipients=[u for u in everyone if u.pk in electorate],
    )
    return decision


def votes_of(decision: CommitteeDecision):
    return CommitteeVote.objects.filter(
        content_type_id=decision.content_type_id,
        object_id=decision.object_id,
        round=decision.round,
    ).select_related("voter")


def outcome(decision: CommitteeDecision) -> bool | None:
    """True (approved), False (rejected) or None (still open) on the votes cast so far."""
    electorate = set(decision.electorate)
    cast = {v.voter_id: v for v in votes_of(decision) if v.voter_id in electorate}
    approvals = sum(1 for v in cast.values() if v.approve)
    chair_ids = chairs() | {v.voter_id for v in cast.values() if v.as_chair}
    chair_yes = any(v.approve and v.voter_id in chair_ids for v in cast.values())
    chair_no = any(not v.approve and v.voter_id in chair_ids for v in cast.values())
    current = set(members().values_list("pk", flat=True))
    still_to_vote = len([pk for pk in electorate - set(cast) if pk in current])
    if approvals >= decision.threshold and (chair_yes or not decision.require_chair):
        return True
    if approvals + still_to_vote < decision.threshold:
        return False
    if decision.require_chair and chair_no:
        return False
    if decision.require_chair and not (chair_ids & (set(cast) | current) & electorate):
        return False  # no chair left who could sign off
    return None


def record_vote(*, actor, subject, approve: bool, comment: str) -> CommitteeDecision:
    """Record (or change) `actor`'s vote on the subject's open round; the subject row is locked
    by the caller. Returns the round."""
    kind = kind_of(subject)
    decision = committee_open(subject)
    if decision.approved is not None:
        raise ValidationError({"vote": _("The committee has already decided this round.")})
    if actor.pk not in decision.electorate:
        rule = _refusal(actor, subject)
        if rule is not None:
            raise duties.DutyRefused(rule)
        raise PermissionDenied(_(NOT_IN_ELECTORATE))
    as_chair = access.can(actor, kind.chair_capability)
    vote = votes_of(decision).select_for_update().filter(voter=actor).first()
    now = timezone.now()
    if vote is None:
        CommitteeVote.objects.create(
            content_type_id=decision.content_type_id,
            object_id=decision.object_id,
            round=decision.round,
            voter=actor,
            approve=approve,
            as_chair=as_chair,
            comment=comment,
        )
        audit_record(
            actor=actor,
            action=f"{kind.audit_prefix}.vote",
            obj=subject,
            after={"approve": approve, "comment": comment, "round": decision.round},
        )
        return decision
    if vote.approve == approve and vote.comment == comment:
        return decision
    earlier = {
        "approve": vote.approve,
        "comment": vote.comment,
        "at": (vote.updated_at or vote.created_at).isoformat(),
    }
    vote.history = [*vote.history, earlier]
    vote.approve, vote.comment, vote.updated_at, vote.as_chair = approve, comment, now, as_chair
    vote.save(update_fields=["approve", "comment", "updated_at", "as_chair", "history"])
    audit_record(
        actor=actor,
        action=f"{kind.audit_prefix}.vote.change",
        obj=subject,
        before={"approve": earlier["approve"], "comment": earlier["comment"]},
        after={"approve": approve, "comment": comment, "round": decision.round},
    )
    return decision


def close(decision: CommitteeDecision, approved: bool, comment: str) -> None:
    decision.approved = approved
    decision.comment = comment
    decision.decided_at = timezone.now()
    decision.save(update_fields=["approved", "comment", "decided_at"])


def settle(actor, subject, decision: CommitteeDecision, comment: str = "") -> bool:
    """Decide the round when its outcome is certain (after a vote, or a member leaving): close
    it and let the subject's kind move the subject. True when the round was decided now."""
    result = outcome(decision)
    if result is None:
        return False
    close(decision, result, comment)
    kind_of(subject).settle(actor, subject, decision, comment)
    return True


@transaction.atomic
def recount(*, actor=None) -> int:
    """Recount every open round, of every kind of subject (a member left the committee): a
    round that can no longer pass is decided now. Returns how many rounds were decided."""
    decided = 0
    for decision in CommitteeDecision.objects.filter(approved__isnull=True):
        subject = subject_of(decision)
        subject = kind_of(subject).lock(subject)
        decision.refresh_from_db()
        if decision.approved is not None:
            continue
        last = votes_of(decision).order_by("-updated_at", "-created_at").first()
        who = actor or (last.voter if last else None)
        if who is None:
            continue
        if settle(who, subject, decision, _("Decided on recount: a member left the committee.")):
            decided += 1
    return decided


def tally(decision: CommitteeDecision) -> dict:
    """What a subject's page says of its round: approving and rejecting votes so far, the
    approvals needed, and who is still awaited (members entitled to vote who have not)."""
    rows = electorate_rows(decision)
    voting = [r for r in rows if not r["excluded"]]
    return {
        "approvals": sum(1 for r in voting if r["vote"] is not None and r["vote"].approve),
        "rejections": sum(1 for r in voting if r["vote"] is not None and not r["vote"].approve),
        "threshold": decision.threshold,
        "awaited": [r["person"] for r in voting if r["vote"] is None and not r["left"]],
    }


def electorate_rows(decision: CommitteeDecision) -> list[dict]:
    """The decision page's table: every member entitled to vote, how and when they voted, and
    whether they are still a member."""
    User = get_user_model()
    cast = {v.voter_id: v for v in votes_of(decision)}
    current = set(members().values_list("pk", flat=True))
    people = User.objects.in_bulk(decision.electorate + decision.excluded)
    rows = []
    for pk in decision.electorate:
        vote = cast.get(pk)
        rows.append(
            {
                "person": people.get(pk),
                "vote": vote,
                "left": pk not in current,
                "excluded": False,
            }
        )
    for pk in decision.excluded:
        rows.append({"person": people.get(pk), "vote": None, "left": False, "excluded": True})
    return rows


def open_subject_ids(user, model) -> list[int]:
    """The subjects of `model` whose open round `user` may still vote in (an inbox pool)."""
    ct = ContentType.objects.get_for_model(model).pk
    return sorted({d.object_id for d in open_rounds_for(user) if d.content_type_id == ct})


def open_rounds_for(user):
    """Open rounds in which `user` may still vote (their inbox), in one query (none for who is
    not on the committee: a member who left can no longer vote)."""
    if not any(m.role in COMMITTEE_ROLES for m in access.memberships(user)):
        return []
    voted = CommitteeVote.objects.filter(
        voter=user,
        content_type_id=OuterRef("content_type_id"),
        object_id=OuterRef("object_id"),
        round=OuterRef("round"),
    )
    rounds = CommitteeDecision.objects.filter(approved__isnull=True).exclude(Exists(voted))
    return [d for d in rounds if user.pk in d.electorate]


def subject_of(decision: CommitteeDecision):
    return decision.content_type.get_object_for_this_type(pk=decision.object_id)


def inbox_task_q(user) -> Q:
    """The open committee tasks of the rounds `user` may still vote in (engine inbox pool):
    every member sees the task until they have voted. One query, however many rounds are open."""
    from viewflow.workflow.status import PROCESS

    from . import flows
    from .models import ApprovalProcess

    field_of = {}
    for name in ApprovalProcess.SUBJECT_FIELDS:
        model = ApprovalProcess._meta.get_field(name).related_model
        field_of[ContentType.objects.get_for_model(model).pk] = name
    subjects: dict[str, list[int]] = {}
    for decision in open_rounds_for(user):
        field = field_of.get(decision.content_type_id)
        if field is not None:
            subjects.setdefault(field, []).append(decision.object_id)
    q = Q(pk__in=[])
    for field, ids in sorted(subjects.items()):
        q |= Q(**{f"process__approvalprocess__{field}_id__in": sorted(ids)})
    return q & Q(
        status__in=flows.OPEN,
        process__status=PROCESS.NEW,
        flow_task__in=[flow_class.committee for flow_class in flows.FLOWS],
    )


def member_left(sender, instance, **kwargs):
    """A committee membership ended: recount the open rounds (post_delete of Membership)."""
    if instance.role not in COMMITTEE_ROLES:
        return
    recount()
