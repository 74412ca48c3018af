"""Baseline files: a run's figures frozen as versioned JSON, to check later runs against.

``extractbench baseline RESULTS_DIR -o BASELINE.json`` writes one entry per
(scenario, mode, detector, metric) of the run's summary (the mean, or median,
and the 95% interval over seeds, with the seeds counted) and what makes the run
comparable: its seeds, modes and alarm policy, the operating points its
deployment figures were read at, each scenario's size, fingerprint (a hash of the
resolved scenario), warm-up and declared customer base, each detector's class and
parameters, the plan fingerprint and the extractbench version. The file holds no
time stamp: the same results give the same bytes, so it can be committed and
diffed.

Layout (version 1)::

    {"format": "extractbench-baseline", "version": 1, "run_id": ..., "extractbench_version": ...,
     "interval": "<method>", "plan": {"suite", "fingerprint", "seeds", "modes", "threshold", "policy",
     "operating", "scenarios": [{"label", "scale", "duration_s", "ticks", "fingerprint", "warmup_s", "deployment"}],
     "detectors": [{"label", "class", "params"}]},
     "figures": [{"scenario", "mode", "detector", "metric", "statistic", "value", "low", "high", "n", "seeds"}],
     "failures": [{"scenario", "mode", "detector", "seed", "tick", "reason"}]}

Undefined values (an interval with one seed, a TTD not reached) are ``null``, and so
are ``operating``, ``warmup_s`` and ``deployment`` in a baseline made before the
harness computed deployment figures (such a file stays readable).
A file that does not follow this layout is a :class:`BaselineError` naming the
field at fault.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import Field, ValidationError, model_validator

from simulator.export import atomic_path
from simulator.results.aggregate import INTERVAL_METHOD, summarize
from simulator.results.folder import RunResults
from simulator.scenario.base import StrictModel

__all__ = [
    "BASELINE_FORMAT",
    "BASELINE_VERSION",
    "Baseline",
    "BaselineError",
    "BaselineFigure",
    "make_baseline",
    "read_baseline",
    "write_baseline",
]

BASELINE_FORMAT = "extractbench-baseline"
BASELINE_VERSION = 1

MAX_BASELINE_BYTES = 32 * 1024 * 1024
"""Largest baseline file read (32 MiB; the quick suite's is well under 1 MiB)."""
MAX_FIGURES = 200_000
"""Most figures a baseline may hold (scenarios × modes × detectors × metrics of a big suite)."""

Finite = Annotated[float, Field(allow_inf_nan=False)]


class BaselineError(ValueError):
    """A baseline file cannot be used: unreadable, malformed, or not comparable with the results."""


class BaselineScenario(StrictModel):
    """A scenario as the baseline run ran it."""

    label: str = Field(description="The scenario's name in the results.")
    source: str | None = Field(default=None, description="The file it came from.")
    scale: float = Field(description="Scale applied (accounts and volumes).")
    duration_s: float = Field(description="Simulated span in seconds.")
    ticks: int = Field(description="Ticks simulated.")
    fingerprint: str | None = Field(default=None, description="Hash of the resolved scenario.")
    warmup_s: float | None = Field(default=None, description="Warm-up of the warm-up threshold, in seconds.")
    deployment: dict[str, Any] | None = Field(
        default=None, description="The customer base the scenario declares (null: read as simulated)."
    )


class BaselineDetector(StrictModel):
    """A detector as the baseline run configured it."""

    label: str = Field(description="The detector's name in the results.")
    cls: str = Field(alias="class", description="module:Class of the detector.")
    params: dict[str, Any] = Field(description="Its constructor parameters.")


class BaselinePlan(StrictModel):
    """What makes a run comparable with the baseline."""

    suite: str = Field(description="Suite name, or 'custom'.")
    fingerprint: str = Field(description="The plan fingerprint (a hash of every cell).")
    seeds: list[int] = Field(description="Root seeds of the run.")
    modes: list[Literal["passive", "active"]] = Field(description="Evaluation modes.")
    threshold: float = Field(description="Operating threshold.")
    policy: dict[str, Any] = Field(description="The alarm policy.")
    operating: dict[str, Any] | None = Field(
        default=None, description="The analysts' budget and the warm-up target the deployment figures were read at."
    )
    scenarios: list[BaselineScenario] = Field(description="Scenarios with their sizes.")
    detectors: list[BaselineDetector] = Field(description="Detectors with their parameters.")


class BaselineFigure(StrictModel):
    """One metric of one detector on one scenario and mode, over seeds."""

    scenario: str = Field(description="Scenario label.")
    mode: Literal["passive", "active"] = Field(description="Evaluation mode.")
    detector: str = Field(description="Detector label.")
    metric: str = Field(description="Metric name (see the metric catalogue).")
    statistic: Literal["mean", "median"] = Field(description="Mean over seeds, or median for censored metrics.")
    value: Finite | None = Field(description="The statistic (finite); null where undefined.")
    low: Finite | None = Field(description="Lower end of the 95% interval (range over seeds for medians).")
    high: Finite | None = Field(description="Upper end of the interval.")
    n: int = Field(ge=0, description="Seeds on which the metric is defined.")
    seeds: int = Field(ge=1, description="Seeds run.")

    @model_validator(mode="after")
    def _ordered(self) -> BaselineFigure:
        if self.n > self.seeds:
            raise ValueError(f"n ({self.n}) no larger than seeds ({self.seeds})")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"an interval with low ({self.low:g}) no larger than high ({self.high:g})")
        return self


