"""A step table cannot name a step like a node every step flow has (start, route, end): the
step would silently replace it and every process of the table would fail to start."""

import pytest


def test_a_step_named_like_a_node_of_every_flow_is_refused():
    from django.db import models

    from engine import steps

    for name in sorted(steps.RESERVED_NAMES):
        with pytest.raises(ValueError, match=name):

            class _Flow(steps.StepFlow):
                table = steps.StepTable(
                    model=models.Model,
                    state_field="status",
                    process_title="x",
                    steps=[steps.Step(state="open", name=name, title="x", who=lambda o: None)],
                )
