"""The HTTP API under load: `certprep api` on a free 127.0.0.1 port, in organization mode (so every request
goes through token authentication), and Locust's clients asking questions, checking an application and
analysing a ~900-word narrative at once. Writes ``results/load.json``: throughput, p50/p95/p99 per endpoint
and overall, errors, and the machine, duration and server workers they were measured with. A benchmark,
never an assertion: it reports what it measures against the targets.

Run: ``python -m evaluation.load [--duration 180] [--users 32] [--workers 1] [--wait 1.0] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from app.config import REPO_ROOT, get_settings
from evaluation import write_result

RESULTS = Path(__file__).parent / "results" / "load.json"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
WEIGHTS = {"ask": 16, "check": 3, "analyze": 1}
TARGETS = {"errors": 0, "ask_p95_ms": 200, "analyze_p95_ms": 2000}
PERCENTILES = {"p50_ms": "50%", "p95_ms": "95%", "p99_ms": "99%"}


def _certprep() -> list[str]:
    script = Path(sys.executable).with_name("certprep")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def _passed_on(variable: str) -> bool:
    return variable.startswith("CERTPREP_API_") or variable == "CERTPREP_ONNX_DIR"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _narrative() -> str:
    """The first ~900-word narrative `make bench` times: two labelled project narratives joined, cut at 900
    words."""
    from evaluation.mapping_data import load_projects

    projects = load_projects()
    return " ".join(" ".join(p.text for p in projects[:2]).split(" ")[:900])


def _payloads(token: str, mix: dict[str, int]) -> dict:
    from evaluation.retrieval import load_questions

    examples = REPO_ROOT / "examples" / "cpo"
    return {
        "token": token,
        "weights": mix,
        "questions": [{"question": q.question, "program": q.program} for q in load_questions()],
        "narrative": _narrative(),
        "application": {
            "application": (examples / "application.yaml").read_text(encoding="utf-8"),
            "files": {"hours.csv": (examples / "hours.csv").read_text(encoding="utf-8")},
        },
    }


def _post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _wait_ready(base: str, server: subprocess.Popen, log: Path, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"certprep api exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/ready", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"certprep api was not ready after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def _cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (uvicorn's workers), user plus system."""
    import psutil

    try:
        root = psutil.Process(pid)
        total = 0.0
        for process in [root, *root.children(recursive=True)]:
            times = process.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return float("nan")


def _machine_busy() -> tuple[float, float]:
    """Seconds of CPU the whole machine spent busy and in total so far (/proc/stat; zeros elsewhere): the load
    generator and anything else running share the cores with the server."""
    try:
        fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / ticks, sum(fields[:8]) / ticks


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _stats(prefix: Path) -> tuple[dict, dict]:
    """Locust's CSV summary: per endpoint and the aggregate."""

    def row(r: dict) -> dict:
        out = {
            "requests": int(r["Request Count"]),
            "failures": int(r["Failure Count"]),
            "rps": round(float(r["Requests/s"]), 2),
            "mean_ms": round(float(r["Average Response Time"]), 1),
            "max_ms": round(float(r["Max Response Time"]), 1),
        }
        for key, column in PERCENTILES.items():
            out[key] = float(r[column]) if r[column] not in ("", "N/A") else None
        return out

    endpoints, overall = {}, {}
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            if r["Name"] == "Aggregated":
                overall = row(r)
            else:
                endpoints[r["Name"]] = row(r)
    return endpoints, overall


def _failures(prefix: Path) -> list[dict]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [{"endpoint": r["Name"], "error": r["Error"], "count": int(r["Occurrences"])} for r in rows]


