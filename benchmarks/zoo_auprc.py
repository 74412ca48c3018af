"""AUPRC of every built-in detector on one scenario, passive mode, and their throughput.

Runs ``World(scenario).ticks()`` once, hands every tick's visible batch to each
detector, keeps each account's maximum score over the run and compares it with
the ground truth (``world.registry.label_frame()``, read only here, after the
run). Accounts never scored count as 0. The population is every account with at
least one request in the run.

Printed per detector: AUPRC (``sklearn.metrics.average_precision_score``), the
precision and recall of the alarm "max score ≥ threshold", whether some threshold
separates attackers from customers perfectly (precision = recall = 1), and the
throughput: requests handed to the detector / seconds spent in its ``update``.

    python benchmarks/zoo_auprc.py scenarios/hydra-cluster.yaml --seed 1 --scale 0.1 --duration 1d
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import average_precision_score
from threadpoolctl import threadpool_limits

from detectors.registry import BUILTINS, build
from simulator.scenario.loading import load_scenario
from simulator.units import parse_duration
from simulator.world import World


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply account counts")
    parser.add_argument("--duration", type=parse_duration, default=None, help="e.g. 1d, 6h")
    parser.add_argument("--detector", action="append", dest="detectors", help="a detector name (repeatable)")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME.KEY=VALUE",
        help="a detector parameter, e.g. ensemble.method=mean (value parsed as JSON when it can be)",
    )
    parser.add_argument("--threshold", type=float, default=0.5, help="alarm threshold for precision/recall")
    parser.add_argument("--json", type=Path, default=None, help="also write the table as JSON here")
    parser.add_argument(
        "--scores",
        type=Path,
        default=None,
        help="write every account's max score per detector, with its labels (Parquet)",
    )
    return parser.parse_args(argv)


def parse_params(items: list[str]) -> dict[str, dict[str, object]]:
    params: dict[str, dict[str, object]] = {}
    for item in items:
        key, _, value = item.partition("=")
        name, _, parameter = key.partition(".")
        try:
            parsed: object = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        if isinstance(parsed, list):
            parsed = tuple(parsed)
        params.setdefault(name, {})[parameter] = parsed
    return params


def evaluate(max_score: pd.Series, labels: pd.Series, threshold: float) -> dict[str, float]:
    """AUPRC, precision and recall at ``threshold``, and perfect separability."""
    scores = max_score.reindex(labels.index, fill_value=0.0).to_numpy()
    truth = labels.to_numpy(dtype=bool)
    alarm = scores >= threshold
    tp = int((alarm & truth).sum())
    precision = tp / alarm.sum() if alarm.any() else float("nan")
    recall = tp / truth.sum() if truth.any() else float("nan")
    separable = bool(truth.any() and (~truth).any() and scores[truth].min() > scores[~truth].max())
    return {
        "auprc": float(average_precision_score(truth, scores)) if truth.any() else float("nan"),
        "precision": float(precision),
        "recall": float(recall),
        "separable": separable,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenario = load_scenario(args.scenario).resolved(seed=args.seed, duration=args.duration, scale=args.scale)
    names = args.detectors or list(BUILTINS)
    params = parse_params(args.param)
    detectors = {name: build(name, **params.get(name, {})) for name in names}
    world = World(scenario)
    # one BLAS thread: on a shared machine, OpenBLAS threads spin against other processes
    limits = threadpool_limits(1)
    max_score = {name: {} for name in names}
    seconds = dict.fromkeys(names, 0.0)
    rows = 0
    active: set[str] = set()
    started = time.perf_counter()
    convert = 0.0
    for traffic in world.ticks():
        batch = traffic.batch
        t0 = time.perf_counter()
        requests = batch.requests  # built once, shared by every detector
        convert += time.perf_counter() - t0
        rows += len(requests)
        if batch.tick % 1440 == 0:
            print(f"tick {batch.tick}/{scenario.n_ticks}, {rows:,} requests, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)  # fmt: skip
        active.update(requests["account_id"].unique().tolist())
        for name, detector in detectors.items():
            t0 = time.perf_counter()
            scores = detector.update(batch)
            seconds[name] += time.perf_counter() - t0
            if scores is not None and len(scores):
                best = max_score[name]
                for account, value in zip(scores.index.tolist(), scores.to_numpy().tolist(), strict=True):
                    if value > best.get(account, -1.0):
                        best[account] = value
    wall = time.perf_counter() - started
    limits.unregister()
    labels = world.registry.label_frame().set_index("account_id")["is_attacker"]
    labels = labels[labels.index.isin(active)]
    print(
        f"{scenario.name} seed {world.seed}: {scenario.n_ticks} ticks, {rows:,} requests, "
        f"{len(labels):,} active accounts ({int(labels.sum()):,} attackers, "
        f"random AUPRC ≈ {labels.mean():.3f}); wall {wall:.0f} s, Arrow→pandas {convert:.1f} s"
    )
    table = []
    for name in names:
        result = evaluate(pd.Series(max_score[name], dtype=float), labels, args.threshold)
        result.update(detector=name, seconds=seconds[name], events_per_s=rows / max(seconds[name], 1e-9))
        table.append(result)
    frame = pd.DataFrame(table).set_index("detector")
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(frame.rename(columns={"precision": f"P@{args.threshold:g}", "recall": f"R@{args.threshold:g}"}))
    if args.json:
        args.json.write_text(frame.reset_index().to_json(orient="records", indent=1))
    if args.scores:
        truth = world.registry.label_frame().set_index("account_id")
        best = pd.DataFrame({name: pd.Series(max_score[name], dtype=float) for name in names})
        best = best.reindex(labels.index).fillna(0.0).join(truth[["is_attacker", "role"]])
        best.to_parquet(args.scores)
    return 0


if __name__ == "__main__":
    sys.exit(main())
