"""Celery queues by kind: a long document job never delays a notification. Every task goes to a
declared queue of its kind here; tests/config/test_two_nodes.py holds a 60-second document job
and delivers notifications within seconds meanwhile (it shares that minute with the two-node
checks)."""

from django.conf import settings

from config.celery import app


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_every_task_goes_to_a_declared_queue_of_its_kind():
    app.loader.import_default_modules()
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert declared == {"notifications", "documents", "imports", "evaluation", "default"}
    # each queue has its own binding: a message sent to one is not copied into the others
    bindings = {(q.exchange.name, q.routing_key) for q in app.amqp.queues.values()}
    assert len(bindings) == len(app.amqp.queues)
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert ours
    assert {queue_of(name) for name in ours} <= declared
    assert queue_of("engine.deliver_pending") == "notifications"
    assert queue_of("engine.send_outside") == "notifications"
    assert queue_of("workflows.review.tasks.build_document") == "documents"
    assert queue_of("plans.run_export") == "documents"
    assert queue_of("engine.run_import") == "imports"
    assert queue_of("workflows.monitoring.tasks.evaluate_period") == "evaluation"
    assert queue_of("engine.sweep_jobs") == "default"
    # a route naming a task that does not exist would silently route nothing
    assert set(settings.CELERY_TASK_ROUTES) <= set(app.tasks)