class Baseline(StrictModel):
    """A baseline file's contents."""

    format: Literal["extractbench-baseline"] = Field(description="Always 'extractbench-baseline'.")
    version: Literal[1] = Field(description="Baseline file version.")
    run_id: str = Field(description="The run the baseline was made from.")
    extractbench_version: str = Field(description="extractbench version of that run.")
    interval: str = Field(description="How the intervals were computed.")
    plan: BaselinePlan = Field(description="What makes a run comparable.")
    figures: list[BaselineFigure] = Field(
        max_length=MAX_FIGURES,
        description="Every figure of the run's summary, each (scenario, mode, detector, metric) once.",
    )
    failures: list[dict[str, Any]] = Field(default_factory=list, description="Detectors that failed in that run.")

    @model_validator(mode="after")
    def _unique(self) -> Baseline:
        seen: set[tuple[str, str, str, str]] = set()
        for figure in self.figures:
            key = (figure.scenario, figure.mode, figure.detector, figure.metric)
            if key in seen:
                raise ValueError(f"each figure once, but {' · '.join(key)} appears more than once")
            seen.add(key)
        return self

    def frame(self) -> pd.DataFrame:
        """The figures as a table (undefined values as NaN)."""
        rows = [f.model_dump() for f in self.figures]
        columns = list(BaselineFigure.model_fields)
        frame = pd.DataFrame(rows, columns=columns)
        for column in ("value", "low", "high"):
            frame[column] = frame[column].astype(float)
        return frame


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def make_baseline(results: RunResults) -> Baseline:
    """The baseline of a finished run."""
    plan = results.config["plan"]
    summary = summarize(results.metrics)
    figures = [
        {
            "scenario": row.scenario,
            "mode": row.mode,
            "detector": row.detector,
            "metric": row.metric,
            "statistic": row.statistic,
            "value": _number(row.value),
            "low": _number(row.low),
            "high": _number(row.high),
            "n": int(row.n),
            "seeds": int(row.seeds),
        }
        for row in summary.itertuples(index=False)
    ]
    failures = [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in results.failures.to_dict("records")
    ]
    return Baseline.model_validate(
        {
            "format": BASELINE_FORMAT,
            "version": BASELINE_VERSION,
            "run_id": results.run_id,
            "extractbench_version": str(plan.get("extractbench_version", "")),
            "interval": INTERVAL_METHOD,
            "plan": {
                "suite": plan["suite"],
                "fingerprint": plan["fingerprint"],
                "seeds": plan["seeds"],
                "modes": plan["modes"],
                "threshold": plan["threshold"],
                "policy": plan["policy"],
                "operating": plan.get("operating"),
                "scenarios": [
                    {
                        **{
                            k: s.get(k)
                            for k in ("label", "scale", "duration_s", "ticks", "fingerprint", "warmup_s", "deployment")
                        },
                        # where the run was made does not matter: the file name only
                        "source": Path(s["source"]).name if s.get("source") else None,
                    }
                    for s in plan["scenarios"]
                ],
                "detectors": [
                    {"label": d["label"], "class": d["class"], "params": d["params"]} for d in plan["detectors"]
                ],
            },
            "figures": figures,
            "failures": failures,
        }
    )


