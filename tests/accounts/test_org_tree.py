import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import selectors
from accounts.models import OrgUnit
from tests.factories import unit


def test_tree_shape(college):
    assert college.college.is_root()
    assert [u.name for u in OrgUnit.objects.get_children(college.xx)] == [
        "软件技术",
        "计算机网络技术",
    ]
    assert college.rj_python.department() == college.xx
    assert college.jdyt.department() == college.jd
    assert college.zgb.department() is None
    descendants = set(OrgUnit.objects.get_descendants(college.xx).values_list("code", flat=True))
    assert descendants == {"rj", "rj-c01", "wl"}


def test_subtree_counts_do_not_grow_with_the_tree(college):
    with CaptureQueriesContext(connection) as small:
        selectors.unit_subtree_counts(college.xx)
    for i in range(15):
        major = unit(f"extra{i}", f"新专业{i}", OrgUnit.Kind.MAJOR, college.xx)
        unit(f"extra{i}-c", f"新课程{i}", OrgUnit.Kind.COURSE, major)
    xx = OrgUnit.objects.get(pk=college.xx.pk)
    with CaptureQueriesContext(connection) as large:
        counts = selectors.unit_subtree_counts(xx)
    assert counts["majors"] == 17 and counts["courses"] == 16
    assert len(large) == len(small) == 2


@pytest.mark.parametrize(
    ("kind", "parent_attr"),
    [
        (OrgUnit.Kind.MAJOR, "jwc"),  # a major under a functional office
        (OrgUnit.Kind.COURSE, "zgb"),
        (OrgUnit.Kind.DEPARTMENT, "xx"),
    ],
)
def test_kind_must_fit_its_parent(college, kind, parent_attr):
    orphan = OrgUnit(code="bad", name="不合适", kind=kind)
    orphan._pending_parent = getattr(college, parent_attr)
    with pytest.raises(ValidationError):
        orphan.full_clean()


def test_a_major_under_a_department_is_valid(college):
    ok = OrgUnit(code="ok", name="合适", kind=OrgUnit.Kind.MAJOR, path="x", depth=3)
    ok._pending_parent = college.xx
    ok.clean()
