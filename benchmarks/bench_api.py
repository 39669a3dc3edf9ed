"""Benchmark of the dashboard: p50 and p95 latency of every endpoint and page against a live server.

The server (``hospmort serve``, in its own process) listens on 127.0.0.1 only; requests are sequential and bounded
in number. As the project's benchmarks do, each endpoint's p95 is also printed as a ratio to a baseline measured
in the same process: ``/api/health``, which answers without reading the store. The budget of the issue is a p95
under 100 ms per endpoint on the demo database; the last column says whether each endpoint meets it.

    .venv/bin/python benchmarks/bench_api.py                          # a national-size store made from rows
    .venv/bin/python benchmarks/bench_api.py --db demo-output/hospmort.duckdb --requests 100

Without ``--db`` the store is made in a temporary folder from random but consistent rows: 130 trusts in seven
regions, every trust in all 144 diagnosis groups, 12 monthly publications (about the size of a national year).
The store given with ``--db`` is copied first (a peer group is saved for the peer-group endpoint).
"""

from __future__ import annotations

import argparse
import math
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from hospmort import refdata
from hospmort.config import Month
from hospmort.shmi.indicator import UnitCounts, compute_breakdown
from hospmort.store import Indicator, Publication, PublicationStatus, open_store, write_publications

BUDGET_MS = 100.0
REGIONS = refdata.REGION_NAMES


def _shmi_row(unit: Any) -> dict[str, Any]:
    return {"SPELLS": unit.spells, "OBSERVED": unit.observed, "EXPECTED": unit.expected,
            "EXPECTED_ROUNDED": unit.expected_rounded, "SHMI_VALUE": unit.ratio, "SHMI_BANDING": unit.banding,
            "PO_LL": unit.po_lower_998, "PO_UL": unit.po_upper_998, "OD_LL": unit.od_lower_95,
            "OD_UL": unit.od_upper_95,
            "OD_LL_998": unit.od_lower_998, "OD_UL_998": unit.od_upper_998, "PO_LL_95": unit.po_lower_95,
            "PO_UL_95": unit.po_upper_95}


def national_like_publication(rng: np.random.Generator, period: Month, trusts: int) -> dict[str, list[dict[str, Any]]]:
    """One publication's tables for ``trusts`` trusts, every trust in every group (random, consistent sums)."""
    labels = refdata.diagnosis_group_labels()
    supergroups = refdata.supergroups()
    codes = [f"R{i:02d}" for i in range(trusts)]
    regions = list(REGIONS)
    group_rows, units = [], []
    national: dict[int, list[float]] = {}
    sums: dict[str, list[float]] = {}
    super_sums: dict[tuple[str, int], list[float]] = {}
    for index, code in enumerate(codes):
        effect = math.exp(rng.normal(0, 0.08))
        for group in labels:
            spells = int(rng.integers(20, 800))
            expected = spells * float(rng.uniform(0.005, 0.08))
            observed = int(rng.poisson(expected * effect))
            group_rows.append({"PROVIDER_CODE": code, "PROVIDER_NAME": f"Trust {index}", "DIAGNOSIS_GROUP": group,
                               "DIAGNOSIS_GROUP_DESCRIPTION": labels[group], "SPELLS": spells, "OBSERVED": observed,
                               "EXPECTED": expected, "EXPECTED_ROUNDED": round(expected, 2),
                               **{k: None for k in ("SHMI_VALUE", "SHMI_BANDING", "PO_LL", "PO_UL", "OD_LL", "OD_UL",
                                                    "OD_LL_998", "OD_UL_998", "PO_LL_95", "PO_UL_95")}})
            for bucket in (national.setdefault(group, [0, 0, 0.0]), sums.setdefault(code, [0, 0, 0.0]),
                           super_sums.setdefault((code, supergroups[group][0]), [0, 0, 0.0])):
                bucket[0] += spells
                bucket[1] += observed
                bucket[2] += expected
        units.append(UnitCounts(code, int(sums[code][0]), int(sums[code][1]), sums[code][2]))
    breakdown = compute_breakdown(units)
    names = {code: f"Trust {index}" for index, code in enumerate(codes)}
    region_of = {code: regions[index % len(regions)] for index, code in enumerate(codes)}
    trust_rows = [{"PROVIDER_CODE": str(u.key), "PROVIDER_NAME": names[str(u.key)],
                   "REGION_CODE": region_of[str(u.key)], "REGION_NAME": REGIONS[region_of[str(u.key)]], **_shmi_row(u)}
                  for u in breakdown.units]
    site_rows = [{"PROVIDER_CODE": r["PROVIDER_CODE"], "PROVIDER_NAME": r["PROVIDER_NAME"],
                  "SITE_CODE": r["PROVIDER_CODE"] + "01", "SITE_NAME": "Main site", "SITE_TYPE": "acute",
                  **{k: v for k, v in r.items() if k not in ("PROVIDER_CODE", "PROVIDER_NAME", "REGION_CODE",
                                                              "REGION_NAME")}} for r in trust_rows]
    super_names = {number: name for number, name in supergroups.values()}
    return {
        "shmi_trust": trust_rows,
        "shmi_site": site_rows,
        "shmi_diagnosis_group": group_rows,
        "shmi_national_group": [{"DIAGNOSIS_GROUP": g, "DIAGNOSIS_GROUP_DESCRIPTION": labels[g], "SPELLS": int(s),
                                 "OBSERVED": int(o), "EXPECTED": e} for g, (s, o, e) in national.items()],
        "shmi_supergroup": [{"PROVIDER_CODE": c, "SUPERGROUP": n, "SUPERGROUP_NAME": super_names[n], "SPELLS": int(s),
                             "OBSERVED": int(o), "EXPECTED": e} for (c, n), (s, o, e) in super_sums.items()],
        "shmi_limits_parameters": [{"BREAKDOWN": "TRUST", "DIAGNOSIS_GROUP": None,
                                    "UNITS_ELIGIBLE": breakdown.parameters.units,
                                    "UNITS_KEPT": breakdown.parameters.units_kept, "PHI": breakdown.parameters.phi,
                                    "TAU2": breakdown.parameters.tau2}],
    }