def run(
    duration: int = 60,
    users: int = 32,
    spawn_rate: float = 32,
    workers: int = 1,
    wait: float = 1.0,
    access_log: bool = True,
    mix: dict[str, int] | None = None,
    out: Path | None = RESULTS,
) -> dict:
    mix = {**WEIGHTS, **(mix or {})}
    with tempfile.TemporaryDirectory(prefix="certprep-load-") as tmp:
        folder = Path(tmp)
        # the user's certprep settings stay out, but the server's knobs (CERTPREP_API_*) and exported graphs
        # from an earlier run (CERTPREP_ONNX_DIR: saves a minute) come in
        env = {k: v for k, v in os.environ.items() if not k.startswith("CERTPREP_") or _passed_on(k)}
        env |= {"CERTPREP_DATA_DIR": str(folder / "data"), "CERTPREP_MODE": "organization"}
        password = secrets.token_urlsafe(18)
        print("building the index and the accounts…", file=sys.stderr)
        subprocess.run([*_certprep(), "ingest"], env=env, check=True, capture_output=True, cwd=REPO_ROOT)
        for username, role in (("load-admin", "admin"), ("load-candidate", "candidate")):
            subprocess.run(
                [*_certprep(), "users", "add", username, "--role", role, "--password-stdin"],
                input=password + "\n",
                text=True,
                env=env,
                check=True,
                capture_output=True,
                cwd=REPO_ROOT,
            )
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = folder / "server.log"
        command = [*_certprep(), "api", "--port", str(port), "--workers", str(workers), "--skip-ingest"]
        with log.open("w") as server_log:
            server = subprocess.Popen(
                [*command, "--access-log" if access_log else "--no-access-log"],
                env=env,
                cwd=REPO_ROOT,
                stdout=server_log,
                stderr=subprocess.STDOUT,
            )
            try:
                print(f"starting {' '.join(command[1:])}…", file=sys.stderr)
                _wait_ready(base, server, log)
                token = _post_json(f"{base}/v1/token", {"username": "load-candidate", "password": password})
                payloads = folder / "payloads.json"
                payloads.write_text(json.dumps(_payloads(token["access_token"], mix)), encoding="utf-8")
                prefix = folder / "locust"
                locust = [
                    sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
                    "--users", str(users), "--spawn-rate", str(spawn_rate), "--run-time", f"{duration}s",
                    "--host", base, "--csv", str(prefix), "--only-summary", "--stop-timeout", "30",
                    "--loglevel", "WARNING",
                ]  # fmt: skip
                print(f"{users} users for {duration} s…", file=sys.stderr)
                cpu_before = _cpu_seconds(server.pid)
                machine_before, children_before = _machine_busy()[0], _children_cpu()
                started = time.monotonic()
                clients = subprocess.Popen(
                    locust,
                    env={**os.environ, "CERTPREP_LOAD_PAYLOADS": str(payloads), "CERTPREP_LOAD_WAIT": str(wait)},
                    cwd=REPO_ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                _, locust_log = clients.communicate(timeout=duration + 300)
                elapsed = time.monotonic() - started
                server_cpu = _cpu_seconds(server.pid) - cpu_before
                machine_cpu = _machine_busy()[0] - machine_before
                locust_cpu = _children_cpu() - children_before
                if not Path(f"{prefix}_stats.csv").exists():
                    raise SystemExit(f"locust wrote no statistics:\n{locust_log[-3000:]}")
                endpoints, overall = _stats(prefix)
                failures = _failures(prefix)
            finally:
                server.terminate()
                server.wait(timeout=60)
    errors = sum(e["failures"] for e in endpoints.values())
    result = {
        "what": "certprep HTTP API under load (python -m evaluation.load): certprep api in organization mode, every "
        "request with a bearer token; Locust clients mixing ask, check (the CPO example application with its hours "
        "log) and analyze (a ~900-word CPT narrative)",
        "duration_s": round(elapsed, 1),
        "users": users,
        "spawn_rate": spawn_rate,
        "think_time_s": {"mean": wait, "uniform": [wait / 2, wait * 3 / 2]} if wait > 0 else 0,
        "mix": mix,
        "server": {
            "workers": workers,
            "settings": {k: v for k, v in get_settings().model_dump(mode="json").items() if k.startswith("api_")},
            "access_log": access_log,
            "cpu_seconds": round(server_cpu, 1),
            "cores_busy": round(server_cpu / elapsed, 2),
        },
        "load_generator_cores_busy": round(locust_cpu / elapsed, 2),
        "machine_cores_busy": round(machine_cpu / elapsed, 2),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "throughput_rps": overall.get("rps"),
        "overall": overall,
        "endpoints": endpoints,
        "errors": {"total": errors, "by_endpoint": {k: v["failures"] for k, v in endpoints.items()}, "kinds": failures},
        "targets": TARGETS,
        "met": {
            "errors": errors == TARGETS["errors"],
            "ask_p95_ms": (endpoints.get("ask", {}).get("p95_ms") or 1e9) <= TARGETS["ask_p95_ms"],
            "analyze_p95_ms": (endpoints.get("analyze", {}).get("p95_ms") or 1e9) <= TARGETS["analyze_p95_ms"],
        },
    }
    if out is not None:
        write_result(result, out)
    return result


def summary(result: dict) -> str:
    lines = [
        f"{result['users']} users, {result['duration_s']} s, {result['server']['workers']} worker(s) on "
        f"{result['machine']['cpus']} CPUs: {result['throughput_rps']} req/s, {result['errors']['total']} errors, "
        f"cores busy: server {result['server']['cores_busy']}, Locust {result['load_generator_cores_busy']}, "
        f"whole machine {result['machine_cores_busy']}",
        f"{'endpoint':<10} {'requests':>8} {'rps':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}",
    ]
    for name, row in [*result["endpoints"].items(), ("overall", result["overall"])]:
        lines.append(
            f"{name:<10} {row['requests']:>8} {row['rps']:>7} {row['p50_ms']:>8} {row['p95_ms']:>8} {row['p99_ms']:>8}"
        )
    lines.append("targets met: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in result["met"].items()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=180, help="Seconds of load (default 180).")
    parser.add_argument("--users", type=int, default=32, help="Concurrent clients (default 32).")
    parser.add_argument("--spawn-rate", type=float, default=32, help="Clients started per second (default 32).")
    parser.add_argument("--workers", type=int, default=1, help="certprep api --workers (default 1).")
    parser.add_argument(
        "--wait", type=float, default=1.0, help="Mean pause of a client between requests, s (default 1; 0: none)."
    )
    parser.add_argument("--no-access-log", dest="access_log", action="store_false", help="Serve without access log.")
    parser.add_argument(
        "--mix",
        type=lambda text: {k: int(v) for k, v in (part.split("=") for part in text.split(","))},
        default=None,
        help="Relative weights of the requests (default ask=16,check=3,analyze=1; 0 leaves one out).",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"Where to write the results (default {RESULTS}).")
    args = parser.parse_args()
    result = run(
        args.duration, args.users, args.spawn_rate, args.workers, args.wait, args.access_log, args.mix, args.out
    )
    print(summary(result))


if __name__ == "__main__":
    main()
