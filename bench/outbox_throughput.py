"""Outbox throughput end to end: notifications per second from the causing commit to the last
outside delivery, against the same number of no-op Celery tasks through the same broker and
worker, in alternating rounds (target ratio >= 0.3).

  baseline: N no-op tasks (`celery.accumulate`, results ignored) published one by one, until the
            worker has drained them.
  outbox:   N causing transactions, each `notify()` + commit (which nudges delivery), until every
            notification is delivered in-app AND sent by e-mail to a local SMTP sink AND to its
            unit's chat robot on a local HTTP sink (2N outside sends, counted by the sinks).
One worker (`--concurrency=1`, every queue) serves both. Uses its own PostgreSQL database
(created and dropped) and Redis db REDIS_URL (default db 5, flushed first).

    python bench/outbox_throughput.py [--n 2000] [--rounds 3]
"""

import argparse
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import _setup

parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int, default=2000)
parser.add_argument("--rounds", type=int, default=3)
args = parser.parse_args()

_setup.setup_database()
_setup.begin(
    f"{args.n} no-op Celery tasks published one by one and drained by the same worker "
    "through the same Redis"
)

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

from accounts.models import OrgUnit, User  # noqa: E402
from config.celery import app  # noqa: E402
from engine import notifications  # noqa: E402
from engine.models import Delivery, Notification  # noqa: E402

notifications.register_kind(
    "bench.notice", label="bench", title="通知 {{ n }}", body="正文 {{ n }}"
)
broker = redis.Redis.from_url(settings.REDIS_URL)
broker.flushdb()
QUEUES = [queue.name for queue in settings.CELERY_TASK_QUEUES]


class Sinks:
    received = {"email": 0, "robot": 0}
    lock = threading.Lock()

    @classmethod
    def count(cls, channel):
        with cls.lock:
            cls.received[channel] += 1

    @classmethod
    def total(cls):
        return cls.received["email"] + cls.received["robot"]


class SMTPSink(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: every message is accepted and counted."""

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 sink")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.reply("250-sink")
                self.reply("250 8BITMIME")
            elif verb == b"DATA":
                self.reply("354 go on")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                Sinks.count("email")
                self.reply("250 queued")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                self.reply("250 ok")


class RobotSink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        Sinks.count("robot")
        body = b'{"errcode": 0, "errmsg": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(server):
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


socketserver.ThreadingTCPServer.allow_reuse_address = True
smtp_port = serve(socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPSink))
robot_port = serve(ThreadingHTTPServer(("127.0.0.1", 0), RobotSink))


def queue_drained() -> bool:
    return not any(broker.llen(q) for q in QUEUES) and broker.hlen("unacked") == 0


def wait(predicate, timeout=600):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.02)
    raise SystemExit("timed out")


unit = OrgUnit.objects.add_root(
    create_kwargs={
        "name": "信息工程系",
        "code": "xx",
        "kind": "department",
        "webhook_url": f"http://127.0.0.1:{robot_port}/robot/send?access_token=bench",
    }
)
users = User.objects.bulk_create(
    [User(username=f"u{i}", full_name=f"用户{i}", email=f"u{i}@example.edu.cn") for i in range(50)]
)

worker = subprocess.Popen(
    [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=prefork",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=WARNING",
    ],
    cwd=_setup.ROOT,
    # BENCH_DB_REUSE_MAX=0 measures Celery's own default (a new connection around every task)
    env={
        **os.environ,
        "PYTHONPATH": str(_setup.ROOT),
        "CELERY_DB_REUSE_MAX": os.environ.get(
            "BENCH_DB_REUSE_MAX", str(settings.CELERY_DB_REUSE_MAX)
        ),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
    },
    stdout=subprocess.DEVNULL,  # its banner; errors go to stderr
    start_new_session=True,
)
noop = app.tasks["celery.accumulate"]
rounds_done = {"path": 0}
commits = []  # seconds the producer spent in its N causing transactions, per round


def run_noop() -> float:
    started = time.perf_counter()
    for i in range(args.n):
        noop.apply_async(args=[i], ignore_result=True)
    wait(queue_drained)  # polls Redis only: polling the database would compete with the worker
    return args.n / (time.perf_counter() - started)


def run_path() -> float:
    rounds_done["path"] += 1
    prefix = f"r{rounds_done['path']}"
    sent_before = Sinks.total()
    started = time.perf_counter()
    for i in range(args.n):
        with transaction.atomic():
            notifications.notify(
                kind="bench.notice",
                recipients=[users[i % len(users)]],
                context={"n": i},
                dedup_key=f"{prefix}:{i}",
                unit=unit,
            )
    commits.append(time.perf_counter() - started)
    wait(lambda: Sinks.total() - sent_before >= 2 * args.n)
    ours = Notification.objects.filter(dedup_key__startswith=f"{prefix}:")
    sent = Delivery.objects.filter(notification__in=ours, status=Delivery.Status.SENT)
    wait(lambda: sent.count() == 2 * args.n)  # the last batch's commit follows its last send
    rate = args.n / (time.perf_counter() - started)
    assert ours.count() == args.n and not ours.filter(delivered_at__isnull=True).exists()
    return rate


try:
    # warm-up: the worker is up and both code paths are loaded (neither side is timed cold)
    noop.apply_async(args=[1], ignore_result=True)
    wait(queue_drained)
    saved_n, args.n = args.n, 20
    run_path()
    args.n = saved_n
    commits.clear()
    results = _setup.alternate({"no-op": run_noop, "outbox": run_path}, args.rounds)
finally:
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(30)

reuse = os.environ.get("BENCH_DB_REUSE_MAX", settings.CELERY_DB_REUSE_MAX)
print(f"worker CELERY_DB_REUSE_MAX={reuse}, one worker, {args.n} per round")
for name, rates in results.items():
    shown = "  ".join(f"{r:6.0f}" for r in rates)
    print(f"{name:<8} per round /s: {shown}   median {_setup.median(rates):6.0f} /s")
ratio = _setup.median(results["outbox"]) / _setup.median(results["no-op"])
print(f"ratio outbox (in-app + e-mail + robot) / no-op: {ratio:.2f}x  (target >= 0.30)")
print("producer's causing transactions per round: " + "  ".join(f"{c:.1f}s" for c in commits))
print(f"sinks received: {Sinks.received['email']} e-mails, {Sinks.received['robot']} robot calls")
