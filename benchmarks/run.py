"""Benchmarks of lrdsl's evaluation, compile and import times.

Run from the repository root, for example::

    python benchmarks/run.py all
    python benchmarks/run.py vector --repeat 9

Each subcommand prints a Markdown table of medians and minimums over
``--repeat`` runs, and the ratios the performance goals are stated in. Every
ratio compares two timings taken in the same process, one after the other,
so that a busy machine slows both. The torch and Paddle comparisons are
skipped with a message when those packages are not installed.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import lrdsl  # noqa: E402

# The schedule of the vector, scalar and scaling goals.
TARGET = "warmup(1000, 0.1) >> cosine(0.1, 9999000)"
WARMUP, TOTAL, PEAK = 1000, 10_000_000, 0.1
SIX_SEGMENTS = (
    "warmup(500, 0.1) >> constant(0.1) for 1000 >> cosine(0.1, 5000, 0.01)"
    " >> linear(0.01, 0.001, 2000) >> step(0.001, 100, 0.5) for 1000"
    " >> piecewise([100, 200], [0.001, 0.0005, 0.0001])"
)


# Measuring.


def measure(function: Callable[[], object], repeat: int, number: int = 1):
    """Return (median, min) seconds per call over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for _ in range(number):
            function()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times), min(times)


