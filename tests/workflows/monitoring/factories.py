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
