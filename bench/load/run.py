"""The semester-end load, held against the README's production start.

    make load                                   # installs locust in .venv-load, then runs this
    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/load/run.py \
        --users 4,8,16,32,64 --seconds 60 --profile 32

What it does, on the database DATABASE_URL names (it migrates and seeds the demo into it, so give
it one of its own):
1. `migrate`, the demo seed (`make seed`'s commands), `collectstatic` into a temporary directory;
2. starts gunicorn (`config.wsgi`, `--workers`, DEBUG=0), one Celery worker on every queue and
   Celery beat, as the README's production section does;
3. for each number of users in `--users`: locust (bench/load/locustfile.py, the roles in their
   proportions, the trivial view among them) for `--seconds`, headless; prints p50/p95/p99 per
   page, failures, and each page's p95 as a multiple of the trivial view's p95 in the same step;
4. with `--profile N`: the semester-end shape (ramp to N, hold, spike to 2N, settle) once;
5. draws users → p95 (home, case list, inbox, trivial) into `--picture` (README's picture).

The load average before and after each step is printed: on a shared machine, read the ratios,
not the milliseconds."""

import argparse
import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from _setup import free_port, production_env, wait_http  # noqa: E402 - the benchmarks' shared helpers

PY = Path(sys.executable)
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
CURVE_PAGES = ["home", "case list", "inbox", "trivial /accounts/me/"]
SEED = [
    ["migrate", "--noinput"],
    ["seed_demo"],
    ["review_load_catalogues"],
    ["seed_indicators"],
    ["surveys_load_questionnaires"],
    ["seed_plans"],
    ["seed_activity"],
    ["steps_backfill"],
]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def manage(env, *args):
    command = [PY, "manage.py", *args]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603


def start(args, env, log: Path):
    return subprocess.Popen(  # noqa: S603 - our own programs
        args, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def stop(processes):
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def read_stats(prefix: Path) -> dict[str, dict]:
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["Name"] == "Aggregated":
                continue
            rows[row["Name"]] = {
                "n": int(row["Request Count"]),
                "fail": int(row["Failure Count"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
                "rps": float(row["Requests/s"] or 0),
            }
    return rows


def print_table(title: str, stats: dict[str, dict]) -> None:
    floor = stats.get("trivial /accounts/me/", {}).get("p95") or None
    print(f"\n{title}")
    heads = ("n", "fail", "p50", "p95", "p99", "req/s")
    print(f"{'page':32} " + " ".join(f"{h:>7}" for h in heads) + f" {'p95/trivial':>11}")
    for name, s in sorted(stats.items()):
        ratio = f"{s['p95'] / floor:.2f}×" if floor else "—"
        print(
            f"{name:32} {s['n']:>7} {s['fail']:>7} {s['p50']:>7.0f} {s['p95']:>7.0f} "
            f"{s['p99']:>7.0f} {s['rps']:>7.1f} {ratio:>11}"
        )


def run_locust(locust: str, host: str, out: Path, env, *, users=None, seconds=60, shape=False):
    args = [locust, "-f", str(LOCUSTFILE), "--headless", "--host", host, "--csv", str(out)]
    args += ["--only-summary", "--loglevel", "WARNING"]
    run_env = dict(env)
    if shape:
        run_env.update(LOAD_SHAPE="semester-end", LOAD_USERS=str(users), LOAD_SECONDS=str(seconds))
    else:
        # everyone signs in while spawning (PBKDF2, ~0.5 s of CPU each); the step's figures are
        # of the steady state after that
        args += ["-u", str(users), "-r", str(max(1, users // 4)), "--run-time", f"{seconds}s"]
        args += ["--reset-stats"]
    done = subprocess.run(args, cwd=ROOT, env=run_env, capture_output=True, text=True)  # noqa: S603
    if not Path(f"{out}_stats.csv").exists():
        raise SystemExit(f"locust wrote no statistics:\n{done.stderr[-3000:]}")
    return read_stats(out)


def draw(curve: dict[int, dict], picture: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    users = sorted(curve)
    for page in CURVE_PAGES:
        points = [(u, curve[u][page]["p95"]) for u in users if page in curve[u]]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", label=page)
    ax.set_xlabel("concurrent users (locust, roles in proportion)")
    ax.set_ylabel("p95 response time (ms)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(users, [str(u) for u in users])
    ax.grid(True, alpha=0.3)
    ax.legend()
    ax.set_title("Semester-end load: gunicorn 2 workers, PostgreSQL, Redis, Celery")
    fig.tight_layout()
    picture.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(picture)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", default="4,8,16,32,64")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--profile", type=int, default=0, help="semester-end shape to N users")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--picture", default=str(ROOT / "bench/load/curve.png"))
    parser.add_argument(
        "--locust", default=os.environ.get("LOCUST") or str(ROOT / ".venv-load/bin/locust")
    )
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database of its own (it is seeded).")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("Set REDIS_URL: sessions, cache and Celery live there in production.")
    if not Path(options.locust).exists() and not shutil.which(options.locust):
        raise SystemExit(f"No locust at {options.locust}: run `make load` (it installs it).")

    work = Path(tempfile.mkdtemp(prefix="zg-load-"))
    env = dict(os.environ, **production_env(work))
    if not options.no_seed:
        print("seeding the demo …", flush=True)
        for command in SEED:
            manage(env, *command)
    manage(env, "collectstatic", "--noinput")
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    env["SITE_URL"] = host
    bin_dir = PY.parent
    processes = [
        start(
            [
                bin_dir / "gunicorn",
                "config.wsgi",
                "-w",
                str(options.workers),
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "30",
            ],
            env,
            work / "gunicorn.log",
        ),
        start(
            [bin_dir / "celery", "-A", "config", "worker", "-c", "1", "-l", "warning"],
            env,
            work / "worker.log",
        ),
        start(
            [bin_dir / "celery", "-A", "config", "beat", "-l", "warning", "-s", str(work / "beat")],
            env,
            work / "beat.log",
        ),
    ]
    try:
        wait_http(f"{host}/healthz")
        print(f"site {host} (gunicorn -w {options.workers}), logs in {work}")
        curve = {}
        for users in [int(u) for u in options.users.split(",")]:
            before = load_average()
            stats = run_locust(
                options.locust, host, work / f"u{users}", env, users=users, seconds=options.seconds
            )
            print_table(
                f"{users} users, {options.seconds}s · load {before} → {load_average()}", stats
            )
            curve[users] = stats
        if options.profile:
            before = load_average()
            stats = run_locust(
                options.locust,
                host,
                work / "profile",
                env,
                users=options.profile,
                seconds=max(options.seconds * 3, 120),
                shape=True,
            )
            print_table(
                f"semester-end profile to {options.profile} users (spike ×2) · "
                f"load {before} → {load_average()}",
                stats,
            )
        if len(curve) > 1:
            draw(curve, Path(options.picture))
            print(f"\ncurve → {options.picture}")
    finally:
        stop(processes)


if __name__ == "__main__":
    main()
