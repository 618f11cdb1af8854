"""Training-step throughput of rnncast against PyTorch on the same model and data.

One training step = forward over a batch of windows, a linear head on the last hidden
state, MSE loss, backward, Adam update; float32, one input feature. rnncast's step is
``RecurrentRegressor.loss_and_gradients`` and ``Adam.step``, as its forecaster trains.
Both libraries run in the same invocation, each in its own worker process pinned to the
same number of threads (BLAS/OpenMP threads for NumPy, ``threads=`` for rnncast's layer,
whose compiled loops run parts of a large batch on separate cores,
``torch.set_num_threads`` for PyTorch). Separate processes, because PyTorch's OpenMP
threads keep spinning for a while after its last parallel region: run in turn in one
process, rnncast's two-thread steps shared a core with them and ran up to 1.6x slower
than its one-thread steps.

The header names the BLAS kernel NumPy and SciPy run (numba's products go through
SciPy's). An ``OPENBLAS_CORETYPE`` in the environment overrides OpenBLAS's choice, and
an older kernel than the processor supports (Haswell's AVX2 on an AVX-512 machine) can
halve rnncast's figures while PyTorch, on its own kernels, keeps its own; the header
says when the variable is set.

    python benchmarks/speed.py                  # full grid, 1 thread and all cores
    python benchmarks/speed.py --quick          # a few configs, for development
    python benchmarks/speed.py --cells lstm --hidden 128   # part of the grid
    python benchmarks/speed.py --markdown docs/speed_table.md

Throughput is windows per second (batch / median step time over repeats). GFLOP/s
counts the matrix-product work of a step as 3x the forward's (forward, and the two
products of backward), the usual convention.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import time

CELLS = ("rnn", "gru", "lstm")
GATES = {"rnn": 1, "gru": 3, "lstm": 4}
HIDDEN = (5, 32, 128)
STEPS = (12, 48)
BATCH = (32, 256)


def step_flops(cell, hidden, steps, batch, features=1):
    gate_width = GATES[cell] * hidden
    forward = 2 * steps * batch * gate_width * (features + hidden) + 2 * batch * hidden
    return 3 * forward


def time_steps(run_step, min_seconds, repeats):
    """Median seconds per step over ``repeats`` timed blocks of at least ``min_seconds``."""
    for _ in range(3):
        run_step()
    start = time.perf_counter()
    run_step()
    per_step = max(time.perf_counter() - start, 1e-6)
    steps_per_block = max(3, int(min_seconds / per_step))
    blocks = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps_per_block):
            run_step()
        blocks.append((time.perf_counter() - start) / steps_per_block)
    blocks.sort()
    return blocks[len(blocks) // 2]


def rnncast_step(cell, hidden, x, y, threads):
    from rnncast.nn import GRU, LSTM, RNN, Linear, RecurrentRegressor
    from rnncast.nn.optim import Adam

    layer = {"rnn": RNN, "gru": GRU, "lstm": LSTM}[cell](1, hidden, seed=0, threads=threads)
    network = RecurrentRegressor(layer, Linear(hidden, 1, seed=1))
    optimizer = Adam(network.layers, lr=1e-3, threads=threads)

    def run_step():
        # forward, head, MSE and backward; gradients written over, so no zero_grad.
        # PyTorch's default zero h0 takes no gradient either
        network.loss_and_gradients(x, y, "mse")
        optimizer.step()

    return run_step


def torch_step(cell, hidden, x, y, threads):
    import torch

    torch.manual_seed(0)
    layer = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](
        1, hidden, batch_first=True)
    head = torch.nn.Linear(hidden, 1)
    optimizer = torch.optim.Adam(list(layer.parameters()) + list(head.parameters()), lr=1e-3)
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)

    def run_step():
        optimizer.zero_grad()
        outputs, _ = layer(x_t)
        loss = torch.nn.functional.mse_loss(head(outputs[:, -1]), y_t)
        loss.backward()
        optimizer.step()

    return run_step


STEP_MAKERS = {"rnncast": rnncast_step, "torch": torch_step}


def worker(library, threads, configs, min_seconds, repeats):
    """Runs in a fresh process whose thread variables were set before NumPy loaded; only
    ``library`` is imported, so no other library's threads compete for the cores."""
    import numpy as np

    if library == "torch":
        import torch

        torch.set_num_threads(threads)
    make = STEP_MAKERS[library]
    rows = []
    for cell, hidden, steps, batch in configs:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((batch, steps, 1)).astype(np.float32)
        y = rng.standard_normal((batch, 1)).astype(np.float32)
        seconds = time_steps(make(cell, hidden, x, y, threads), min_seconds, repeats)
        row = {"cell": cell, "hidden": hidden, "steps": steps, "batch": batch,
               "threads": threads, library: batch / seconds,
               f"{library}_gflops": step_flops(cell, hidden, steps, batch) / seconds / 1e9}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def run_worker_process(library, threads, configs, min_seconds, repeats):
    env = dict(os.environ)
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[variable] = str(threads)
    command = [sys.executable, __file__, "--worker", library, "--threads", str(threads),
               "--configs", json.dumps(configs), "--min-seconds", str(min_seconds),
               "--repeats", str(repeats)]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return [json.loads(line) for line in output.stdout.splitlines() if line.startswith("{")]


