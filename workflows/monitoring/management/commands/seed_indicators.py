"""Seed the indicator catalogue (and the evidence gates) from catalogue.py. Safe to re-run."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import OrgUnit
from workflows.levels import Level
from workflows.monitoring.catalogue import INDICATORS, as_decimal, gates_for
from workflows.monitoring.models import Indicator, StageGate


class Command(BaseCommand):
    help = "Create or update the monitored indicators named in seed 001 and the evidence gates."

    def add_arguments(self, parser):
        parser.add_argument(
            "--owner", default="", help="org unit code owning every indicator (default: per row)"
        )

    @transaction.atomic
    def handle(self, *args, owner="", **options):
        root = OrgUnit.objects.get_root_nodes().first()
        if root is None:
            raise CommandError("No org tree yet: create the college first (seed_demo).")
        units = {u.code: u for u in OrgUnit.objects.all()}
        if owner and owner not in units:
            raise CommandError(f"No org unit with code {owner!r}.")
        created = 0
        for (
            code,
            name,
            level,
            uom,
            direction,
            period,
            lo,
            hi,
            target,
            yellow,
            red,
            owner_code,
            formula,
        ) in INDICATORS:
            indicator, was_created = Indicator.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "level": level,
                    "unit_of_measure": uom,
                    "direction": direction,
                    "period_kind": period,
                    "min_value": as_decimal(lo),
                    "max_value": as_decimal(hi),
                    "target_value": as_decimal(target),
                    "yellow_threshold": as_decimal(yellow),
                    "red_threshold": as_decimal(red),
                    "formula": formula,
                    "data_owner_unit": units.get(owner or owner_code, root),
                },
            )
            indicator.full_clean()
            created += was_created
        gates = 0
        for level in Level.values:
            for stage, kind, label, period_kind in gates_for(level):
                _, made = StageGate.objects.get_or_create(
                    level=level,
                    stage=stage,
                    label=label,
                    defaults={"kind": kind, "period_kind": period_kind},
                )
                gates += made
        self.stdout.write(
            f"{len(INDICATORS)} indicators ({created} new), {gates} new evidence gates."
        )
