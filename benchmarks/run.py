"""``make bench``: run every benchmark under benchmarks/ and keep what each printed.

Each benchmark prints its own measurements as ratios against a baseline run in the same process (the machines
are shared and noisy). This runner runs them one after another, each in its own process, and writes
``benchmarks/results/<timestamp>.md`` and ``.json`` with their output, exit status and wall time.
Pass benchmark names (``riskmodel``, ``spells`` ...) to run only those.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    results = []
    for name in names:
        module = f"benchmarks.bench_{name}"
        print(f"== {module}", flush=True)
        start = time.perf_counter()
        completed = subprocess.run([sys.executable, "-m", module], cwd=HERE.parent, capture_output=True,
                                   text=True, check=False)
        seconds = time.perf_counter() - start
        print(completed.stdout, end="", flush=True)
        if completed.returncode != 0:
            print(completed.stderr[-2000:], file=sys.stderr)
        results.append({"benchmark": name, "exit_code": completed.returncode, "seconds": round(seconds, 1),
                        "output": completed.stdout})
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = HERE / "results"
    folder.mkdir(exist_ok=True)
    (folder / f"{stamp}.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    lines = [f"# Benchmarks {stamp}", ""]
    for result in results:
        lines += [f"## {result['benchmark']} (exit {result['exit_code']}, {result['seconds']} s)", "", "```",
                  str(result["output"]).rstrip(), "```", ""]
    (folder / f"{stamp}.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"results in {folder}/{stamp}.md")
    return max((int(r["exit_code"]) for r in results), default=0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