def timed_rows(threads, configs, min_seconds, repeats):
    """Both libraries' rows for one thread count, merged per config."""
    merged = {}
    for library in STEP_MAKERS:
        for row in run_worker_process(library, threads, configs, min_seconds, repeats):
            key = (row["cell"], row["hidden"], row["steps"], row["batch"])
            merged.setdefault(key, {}).update(row)
    return list(merged.values())


def blas_description():
    """The BLAS kernels NumPy's and SciPy's libraries chose, and any override of them."""
    import scipy.linalg  # noqa: F401  loads SciPy's BLAS, the one numba's products use
    import threadpoolctl

    kernels = sorted({f"{library['internal_api']} {library.get('architecture') or '?'}"
                      for library in threadpoolctl.threadpool_info()
                      if library["user_api"] == "blas"})
    text = f"BLAS: {', '.join(kernels) or 'none found'}"
    if os.environ.get("OPENBLAS_CORETYPE"):
        text += (f" (OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} is set and chose "
                 "it; unset it to let OpenBLAS pick the processor's own kernel)")
    return text


def table(rows_by_threads, all_threads):
    one = {(r["cell"], r["hidden"], r["steps"], r["batch"]): r for r in rows_by_threads[1]}
    many = {(r["cell"], r["hidden"], r["steps"], r["batch"]): r
            for r in rows_by_threads[all_threads]}
    header = (f"| cell | hidden | time | batch | rnncast 1t | torch 1t | rnncast {all_threads}t "
              f"| torch {all_threads}t | ratio 1t | ratio {all_threads}t | best vs best "
              "| rnncast GFLOP/s | torch GFLOP/s |")
    lines = [header, "|" + "---|" * 13]
    for key, r1 in one.items():
        rn = many.get(key, r1)
        best_ours = max(r1["rnncast"], rn["rnncast"])
        best_torch = max(r1["torch"], rn["torch"])
        ours_gflops = max(r1["rnncast_gflops"], rn["rnncast_gflops"])
        torch_gflops = max(r1["torch_gflops"], rn["torch_gflops"])
        lines.append(
            f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {r1['rnncast']:,.0f} | "
            f"{r1['torch']:,.0f} | {rn['rnncast']:,.0f} | {rn['torch']:,.0f} | "
            f"{r1['rnncast'] / r1['torch']:.2f}x | {rn['rnncast'] / rn['torch']:.2f}x | "
            f"**{best_ours / best_torch:.2f}x** | {ours_gflops:.2f} | {torch_gflops:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="four configs, short timings")
    parser.add_argument("--cells", default=",".join(CELLS))
    parser.add_argument("--hidden", default=",".join(map(str, HIDDEN)),
                        help="hidden sizes to time, comma-separated (default: %(default)s)")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--min-seconds", type=float, default=0.15)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--worker", choices=tuple(STEP_MAKERS), help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--configs", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        worker(args.worker, args.threads, [tuple(c) for c in json.loads(args.configs)],
               args.min_seconds, args.repeats)
        return

    cells = args.cells.split(",")
    hidden_sizes = [int(size) for size in args.hidden.split(",")]
    configs = list(itertools.product(cells, hidden_sizes, STEPS, BATCH))
    if args.quick:
        configs = [c for c in configs if c[1] in (5, 128) and c[2] == 48 and c[3] == 32]
        args.min_seconds, args.repeats = 0.05, 3
    all_threads = os.cpu_count() or 1
    rows_by_threads = {}
    for threads in sorted({1, all_threads}):
        print(f"timing {len(configs)} configs on {threads} thread(s)...", file=sys.stderr)
        rows_by_threads[threads] = timed_rows(threads, configs, args.min_seconds,
                                              args.repeats)
    import numpy
    import torch

    text = (f"Windows per second for one training step (float32, Adam), median of "
            f"{args.repeats} repeats; {platform.processor() or platform.machine()}, "
            f"{all_threads} cores, NumPy {numpy.__version__}, torch {torch.__version__}; "
            f"{blas_description()}.\n\n"
            + table(rows_by_threads, all_threads))
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
