"""One look for every figure: sizes, fonts, colours per detector, units, and saving.

* Detectors keep one colour across every figure of a report (the order of the
  run's plan); up to twenty are told apart by colour alone (tab20, dark shades
  first). **Baselines** (:data:`~detectors.registry.BASELINES`) are always grey
  and dashed (null dotted, random dashed, periodic dash-dot), drawn under the
  detectors and listed last, so that a curve can be read against chance.
* Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas
  (no pyplot, no global backend), inside :func:`figure_style` (a
  ``rc_context``), and saved as PNG and SVG with fixed metadata so that the same
  results draw the same files.
* Times are shown in minutes, hours or days (:func:`time_unit`); tokens with SI
  prefixes (:func:`token_formatter`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter

from detectors.registry import BASELINES
from simulator.export import atomic_path
from simulator.metrics.catalogue import CATALOGUE, REFERENCE_ROWS

__all__ = [
    "BASELINE_COLOUR",
    "CHANCE_COLOUR",
    "DPI",
    "LineStyle",
    "detector_order",
    "detector_styles",
    "figure_style",
    "is_baseline",
    "legend_outside",
    "metric_words",
    "new_figure",
    "save_figure",
    "scenario_colours",
    "time_unit",
    "token_formatter",
]

DPI = 100
"""Resolution of the PNG files (dots per inch)."""

BASELINE_COLOUR = "#7f7f7f"
CHANCE_COLOUR = "#c8c8c8"
"""Reference lines (chance, undefended)."""
_BASELINE_DASHES: dict[str, Any] = {
    "null": ":",
    "random": "--",
    "periodic": "-.",
    "artefacts": (0, (5, 1, 1, 1, 1, 1)),
    "supervised-ceiling": (0, (1, 1)),
}
_TAB20 = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#393b79",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#9edae5",
    "#dbdb8d",
    "#6b6ecf",
]
"""Detector colours: tab10 without its grey (kept for baselines) then the light tab20 shades."""

_RC: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "extractbench",
    "svg.fonttype": "none",
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
}


@dataclass(frozen=True)
class LineStyle:
    """How one detector is drawn."""

    colour: str
    dashes: Any
    width: float
    zorder: float
    baseline: bool

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Axes.plot`` / ``Axes.step``."""
        return {"color": self.colour, "linestyle": self.dashes, "linewidth": self.width, "zorder": self.zorder}


def is_baseline(label: str) -> bool:
    """Whether ``label`` is one of the baselines or reference rows shown beside every detector
    (drawn grey and dashed)."""
    return label in BASELINES or label in REFERENCE_ROWS


def detector_order(labels: Sequence[str]) -> list[str]:
    """``labels`` without repeats, detectors first (in the given order), baselines last.

    >>> detector_order(["null", "mine", "random", "other", "mine"])
    ['mine', 'other', 'null', 'random']
    """
    unique = list(dict.fromkeys(labels))
    return [x for x in unique if not is_baseline(x)] + [x for x in unique if is_baseline(x)]


def detector_styles(labels: Sequence[str]) -> dict[str, LineStyle]:
    """A style per detector label: colours in order for detectors (cycling after
    twenty), grey dashes for baselines."""
    styles: dict[str, LineStyle] = {}
    index = 0
    for label in detector_order(labels):
        if is_baseline(label):
            styles[label] = LineStyle(BASELINE_COLOUR, _BASELINE_DASHES.get(label, "--"), 1.3, 1.5, True)
        else:
            colour = to_hex(_TAB20[index % len(_TAB20)])
            styles[label] = LineStyle(colour, "-", 1.6, 2.0 + index * 0.01, False)
            index += 1
    return styles


def scenario_colours(labels: Sequence[str]) -> dict[str, str]:
    """A colour per scenario (in order, cycling after twenty), for plots with one line per scenario."""
    return {label: to_hex(_TAB20[i % len(_TAB20)]) for i, label in enumerate(dict.fromkeys(labels))}


@contextlib.contextmanager
def figure_style() -> Iterator[None]:
    """The report's matplotlib settings, for the duration of the block."""
    with rc_context(_RC):
        yield


def new_figure(width: float, height: float) -> Figure:
    """A figure of ``width`` × ``height`` inches on the Agg canvas, with constrained layout.
    Create and save it inside :func:`figure_style`."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure: Figure, folder: Path, stem: str) -> tuple[Path, Path]:
    """Write ``folder/stem.png`` and ``folder/stem.svg`` (atomically); returns both paths.

    The constrained layout is computed once, at the PNG's resolution, and then fixed, so
    both files share one layout (a ``savefig`` with a layout engine would lay the figure out
    and draw it once more before drawing it for real, for each file)."""
    png, svg = folder / f"{stem}.png", folder / f"{stem}.svg"
    engine = figure.get_layout_engine()
    if engine is not None:
        engine.execute(figure)
        figure.set_layout_engine("none")
    with atomic_path(png) as tmp:
        figure.savefig(tmp, format="png", metadata={"Software": None})
    with atomic_path(svg) as tmp:
        figure.savefig(tmp, format="svg", metadata={"Date": None, "Creator": None})
    return png, svg


def legend_outside(ax: Any, **options: Any) -> None:
    """The legend to the right of ``ax`` (room for many detectors), without a frame."""
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, **options)


def time_unit(span_seconds: float) -> tuple[float, str]:
    """(seconds per unit, unit) to show times up to ``span_seconds``: minutes up to
    3 h, hours up to 3 days, days beyond.

    >>> time_unit(7200), time_unit(86400), time_unit(7 * 86400)
    ((60.0, 'min'), (3600.0, 'h'), (86400.0, 'd'))
    """
    if span_seconds <= 3 * 3600:
        return 60.0, "min"
    if span_seconds <= 3 * 86400:
        return 3600.0, "h"
    return 86400.0, "d"


def token_formatter() -> EngFormatter:
    """Axis labels such as ``1.2 M`` for token counts."""
    return EngFormatter(sep=" ")


def metric_words(name: str, *, unit: bool = False) -> str:
    """A metric in words for a title or an axis: its catalogue description, capitalised
    (with ``unit``: followed by its unit and good direction); a name the catalogue does
    not know (a red-team objective, say) with its underscores as spaces.

    >>> metric_words("leakage_share")
    'Leakage as a share of what the campaigns got undefended'
    >>> metric_words("legit_flagged", unit=True)
    'Active legitimate accounts alarmed (accounts; lower is better)'
    >>> metric_words("tokens_per_usd")
    'Tokens per usd'
    """
    info = CATALOGUE.get(name)
    if info is None:
        words = name.replace("_", " ")
        return words[:1].upper() + words[1:]
    text = info.description[:1].upper() + info.description[1:]
    if unit:
        text += f" ({info.unit}; {'higher' if info.higher_is_better else 'lower'} is better)"
    return text
