"""Time and memory of synthetic_ratings at MovieLens 1M, 10M and 25M sizes (not a test).

    .venv/bin/python benchmarks/synthetic_scale.py [--sizes 1m 10m 25m] [--loader-dtypes]

Each size runs in a fresh subprocess so its peak resident memory (ru_maxrss) is its own. Sizes
are the real datasets' user × movie × rating counts (rated movies only). Prints wall and CPU
seconds to generate (the machine is shared: CPU seconds are the steadier figure), the frame's
``memory_usage(deep=True).sum()`` and the process's peak RSS; with ``--loader-dtypes`` also for ``compact=False`` (the loader's dtypes: pandas counts each row's
shared genre array again, so its deep figure overstates the real memory).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

SIZES = {  # users, movies, ratings of MovieLens 1M / 10M / 25M
    "1m": (6_040, 3_706, 1_000_209),
    "10m": (69_878, 10_677, 10_000_054),
    "25m": (162_541, 59_047, 25_000_095),
}


def measure(size: str, compact: bool) -> dict:
    import resource
    import time

    from benchmarks.synthetic import synthetic_ratings

    started, cpu = time.perf_counter(), time.process_time()
    frame = synthetic_ratings(*SIZES[size], seed=0, compact=compact)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"size": size, "compact": compact, "rows": len(frame), "seconds": round(seconds, 1),
            "cpu_seconds": round(cpu, 1),
            "deep_gb": round(frame.memory_usage(deep=True).sum() / 1e9, 3),
            "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--loader-dtypes", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], args.child[1] == "compact")))
        return
    print(f"{'size':<5} {'dtypes':<8} {'rows':>11} {'seconds':>8} {'CPU s':>6} {'deep GB':>8} "
          f"{'peak RSS GB':>12}")
    for size in args.sizes:
        for kind in ["compact"] + (["loader"] if args.loader_dtypes else []):
            out = subprocess.run([sys.executable, __file__, "--child", size, kind], check=True,
                                 capture_output=True, text=True, timeout=1800).stdout
            row = json.loads(out.strip().splitlines()[-1])
            print(f"{size:<5} {kind:<8} {row['rows']:>11,} {row['seconds']:>8.1f} "
                  f"{row['cpu_seconds']:>6.1f} "
                  f"{row['deep_gb']:>8.3f} {row['peak_rss_gb']:>12.3f}", flush=True)


if __name__ == "__main__":
    main()
