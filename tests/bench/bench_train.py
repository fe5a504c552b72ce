"""Train the book's two networks end to end and report accuracy and wall time.

- the digits CNN (:mod:`minitorch.examples.digits`) with its default settings,
  on the Numba backend: the claim is >= 97% test accuracy within 30 s of training
  (with several seeds, the verdict is on the median run);
- the 1D signal CNN (:mod:`minitorch.examples.signal`), for its test accuracy.

Training time is wall-clock time of ``train(...)`` in this process, from the
first batch to the last evaluation, so it includes compiling (or loading from
Numba's cache) every kernel on first use; the first epoch's time is shown apart.
The load average is printed alongside, since the machine is shared and a busy
phase can stretch the time severalfold.

Run it directly (``python tests/bench/bench_train.py [--seeds 0 1 2]``) or
through ``tests/bench/run.py``, which calls :func:`main`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from minitorch.examples import TrainResult, digits, signal

ACCURACY_TARGET = 0.97
SECONDS_TARGET = 30.0


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def _row(name: str, seed: int, result: TrainResult, cpu: float) -> str:
    later = result.epoch_seconds[1:] or result.epoch_seconds
    return (
        f"{name:<7} seed {seed}  test accuracy {100 * result.test_accuracy:5.1f}%  "
        f"training {result.seconds:6.1f} s wall ({cpu:6.1f} s CPU), first epoch "
        f"{result.epoch_seconds[0]:5.1f} s, later epochs median {statistics.median(later):5.2f} s"
    )


def _timed(train: Callable[..., TrainResult], seed: int) -> tuple[TrainResult, float]:
    cpu_start = time.process_time()
    result = train(seed=seed, progress=False)
    return result, time.process_time() - cpu_start


def main(argv: Sequence[str] = ()) -> dict[str, list[TrainResult]]:
    """Train both networks for each seed, print one line per run and the verdict; return the results.

    ``argv`` holds this benchmark's own options only (``["--seeds", "0", "1"]``),
    so a runner that calls ``main()`` is not confused by its own command line.
    """
    parser = argparse.ArgumentParser(description="Train the example networks and time them.")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)
    threads = os.environ.get("NUMBA_NUM_THREADS", "all cores")
    print(f"NUMBA_NUM_THREADS={threads}; before: {_load()}")
    results: dict[str, list[TrainResult]] = {"digits": [], "signal": []}
    for seed in args.seeds:
        for name, module in (("digits", digits), ("signal", signal)):
            result, cpu = _timed(module.train, seed)
            results[name].append(result)
            print(_row(name, seed, result, cpu), flush=True)
    print(f"after: {_load()}")
    runs = results["digits"]
    accuracy = statistics.median(result.test_accuracy for result in runs)
    seconds = statistics.median(result.seconds for result in runs)
    met = accuracy >= ACCURACY_TARGET and seconds <= SECONDS_TARGET
    median = f"median of {len(runs)} runs: " if len(runs) > 1 else ""
    print(
        f"digits target (>= {100 * ACCURACY_TARGET:.0f}% in <= {SECONDS_TARGET:.0f} s): "
        f"{'met' if met else 'NOT met'} ({median}{100 * accuracy:.1f}%, {seconds:.1f} s, "
        f"{len(runs[0].losses)} epochs)"
    )
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