def write_baseline(baseline: Baseline, path: str | Path) -> None:
    """Write ``baseline`` as JSON, atomically: keys sorted, one figure per line (compact,
    and a change of figures shows as a line-by-line diff)."""
    payload = baseline.model_dump(mode="json", by_alias=True)
    figures = payload.pop("figures")
    head = json.dumps(payload, indent=2, sort_keys=True)
    rows = ",\n".join("    " + json.dumps(figure, sort_keys=True) for figure in figures)
    text = head[: head.rindex("}")].rstrip() + f',\n  "figures": [\n{rows}\n  ]\n}}\n'
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _refuse_constant(token: str) -> float:
    """``json.loads`` accepts ``NaN`` and ``±Infinity``; a baseline figure must be finite
    (null where undefined): a NaN value or an infinite interval would let every result pass."""
    raise ValueError(f"{token} is not a number a baseline may hold (undefined figures are null)")


def read_baseline(path: str | Path) -> Baseline:
    """Read and validate a baseline file; raises :class:`BaselineError` naming the problem."""
    path = Path(path)
    if not path.is_file():
        raise BaselineError(
            f"{path}: no such baseline file (make one with `extractbench baseline RESULTS_DIR -o {path}`)"
        )
    try:
        size = path.stat().st_size
        if size > MAX_BASELINE_BYTES:
            raise BaselineError(
                f"{path}: {size:,} bytes is larger than a baseline can be ({MAX_BASELINE_BYTES:,}); "
                "regenerate it with `extractbench baseline`"
            )
        payload = json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse_constant)
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: unreadable: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    except ValueError as exc:  # a NaN or Infinity token
        raise BaselineError(f"{path}: not a baseline: {exc}") from None
    except RecursionError:
        raise BaselineError(f"{path}: not a baseline: JSON nested too deeply") from None
    if not isinstance(payload, dict) or payload.get("format") != BASELINE_FORMAT:
        raise BaselineError(f'{path}: not an extractbench baseline (expected "format": "{BASELINE_FORMAT}")')
    if payload.get("version") != BASELINE_VERSION:
        raise BaselineError(
            f"{path}: baseline version {payload.get('version')!r} is not supported (expected {BASELINE_VERSION}); "
            "regenerate it with `extractbench baseline`"
        )
    try:
        return Baseline.model_validate(payload)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            where = ".".join(str(part) for part in error["loc"])
            if error["type"] == "missing":
                problems.append(f"{path}: {where}: a required field is missing")
            else:
                got = repr(error.get("input"))
                problems.append(f"{path}: {where}: {error['msg']}, got {got[:80]}{'…' if len(got) > 80 else ''}")
        more = len(exc.errors()) - len(problems)
        if more > 0:
            problems.append(f"{path}: … and {more} more problem{'s' if more != 1 else ''}")
        raise BaselineError("malformed baseline:\n" + "\n".join(problems)) from None
