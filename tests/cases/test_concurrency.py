"""Concurrency on a real PostgreSQL: row locks decide, exactly one winner, no duplicate numbers."""

import threading
import uuid

import pytest
from django.db import connection
from django_fsm_log.models import StateLog
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import Role
from cases import services
from cases.flows import OPEN, CaseFlow
from cases.models import Case
from cases.models import Status as S
from tests.factories import MembershipFactory, UserFactory

from .factories import file_case

pytestmark = [
    pytest.mark.usefixtures("case_catalogue"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def _run_parallel(n, work):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def runner(i):
        try:
            barrier.wait()
            results.append(work(i))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def _accept(officer, pk):
    case = services.case_accept(actor=officer, case=Case.objects.get(pk=pk))
    case.accepted_by = officer
    return case


def test_twenty_parallel_acceptances_one_wins(cast):
    case = file_case(cast.student, cast.units.jwc)
    officers = [cast.quality_officer]
    for i in range(19):
        officer = UserFactory(username=f"officer{i}")
        MembershipFactory(user=officer, org_unit=cast.units.zgb, role=Role.QUALITY_OFFICER)
        officers.append(officer)

    results, errors = _run_parallel(20, lambda i: _accept(officers[i], case.pk))
    assert len(results) == 1
    assert len(errors) == 19 and all(isinstance(e, services.TransitionNotAllowed) for e in errors)
    assert Case.objects.get(pk=case.pk).status == S.ACCEPTED
    assert StateLog.objects.for_(case).filter(state=S.ACCEPTED).count() == 1
    # the process agrees: one acceptance task done, by the winner, and one classify task open
    tasks = Task.objects.filter(process__caseprocess__case=case, flow_task_type="HUMAN")
    done = tasks.filter(status=STATUS.DONE)
    assert [t.flow_task for t in done] == [CaseFlow.accept]
    assert done.get().owner == results[0].accepted_by
    assert [t.flow_task for t in tasks.filter(status__in=OPEN)] == [CaseFlow.classify]


def test_eight_parallel_filers_get_distinct_numbers(cast):
    token = uuid.uuid4()

    def file(i):
        return services.case_file(
            actor=cast.student,
            kind=Case.Kind.COMPLAINT,
            title=f"投诉{i}",
            description="d",
            subject_unit=cast.units.rj,
            idempotency_key=uuid.uuid4(),
        ).number

    numbers, errors = _run_parallel(8, file)
    assert not errors and len(set(numbers)) == 8

    # the same token submitted eight times at once: one case
    same, errors = _run_parallel(
        8,
        lambda i: (
            services.case_file(
                actor=cast.student,
                kind=Case.Kind.COMPLAINT,
                title="双击",
                description="d",
                subject_unit=cast.units.rj,
                idempotency_key=token,
            ).pk
        ),
    )
    assert not errors and len(set(same)) == 1
    assert Case.objects.filter(idempotency_key=token).count() == 1
