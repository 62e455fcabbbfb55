import datetime
from decimal import Decimal

import factory

from workflows.levels import Level
from workflows.monitoring.models import Direction, Indicator, Period, PeriodKind


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Period
        django_get_or_create = ("code",)

    code = "2026"
    name = "2026学年"
    kind = PeriodKind.YEAR
    start = datetime.date(2026, 9, 1)
    end = datetime.date(2027, 8, 31)
    is_open = True


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"I{n:03d}")
    name = "就业率"
    level = Level.MAJOR
    unit_of_measure = "%"
    direction = Direction.HIGHER
    period_kind = PeriodKind.YEAR
    min_value = Decimal(0)
    max_value = Decimal(100)
    target_value = Decimal(95)
    yellow_threshold = Decimal(90)
    red_threshold = Decimal(85)


def open_improvement(cast, mon, warning, **overrides):
    """An improvement of 软件技术 answering `warning`, opened by its team leader (the usual
    one: its owner, text and a deadline two months ahead, unless `overrides` say otherwise)."""
    from django.utils import timezone

    from workflows.monitoring import services

    fields = {
        "actor": cast.software_lead,
        "subject": mon.rj,
        "period": mon.y2026,
        "title": "提高就业率",
        "cause_analysis": "校企合作岗位不足",
        "measures": "新增三家合作企业",
        "owner": cast.software_lead,
        "deadline": timezone.localdate() + datetime.timedelta(days=60),
        "warning": warning,
    }
    return services.improvement_open(**{**fields, **overrides})