def peak_bytes(function: Callable[[], object]) -> tuple[int, int]:
    """Return (peak traced bytes during the call, bytes of its result)."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, getattr(result, "nbytes", 0)


def show_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def table(header: list[str], rows: list[list[object]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")
    print()


def timing_row(label: str, timing: tuple[float, float], base=None) -> list[object]:
    row = [label, show_time(timing[0]), show_time(timing[1])]
    if base is not None:
        row.append(f"{timing[0] / base[0]:.2f}")
    return row


# 1. Vector evaluation.


def naive_where(s: np.ndarray) -> np.ndarray:
    """Evaluate the target schedule as one would by hand, with both branches."""
    warm = PEAK * np.minimum(s, WARMUP) / WARMUP
    t = np.minimum(s - WARMUP, TOTAL - WARMUP)
    cosine = PEAK * (1 + np.cos(np.pi * t / (TOTAL - WARMUP))) / 2
    return np.where(s < WARMUP, warm, cosine)


def bench_vector(args) -> None:
    f = lrdsl.compile(TARGET)
    steps = np.arange(TOTAL)
    as_float = steps.astype(np.float64)
    shuffled = np.random.default_rng(0).permutation(steps)
    difference = np.max(np.abs(f(steps) - naive_where(steps)))
    print(f"### Vector: f(np.arange({TOTAL:_})) for {TARGET}\n")
    print(f"max |lrdsl - hand-written| = {difference:.2e}\n")

    # Interleave the candidates, so that a slow spell of a shared machine
    # hits all of them.
    candidates = {
        "lrdsl f(steps)": lambda: f(steps),
        "hand-written np.where": lambda: naive_where(steps),
        "np.cos(steps), int64 input": lambda: np.cos(steps),
        "np.cos over float64": lambda: np.cos(as_float),
        "lrdsl f(shuffled steps)": lambda: f(shuffled),
    }
    runs = {label: [] for label in candidates}
    for _ in range(args.repeat):
        for label, function in candidates.items():
            runs[label].append(measure(function, 1)[0])
    ours = statistics.median(runs["lrdsl f(steps)"])
    rows = [
        [
            label,
            show_time(statistics.median(times)),
            show_time(min(times)),
            f"{ours / statistics.median(times):.2f}",
        ]
        for label, times in runs.items()
    ]
    table(["what", "median", "min", "lrdsl f(steps) / this (median)"], rows)

    ours_peak, output = peak_bytes(lambda: f(steps))
    naive_peak, _ = peak_bytes(lambda: naive_where(steps))
    table(
        ["what", "peak traced memory", "extra beyond the output", "extra / output"],
        [
            [
                "lrdsl f(steps)",
                f"{ours_peak / 2**20:.1f} MiB",
                f"{(ours_peak - output) / 2**20:.1f} MiB",
                f"{(ours_peak - output) / output:.3f}",
            ],
            [
                "hand-written np.where",
                f"{naive_peak / 2**20:.1f} MiB",
                f"{(naive_peak - output) / 2**20:.1f} MiB",
                f"{(naive_peak - output) / output:.3f}",
            ],
        ],
    )


# 2. Scalar evaluation.


def handwritten(s: int) -> float:
    if s < WARMUP:
        return PEAK * s / WARMUP
    return PEAK * (1 + math.cos(math.pi * (s - WARMUP) / (TOTAL - WARMUP))) / 2


def bench_scalar(args) -> None:
    f = lrdsl.compile(TARGET)
    number = 20_000
    base = measure(lambda: handwritten(12345), args.repeat, number)
    rows = [
        timing_row("hand-written math closure", base, base),
        timing_row(
            "lrdsl f(12345)", measure(lambda: f(12345), args.repeat, number), base
        ),
        timing_row(
            "lrdsl f(500), warmup", measure(lambda: f(500), args.repeat, number), base
        ),
        timing_row(
            "lrdsl f(np.int64(12345))",
            measure(lambda: f(np.int64(12345)), args.repeat, number),
            base,
        ),
        timing_row(
            "lrdsl f(12345.0)", measure(lambda: f(12345.0), args.repeat, number), base
        ),
    ]
    print(f"### Scalar: one step of {TARGET}\n")
    table(["what", "median", "min", "this / hand-written (median)"], rows)


# 3. Compile and import.


def first_compile_time() -> float:
    """Time the first compile in a new interpreter, which builds the parser."""
    code = (
        "import time, lrdsl; start = time.perf_counter(); "
        f"lrdsl.compile({SIX_SEGMENTS!r}); print(time.perf_counter() - start)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return float(completed.stdout)


def bench_compile(args) -> None:
    firsts = [first_compile_time() for _ in range(3)]
    first = (statistics.median(firsts), min(firsts))
    later = measure(lambda: lrdsl.compile(SIX_SEGMENTS), max(args.repeat, 20))
    print("### Compile: parse and compile six segments\n")
    print(f"`{SIX_SEGMENTS}`\n")
    table(
        ["what", "median", "min"],
        [
            timing_row("first compile in a new process", first),
            timing_row("later compiles", later),
        ],
    )


def import_time(module: str) -> tuple[float, list[str]]:
    """Import ``module`` in a new interpreter; return seconds and heavy deps."""
    code = (
        f"import sys, {module}; "
        "print(*[m for m in ('numpy', 'lark', 'yaml') if m in sys.modules])"
    )
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    pattern = rf"\|\s*(\d+)\s*\|\s*{re.escape(module)}$"
    cumulative = re.search(pattern, completed.stderr, re.MULTILINE)
    return int(cumulative.group(1)) * 1e-6, completed.stdout.split()


def bench_import(args) -> None:
    rows = []
    for module in ("lrdsl", "numpy", "lark", "yaml"):
        runs = [import_time(module) for _ in range(max(args.repeat, 9))]
        seconds = [run[0] for run in runs]
        loaded = " ".join(runs[-1][1]) or "none"
        timing = (statistics.median(seconds), min(seconds))
        rows.append([f"import {module}", *timing_row("", timing)[1:], loaded])
    print("### Cold import (python -X importtime, cumulative)\n")
    table(["what", "median", "min", "numpy, lark, yaml loaded"], rows)


# 4. Piecewise with many boundaries.


def bench_piecewise(args) -> None:
    count, size = 100_000, 1_000_000
    boundaries = (np.arange(1, count + 1) * (size // count)).tolist()
    values = np.linspace(1.0, 0.0, count + 1).tolist()
    # 100,000 boundaries exceed the 64 KiB source limit, so they are bound
    # as variables.
    f = lrdsl.compile("piecewise(b, v)", variables={"b": boundaries, "v": values})
    steps = np.arange(size)
    array = np.asarray(boundaries)
    f(steps)
    base = measure(lambda: np.searchsorted(array, steps, side="right"), args.repeat)
    print(f"### Piecewise: {count:_} boundaries over {size:_} steps\n")
    table(
        ["what", "median", "min", "this / searchsorted (median)"],
        [
            timing_row("np.searchsorted alone", base, base),
            timing_row("lrdsl f(steps)", measure(lambda: f(steps), args.repeat), base),
        ],
    )


# 5. Against the schedulers of PyTorch and Paddle.

FRAMEWORK_STEPS = 100_000
FRAMEWORK_WARMUP = 1000
# warmup(start=...) matches LinearLR, whose start_factor must be positive.
FRAMEWORK_TEXT = (
    f"warmup({FRAMEWORK_WARMUP}, 0.1, start=0.0001)"
    f" >> cosine(0.1, {FRAMEWORK_STEPS - FRAMEWORK_WARMUP})"
)


def torch_run():
    """Return (a function stepping the scheduler once, a rate reader)."""
    import torch

    weight = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=0.1)
    lr_scheduler = torch.optim.lr_scheduler
    warmup = lr_scheduler.LinearLR(
        optimizer, start_factor=1e-3, total_iters=FRAMEWORK_WARMUP
    )
    cosine = lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=FRAMEWORK_STEPS - FRAMEWORK_WARMUP
    )
    scheduler = lr_scheduler.SequentialLR(
        optimizer, [warmup, cosine], milestones=[FRAMEWORK_WARMUP]
    )
    return scheduler.step, lambda: optimizer.param_groups[0]["lr"]


def paddle_run():
    """Return (a function stepping the scheduler once, a rate reader)."""
    from paddle.optimizer import lr

    cosine = lr.CosineAnnealingDecay(0.1, T_max=FRAMEWORK_STEPS - FRAMEWORK_WARMUP)
    scheduler = lr.LinearWarmup(cosine, FRAMEWORK_WARMUP, start_lr=0.0001, end_lr=0.1)
    return scheduler.step, scheduler.get_lr


def stepped_rates(make) -> np.ndarray:
    step, read = make()
    rates = np.empty(FRAMEWORK_STEPS)
    for index in range(FRAMEWORK_STEPS):
        rates[index] = read()
        step()
    return rates


def available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError as error:
        print(f"{module} is not installed ({error}); skipping its comparison.\n")
        return False
    return True


def bench_frameworks(args) -> None:
    import warnings

    f = lrdsl.compile(FRAMEWORK_TEXT)
    steps = np.arange(FRAMEWORK_STEPS)
    ours = measure(lambda: f(steps), args.repeat)
    whole = [timing_row("lrdsl f(np.arange(100_000))", ours, ours)]
    number = 20_000
    per_step = [
        timing_row("lrdsl f(step)", measure(lambda: f(54321), args.repeat, number))
    ]
    candidates = []
    if available("torch"):
        import torch

        candidates.append((f"torch {torch.__version__} SequentialLR", torch_run))
    if available("paddle"):
        import paddle

        candidates.append((f"paddle {paddle.__version__} LinearWarmup", paddle_run))
    for label, make in candidates:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rates = stepped_rates(make)
            difference = np.max(np.abs(rates - f(steps)) / np.abs(f(steps)).clip(1e-12))
            print(f"{label}: max relative difference from lrdsl {difference:.1e}\n")
            timing = measure(
                lambda make=make: stepped_rates(make), max(3, args.repeat // 3)
            )
            whole.append(timing_row(f"{label}, 100_000 x step()", timing, ours))
            step, _ = make()
            per_step.append(
                timing_row(f"{label}.step()", measure(step, args.repeat, number))
            )
    print(f"### Against framework schedulers: {FRAMEWORK_TEXT}\n")
    table(["what", "median", "min", "this / lrdsl (median)"], whole)
    print("Per-step cost inside a training loop (one call per step):\n")
    table(["what", "median", "min"], per_step)


# 6. Scaling.


def available_bytes() -> int:
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def bench_scaling(args) -> None:
    f = lrdsl.compile(TARGET)
    rows = []
    for exponent in range(3, 9):
        size = 10**exponent
        # The steps and the result take 16 bytes per step; keep 4x headroom.
        if 64 * size > available_bytes():
            print(f"skipping N = 1e{exponent}: not enough free memory\n")
            continue
        steps = np.arange(size)
        repeat = args.repeat if size <= 10**7 else 3
        # Small arrays are timed over several calls, for a readable clock.
        number = max(1, 10**5 // size)
        timing = measure(lambda steps=steps: f(steps), repeat, number)
        cosine = measure(lambda steps=steps: np.cos(steps), repeat, number)
        rows.append(
            [
                f"1e{exponent}",
                *timing_row("", timing)[1:],
                f"{timing[0] / size * 1e9:.2f}",
                f"{timing[0] / cosine[0]:.2f}",
            ]
        )
        del steps
    print(f"### Scaling with N: f(np.arange(N)) for {TARGET}\n")
    table(
        ["N", "median", "min", "ns per step (median)", "lrdsl / np.cos (median)"],
        rows,
    )

    size = 1_000_000
    steps = np.arange(size)
    rows = []
    for count in (1, 10, 100, 1000):
        text = " >> ".join([f"cosine(0.1, {size // count})"] * count)
        start = time.perf_counter()
        g = lrdsl.compile(text)
        compile_time = time.perf_counter() - start
        timing = measure(lambda g=g: g(steps), args.repeat)
        scalar = measure(lambda g=g: g(size - 1), args.repeat, 2000)
        rows.append(
            [
                count,
                show_time(timing[0]),
                show_time(timing[1]),
                show_time(scalar[0]),
                show_time(compile_time),
            ]
        )
    print(f"### Scaling with segments: k x cosine over {size:_} steps\n")
    table(
        ["segments", "f(steps) median", "f(steps) min", "f(last step)", "compile"],
        rows,
    )


# Machine and command line.


def machine() -> None:
    model = "unknown"
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    print(f"- date: {datetime.date.today().isoformat()}")
    print(f"- CPU: {model}, {os.cpu_count()} cores")
    print(f"- Python {platform.python_version()}, numpy {np.__version__}")
    print(f"- free memory: {available_bytes() / 2**30:.1f} GiB\n")


BENCHMARKS = {
    "vector": bench_vector,
    "scalar": bench_scalar,
    "compile": bench_compile,
    "import": bench_import,
    "piecewise": bench_piecewise,
    "frameworks": bench_frameworks,
    "scaling": bench_scaling,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmark", choices=[*BENCHMARKS, "all"])
    parser.add_argument(
        "--repeat", type=int, default=7, help="runs per timing (default 7)"
    )
    args = parser.parse_args(argv)
    machine()
    names = list(BENCHMARKS) if args.benchmark == "all" else [args.benchmark]
    for name in names:
        BENCHMARKS[name](args)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