def build_national_like_store(path: Path, *, trusts: int, publications: int) -> Path:
    rng = np.random.default_rng(20251231)
    last = Month(2025, 12)
    months = [last.shift(-k) for k in reversed(range(publications))]
    with open_store(path) as store:
        write_publications(store, [(Publication(m, (Indicator.SHMI,), national_like_publication(rng, m, trusts)),
                                    PublicationStatus.PUBLISHED) for m in months])
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(store: Path, port: int) -> subprocess.Popen[bytes]:
    """``hospmort serve`` in its own process (as in production: no GIL shared with the client), on 127.0.0.1."""
    server = subprocess.Popen([sys.executable, "-c", "from hospmort.cli import main; main()", "serve", "--db",
                               str(store), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the dashboard did not start within 30 s")


def measure(client: httpx.Client, url: str, requests: int) -> tuple[float, float, float]:
    """Cold (first) latency, p50 and p95 in milliseconds over ``requests`` sequential requests."""
    began = time.perf_counter()
    client.get(url).raise_for_status()
    cold = (time.perf_counter() - began) * 1000
    for _ in range(2):
        client.get(url)
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        client.get(url).raise_for_status()
        times.append((time.perf_counter() - began) * 1000)
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return cold, statistics.median(ordered), p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="A results store (copied first); default: a national-size one "
                                                "made from rows.")
    parser.add_argument("--requests", type=int, default=50, help="Timed requests per endpoint (default 50).")
    parser.add_argument("--trusts", type=int, default=130)
    parser.add_argument("--publications", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hospmort-bench-api-") as folder:
        store = Path(folder) / "store.duckdb"
        if args.db:
            shutil.copy(args.db, store)
            with open_store(store):
                pass
        else:
            began = time.perf_counter()
            build_national_like_store(store, trusts=args.trusts, publications=args.publications)
            print(f"built a store of {args.trusts} trusts x 144 groups x {args.publications} publications in "
                  f"{time.perf_counter() - began:.1f} s")
        port = free_port()
        server = start_server(store, port)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as client:
            overview = client.get("/api/overview").json()
            period = overview["period_end"]
            codes = [row["provider_code"] for row in overview["shmi"]["table"]["rows"]]
            trust = codes[len(codes) // 2]
            region = client.get("/api/trusts").json()["regions"][0]["region_code"]
            client.post("/api/peer-groups", json={"name": "bench", "provider_codes": codes[:12]}).raise_for_status()
            files = client.get(f"/api/publications/{period}/files").json()["files"]
            endpoints = [
                "/api/health", "/api/publications", "/api/trusts", "/api/overview", f"/api/overview?region={region}",
                f"/api/trusts/{trust}", f"/api/trusts/{trust}/trend", f"/api/trusts/{trust}/diagnoses",
                f"/api/basket?groups=2,73,101&trust={trust}", f"/api/funnel?level=trust&region={region}",
                "/api/funnel?level=supergroup&groups=8", "/api/regions", "/api/peer-groups",
                f"/api/peer-groups/bench/comparison?trust={trust}", "/api/csv/overview-shmi.csv",
                f"/api/csv/trusts/{trust}/groups.csv", files[0]["url"], "/api/openapi.json",
                "/", f"/?trust={trust}", f"/trusts/{trust}", f"/trusts/{trust}/diagnoses",
                f"/trusts/{trust}/diagnoses?groups=2&groups=73", "/peer-groups?name=bench", "/regions",
                f"/regions?region={region}", "/downloads", "/api-docs",
            ]
            baseline = measure(client, "/api/health", args.requests)[2]
            print(f"{'endpoint':<58} {'cold ms':>8} {'p50 ms':>8} {'p95 ms':>8} {'p95/base':>9}  budget")
            worst = 0.0
            for url in endpoints:
                cold, p50, p95 = measure(client, url, args.requests)
                worst = max(worst, p95)
                print(f"{url[:58]:<58} {cold:8.1f} {p50:8.1f} {p95:8.1f} {p95 / baseline:9.1f}  "
                      f"{'ok' if p95 < BUDGET_MS else 'OVER'}")
        print(f"baseline /api/health p95 {baseline:.2f} ms; worst p95 {worst:.1f} ms (budget {BUDGET_MS:.0f} ms)")
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
