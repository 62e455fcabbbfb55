import pytest

from cases import defaults
from cases.models import Category, Grade, MatrixCell, RoutingRule
from engine.deadlines import ensure_rule


@pytest.fixture
def case_catalogue(db):
    """Transactional tests elsewhere flush the data the migrations loaded: put it back.
    (Used by the modules of this folder; the confidential tests below it do not need it.)"""
    defaults.seed(Category, Grade, MatrixCell, RoutingRule)
    for kind, label in [
        ("case.acceptance", "案件受理"),
        ("case.investigation", "事故调查"),
        ("notice.rectification", "整改通知书"),
    ]:
        ensure_rule(kind, label=label)
