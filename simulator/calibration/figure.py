"""The calibration figure: simulated against real traffic, six panels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from simulator.calibration.compare import DISPERSION_WIDTHS, WORKLOADS, Comparison

__all__ = ["plot_comparison"]


def _ecdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(np.asarray(values, dtype=np.float64))
    return x, np.arange(1, x.size + 1) / max(x.size, 1)


def _lorenz(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(np.asarray(values, dtype=np.float64))
    share = np.r_[0.0, np.cumsum(x) / max(x.sum(), 1e-12)]
    return np.linspace(0.0, 1.0, share.size), share


def plot_comparison(comparison: Comparison, path: Path, title: str = "", fmt: str | None = None) -> None:
    """A 2×3 figure: output and input token CDFs, index of dispersion against bin
    width, hour-of-day profiles, Lorenz curves of per-client volume, and the KS
    statistics; written to ``path`` (format from ``fmt``, else from the suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = dict(zip([w.name for w in WORKLOADS], ("tab:blue", "tab:orange", "tab:green"), strict=True))
    fig, axes = plt.subplots(2, 3, figsize=(16, 9.5))
    for ax, label in ((axes[0, 0], "output"), (axes[0, 1], "input")):
        for workload in WORKLOADS:
            real, sim = comparison.cdfs.get(f"{workload.name} {label}", (np.empty(0), np.empty(0)))
            colour = colours[workload.name]
            if real.size:
                ax.plot(*_ecdf(np.maximum(real, 1)), color=colour, lw=2, label=f"{workload.name}: real")
            if sim.size:
                ax.plot(*_ecdf(np.maximum(sim, 1)), color=colour, lw=1.2, ls="--", label=f"{workload.name}: simulated")
        ax.set_xscale("log")
        ax.set_xlabel(f"{label} tokens per request (tokens, log scale)")
        ax.set_ylabel("cumulative share of requests")
        ax.set_title(f"{label.capitalize()} token lengths")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    _plot_dispersion(axes[0, 2], comparison, colours)
    hours = np.arange(24)
    axes[1, 0].plot(hours, comparison.real_profile, "k-", lw=2, marker="o", ms=3, label="ServeGen (local time)")
    axes[1, 0].plot(hours, comparison.simulated_profile, "r--", marker="s", ms=3, label="simulated (UTC)")
    axes[1, 0].set_xlabel("hour of day (h)")
    axes[1, 0].set_ylabel("requests relative to the daily mean")
    axes[1, 0].set_title("Hour-of-day profile")
    axes[1, 0].set_xticks(range(0, 24, 3))
    axes[1, 0].legend(fontsize=8)
    axes[1, 0].grid(alpha=0.3)
    ax = axes[1, 1]
    ax.plot(*_lorenz(comparison.real_volumes), "k-", lw=2, label="ServeGen clients")
    ax.plot(*_lorenz(comparison.simulated_volumes), "r--", label="simulated accounts")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8)
    ax.set_xlabel("share of clients, smallest first")
    ax.set_ylabel("share of requests")
    ax.set_title("Per-client volume (Lorenz curve)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    _plot_ks(axes[1, 2], comparison)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format=fmt)
    plt.close(fig)


def _plot_dispersion(ax: Any, comparison: Comparison, colours: dict[str, str]) -> None:
    for name, (real, sim) in comparison.dispersion.items():
        ax.plot(DISPERSION_WIDTHS, real, color=colours.get(name, "k"), lw=2, marker="o", label=f"{name}: real")
        ax.plot(DISPERSION_WIDTHS, sim, color=colours.get(name, "k"), ls="--", marker="s", label=f"{name}: simulated")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("bin width (s, log scale)")
    ax.set_ylabel("index of dispersion (variance / mean of counts)")
    ax.set_title("Burstiness of arrivals")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)


def _plot_ks(ax: Any, comparison: Comparison) -> None:
    rows = [row for row in comparison.rows if row.ks is not None]
    labels = [f"{row.workload}\n{row.statistic.split(' ')[0]}" for row in rows]
    values = [row.ks if np.isfinite(row.ks) else 0.0 for row in rows]
    ax.bar(range(len(rows)), values, color="tab:purple")
    ax.axhline(0.1, color="red", ls=":", label="0.1")
    ax.set_xticks(range(len(rows)), labels, fontsize=8)
    ax.set_ylabel("KS statistic (sup |F_real − F_sim|)")
    ax.set_title("Token-length distance, real vs simulated")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
