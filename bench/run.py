"""Run every benchmark at the sizes the issues set, one after the other (they must not share the 2 cores).

python -m bench.run            # full size: about 30-40 minutes on a 2-core machine
python -m bench.run --quick    # small sizes, to check the scripts work (a minute or two)
python -m bench.run --only metrics,import
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time

FULL: dict[str, list[list[str]]] = {
    "import": [["bench/bench_import.py", "--rows", "1000000"]],
    "ingest-api": [
        [
            "bench/bench_ingest_api.py",
            "--backend",
            "sqlite",
            "--duration",
            "8",
            "--connections",
            "32",
            "--clients",
            "4",
        ],
        [
            *["bench/bench_ingest_api.py", "--backend", "postgresql"],
            *["--duration", "8", "--connections", "32", "--clients", "4"],
        ],
    ],
    "sqlite-synchronous": [
        ["bench/bench_sqlite_synchronous.py", "--commits", "2000", "--rounds", "3"],
        [
            *["bench/bench_ingest_api.py", "--sqlite-synchronous", "normal"],
            *["--duration", "8", "--connections", "32", "--clients", "4"],
        ],
    ],
    "overload": [
        ["bench/bench_overload.py", "--duration", "10"],
        ["bench/bench_overload.py", "--backend", "postgresql", "--duration", "10"],
    ],
    "metrics": [
        ["bench/bench_metrics.py", "--rows", "1000000", "--backend", "sqlite"],
        ["bench/bench_metrics.py", "--rows", "10000000", "--customers", "200000", "--backend", "postgresql"],
    ],
    "anomalies": [
        ["bench/bench_anomalies.py", "--rows", "1000000", "--backend", "sqlite"],
        ["bench/bench_anomalies.py", "--rows", "1000000", "--backend", "postgresql"],
    ],
    "experiments": [
        ["bench/bench_experiments.py", "--rows", "1000000", "--customers", "100000", "--backend", "sqlite"],
        ["bench/bench_experiments.py", "--rows", "1000000", "--customers", "100000", "--backend", "postgresql"],
    ],
    "churn": [
        ["bench/bench_churn.py", "--customers", "100000"],
        ["bench/bench_churn.py", "--customers", "100000", "--backend", "postgresql"],
    ],
    "drivers": [
        ["bench/bench_drivers.py", "--rows", "1000000", "--backend", "sqlite"],
        ["bench/bench_drivers.py", "--rows", "1000000", "--backend", "postgresql"],
    ],
    "customers-upsert": [["bench/customers_upsert.py", "--rows", "100000"]],
    "cli-startup": [["bench/bench_cli_startup.py", "--runs", "10"]],
    "insert-floor": [["bench/bench_insert_floor.py", "--rows", "1000000"]],
    "triggers": [
        ["bench/bench_triggers.py", "sweep", "--customers", "1000000"],
        ["bench/bench_triggers.py", "sweep", "--customers", "1000000", "--backend", "postgresql"],
        ["bench/bench_triggers.py", "ticket", "--tickets", "200"],
    ],
    "widget": [
        ["bench/bench_widget.py", "--duration", "10", "--connections", "200", "--rate", "1050"],
        [
            "bench/bench_widget.py",
            "--backend",
            "postgresql",
            "--duration",
            "10",
            "--connections",
            "200",
            "--rate",
            "1050",
        ],
    ],
    "json-checks": [["bench/bench_json_checks.py", "--repeat", "200"]],
    "timeline": [
        ["bench/bench_timeline.py", "--per-kind", "20000", "--others", "200000"],
        ["bench/bench_timeline.py", "--per-kind", "20000", "--others", "200000", "--backend", "postgresql"],
    ],
    "alerts": [
        ["bench/bench_alerts.py", "--responses", "20000"],
        ["bench/bench_alerts.py", "--responses", "20000", "--no-cases"],
        ["bench/bench_alerts.py", "--responses", "20000", "--backend", "postgresql"],
    ],
    "close-loop": [["bench/bench_close_loop.py", "--rate", "50", "--duration", "30"]],
    "outbox": [
        ["bench/bench_outbox.py", "--messages", "10000"],
        ["bench/bench_outbox.py", "--messages", "10000", "--backend", "postgresql"],
    ],
    "sla-report": [
        ["bench/bench_sla_report.py", "--cases", "100000"],
        ["bench/bench_sla_report.py", "--cases", "100000", "--backend", "postgresql"],
    ],
    "web-pages": [
        ["bench/bench_web_pages.py"],
        ["bench/bench_web_pages.py", "--backend", "postgresql"],
    ],
    "themes": [
        ["bench/bench_themes.py", "quality"],
        ["bench/bench_themes.py", "speed", "--comments", "100000"],
        ["bench/bench_themes.py", "stored", "--comments", "100000"],
        ["bench/bench_themes.py", "older", "--comments", "110000", "--sample", "10000"],
    ],
    "names": [["bench/bench_names.py", "--speed", "14640", "--single", "500", "--enrich", "3000"]],
}
QUICK: dict[str, list[list[str]]] = {
    "timeline": [["bench/bench_timeline.py", "--per-kind", "2000", "--others", "5000", "--repeat", "3"]],
    "import": [["bench/bench_import.py", "--rows", "20000", "--orm-rows", "2000"]],
    "ingest-api": [["bench/bench_ingest_api.py", "--duration", "3", "--batches", "4", "--python-client"]],
    "sqlite-synchronous": [["bench/bench_sqlite_synchronous.py", "--commits", "200", "--rounds", "1"]],
    "overload": [["bench/bench_overload.py", "--duration", "2", "--skip-unbounded"]],
    "metrics": [["bench/bench_metrics.py", "--rows", "20000", "--customers", "2000", "--repeat", "2"]],
    "anomalies": [["bench/bench_anomalies.py", "--rows", "20000", "--customers", "2000", "--repeat", "1"]],
    "experiments": [["bench/bench_experiments.py", "--rows", "20000", "--customers", "2000", "--repeat", "1"]],
    "churn": [["bench/bench_churn.py", "--customers", "3000"]],
    "drivers": [["bench/bench_drivers.py", "--rows", "20000", "--customers", "2000", "--repeat", "1"]],
    "customers-upsert": [["bench/customers_upsert.py", "--rows", "5000"]],
    "cli-startup": [["bench/bench_cli_startup.py", "--runs", "2"]],
    "insert-floor": [["bench/bench_insert_floor.py", "--rows", "20000"]],
    "triggers": [
        ["bench/bench_triggers.py", "sweep", "--customers", "20000"],
        ["bench/bench_triggers.py", "ticket", "--tickets", "10"],
    ],
    "widget": [["bench/bench_widget.py", "--duration", "2", "--warmup", "1", "--connections", "20", "--rate", "200"]],
    "json-checks": [["bench/bench_json_checks.py", "--repeat", "20"]],
    "alerts": [["bench/bench_alerts.py", "--responses", "2000"]],
    "close-loop": [["bench/bench_close_loop.py", "--rate", "5", "--duration", "3"]],
    "outbox": [["bench/bench_outbox.py", "--messages", "300"]],
    "sla-report": [["bench/bench_sla_report.py", "--cases", "2000", "--repeat", "2"]],
    "web-pages": [["bench/bench_web_pages.py", "--customers", "300", "--repeat", "3"]],
    "themes": [["bench/bench_themes.py", "speed", "--comments", "5000"]],
    "names": [["bench/bench_names.py", "--speed", "300", "--single", "30", "--enrich", "100", "--page", "20"]],
}


def machine_speed() -> float:
    """Seconds for a plain Python loop of 20M additions: this shared machine's speed varies by 2x between days, so
    every run prints it beside its figures (2.1-3.3 s on 2026-11-26)."""
    started = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check that the scripts run")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(FULL)}")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    chosen = [name for name in plan if not args.only or name in args.only.split(",")]
    if "ingest-api" in chosen and shutil.which("wrk") is None:
        sys.exit("the ingest-api benchmark needs wrk: apt-get install wrk")
    print(f"machine speed: a 20M-iteration Python loop takes {machine_speed():.2f} s", flush=True)
    failed = []
    for name in chosen:
        for command in plan[name]:
            print(f"\n=== {name}: python {' '.join(command)}", flush=True)
            started = time.perf_counter()
            if subprocess.run([sys.executable, *command], check=False).returncode != 0:
                failed.append(" ".join(command))
            print(f"=== {name} took {time.perf_counter() - started:.0f} s", flush=True)
    if failed:
        sys.exit("failed: " + "; ".join(failed))


if __name__ == "__main__":
    main()
