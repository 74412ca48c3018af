"""Fit the archetype parameters that the public traces determine.

Each fit is a small, documented estimator; :func:`fit_traces` runs them all on a
:class:`~simulator.calibration.traces.TraceSet` and returns a :class:`TraceFit`.
The committed archetype defaults in :mod:`simulator.population` are these fits
on the public sample (rounded); ``extractbench calibrate`` prints both side by
side so that drift is visible.

What each trace determines:

========================  ==============================================  ==========================
parameter                 estimator                                       trace
========================  ==============================================  ==========================
token lengths             2-component log-normal mixture, EM on log        Azure conv / code, Mooncake
                          tokens (:class:`sklearn.mixture.GaussianMixture`)
arrival CV                median over clients of the rate-weighted mean    ServeGen clients
                          inter-arrival CV in ten-minute windows
burst shape, scaling      log-linear fit of the squared CV of a client's    ServeGen windows
                          hourly rates (diurnal profile divided out)
                          against its volume relative to the median
volume sigma              log-normal σ whose Gini equals the clients'      ServeGen clients
                          Gini: ``σ = √2 · Φ⁻¹((G + 1)/2)``
peak hour, peak/trough    first harmonic of the mean hourly profile:       ServeGen hourly
                          ``1 + a·cos(2π(h − φ)/24)``, ratio ``(1+a)/(1−a)``
sessions                  share of single-request conversations, mean      Mooncake (shared prefix
                          extra turns of the others, log-normal gaps        blocks mark conversations)
========================  ==============================================  ==========================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.mixture import GaussianMixture

from simulator.calibration.statistics import gini, hourly_profile, peak_to_trough
from simulator.calibration.traces import TraceSet
from simulator.scenario.lengths import Mode, TokenLengths

__all__ = [
    "SessionFit",
    "TraceFit",
    "fit_arrival_cv",
    "fit_burst_shape",
    "fit_diurnal",
    "fit_sessions",
    "fit_token_lengths",
    "fit_traces",
    "fit_volume_sigma",
    "schema_defaults",
]


def fit_token_lengths(values: np.ndarray, components: int = 2, seed: int = 0) -> TokenLengths:
    """A log-normal mixture fitted by EM on ``log(max(values, 1))``: the heaviest
    component becomes the main one, the others ``modes``; ``min``/``max`` are the
    sample's range."""
    x = np.maximum(np.asarray(values, dtype=np.float64), 1.0)
    if x.size < 2 * components:
        raise ValueError(f"at least {2 * components} token counts to fit {components} components, got {x.size}")
    logs = np.log(x)[:, None]
    model = GaussianMixture(components, random_state=seed, n_init=3, init_params="k-means++").fit(logs)
    order = np.argsort(model.weights_)[::-1]
    weight = model.weights_[order]
    median = np.exp(model.means_.ravel()[order])
    sigma = np.sqrt(model.covariances_.ravel()[order])
    return TokenLengths(
        median=round(float(median[0]), 1),
        sigma=round(float(sigma[0]), 3),
        min=float(x.min()),
        max=float(x.max()),
        modes=[
            Mode(share=round(float(w), 3), median=round(float(m), 1), sigma=round(float(s), 3))
            for w, m, s in zip(weight[1:], median[1:], sigma[1:], strict=True)
        ],
    )


def fit_volume_sigma(volumes: np.ndarray) -> float:
    """The log-normal σ with the same Gini as ``volumes`` (clients with volume > 0):
    a log-normal's Gini is ``2Φ(σ/√2) − 1``."""
    g = gini(np.asarray(volumes)[np.asarray(volumes) > 0])
    return float(np.sqrt(2.0) * stats.norm.ppf((g + 1.0) / 2.0))


def fit_diurnal(profile: np.ndarray) -> tuple[float, float]:
    """(peak hour, peak/trough ratio) of the cosine ``1 + a·cos(2π(h − φ)/24)`` that
    matches the first Fourier harmonic of a 24-hour mean-one ``profile``."""
    profile = np.asarray(profile, dtype=np.float64)
    profile = profile / profile.mean()
    angle = 2.0 * np.pi * np.arange(24) / 24.0
    c, s = (profile * np.cos(angle)).mean() * 2, (profile * np.sin(angle)).mean() * 2
    amplitude = min(float(np.hypot(c, s)), 0.95)
    peak = float(np.degrees(np.arctan2(s, c)) / 15.0) % 24.0
    return peak, (1.0 + amplitude) / (1.0 - amplitude)


def fit_arrival_cv(clients: pd.DataFrame) -> float:
    """Median over active clients of ServeGen's rate-weighted mean window CV."""
    cv = clients.loc[clients.est_requests > 0, "rate_weighted_mean_cv"].dropna()
    if cv.empty:
        raise ValueError("no active client with an inter-arrival CV")
    return float(cv.median())


def fit_burst_shape(windows: pd.DataFrame) -> tuple[float, float]:
    """(shape, scaling) of hour-to-hour swings of a client's rate.

    Each active client's hourly rates are divided by its mean and by the clients'
    common hour-of-day profile (so the daily rhythm is not counted as
    burstiness); ``CV²`` is their squared coefficient of variation. Heavy clients
    are much smoother than light ones, so ``log CV² = a − b · log(v / ṽ)`` is
    fitted by least squares over clients (``v`` weekly volume, ``ṽ`` the median
    client's); the Gamma shape of the median client is ``exp(−a)`` and a client
    ``x`` times the median's has shape ``exp(−a) · x^b``: ``scaling`` is ``b``."""
    hour = (windows.timestamp.to_numpy() // 3600).astype(np.int64)
    table = pd.DataFrame({"client": windows.client_id.to_numpy(), "hour": hour, "rate": windows.rate.to_numpy()})
    rates = table.pivot_table(index="client", columns="hour", values="rate", aggfunc="mean", fill_value=0.0)
    rates = rates[rates.sum(axis=1) > 0]
    if len(rates) < 3:
        raise ValueError(f"at least 3 active clients in the windows, got {len(rates)}")
    values = rates.to_numpy()
    relative = values / values.mean(axis=1, keepdims=True)
    hour_of_day = rates.columns.to_numpy() % 24
    profile = hourly_profile(hour_of_day, relative.sum(axis=0))
    ratio = relative / np.maximum(profile[hour_of_day], 1e-9)[None, :]
    cv2 = ratio.var(axis=1) / ratio.mean(axis=1) ** 2
    volume = values.sum(axis=1)
    keep = cv2 > 0
    x = np.log(volume[keep] / np.median(volume[keep]))
    slope, intercept = np.polyfit(x, np.log(cv2[keep]), 1)
    return float(np.exp(-intercept)), float(-slope)


@dataclass(frozen=True)
class SessionFit:
    """Conversation structure (Mooncake)."""

    single_turn_share: float
    mean_extra_turns: float
    """Mean requests after the first, in conversations of more than one request."""
    p99_turns: float
    think_median: float
    """Median seconds between consecutive requests of a conversation."""
    think_sigma: float
    """Standard deviation of the log of those gaps."""


def fit_sessions(mooncake: pd.DataFrame) -> SessionFit:
    """Session shape from conversations marked by shared prefix blocks."""
    known = mooncake[mooncake.conversation >= 0]
    if known.empty:
        raise ValueError("no request with a conversation prefix block")
    sizes = known.groupby("conversation").size().to_numpy()
    multi = sizes[sizes > 1]
    ordered = known.sort_values(["conversation", "ts"], kind="stable")
    gaps = ordered.groupby("conversation").ts.diff().dropna().to_numpy()
    gaps = gaps[gaps > 0]
    return SessionFit(
        single_turn_share=float((sizes == 1).mean()),
        mean_extra_turns=float(multi.mean() - 1) if multi.size else 1.0,
        p99_turns=float(np.percentile(sizes, 99)),
        think_median=float(np.median(gaps)) if gaps.size else float("nan"),
        think_sigma=float(np.log(gaps).std()) if gaps.size > 1 else float("nan"),
    )


@dataclass(frozen=True)
class TraceFit:
    """Everything fitted from one trace folder."""

    chat_output: TokenLengths
    chat_input: TokenLengths
    coding_output: TokenLengths
    coding_input: TokenLengths
    agent_output: TokenLengths
    agent_input: TokenLengths
    arrival_cv: float
    burst_shape: float
    burst_scaling: float
    volume_sigma: float
    client_gini: float
    peak_hour: float
    peak_to_trough: float
    """Of the fitted cosine (the profile's own max/min is in :attr:`profile_peak_to_trough`)."""
    profile_peak_to_trough: float
    sessions: SessionFit

    def parameters(self) -> dict[str, float | str]:
        """Flat ``name → value`` view for tables and JSON."""
        values: dict[str, float | str] = {}
        for name in ("chat_output", "chat_input", "coding_output", "coding_input", "agent_output", "agent_input"):
            lengths: TokenLengths = getattr(self, name)
            values[name] = describe_lengths(lengths)
        values.update(
            arrival_cv=self.arrival_cv,
            burst_shape=self.burst_shape,
            burst_scaling=self.burst_scaling,
            volume_sigma=self.volume_sigma,
            client_gini=self.client_gini,
            peak_hour=self.peak_hour,
            peak_to_trough=self.peak_to_trough,
            profile_peak_to_trough=self.profile_peak_to_trough,
            single_turn_share=self.sessions.single_turn_share,
            mean_extra_turns=self.sessions.mean_extra_turns,
            p99_turns=self.sessions.p99_turns,
            think_median=self.sessions.think_median,
            think_sigma=self.sessions.think_sigma,
        )
        return values


def describe_lengths(lengths: TokenLengths) -> str:
    """``median σ`` of the main component, then ``+ share×median σ`` per mode."""
    text = f"{lengths.median:g} σ{lengths.sigma:.2f}"
    for mode in lengths.modes:
        text += f" + {mode.share:.2f}×{mode.median:g} σ{mode.sigma:.2f}"
    return text


def fit_traces(traces: TraceSet, seed: int = 0) -> TraceFit:
    """Run every fit on ``traces``."""
    hourly = traces.servegen_hourly.groupby("hour_of_day").est_requests.sum()
    profile = hourly_profile(hourly.index.to_numpy(), hourly.to_numpy())
    peak_hour, ratio = fit_diurnal(profile)
    volumes = traces.servegen_clients.est_requests.to_numpy()
    burst_shape, burst_scaling = fit_burst_shape(traces.servegen_windows)
    return TraceFit(
        chat_output=fit_token_lengths(traces.azure_conv.output_tokens.to_numpy(), seed=seed),
        chat_input=fit_token_lengths(traces.azure_conv.input_tokens.to_numpy(), seed=seed),
        coding_output=fit_token_lengths(traces.azure_code.output_tokens.to_numpy(), seed=seed),
        coding_input=fit_token_lengths(traces.azure_code.input_tokens.to_numpy(), seed=seed),
        agent_output=fit_token_lengths(traces.mooncake.output_tokens.to_numpy(), seed=seed),
        agent_input=fit_token_lengths(traces.mooncake.input_tokens.to_numpy(), seed=seed),
        arrival_cv=fit_arrival_cv(traces.servegen_clients),
        burst_shape=burst_shape,
        burst_scaling=burst_scaling,
        volume_sigma=fit_volume_sigma(volumes),
        client_gini=gini(volumes[volumes > 0]),
        peak_hour=peak_hour,
        peak_to_trough=ratio,
        profile_peak_to_trough=peak_to_trough(profile),
        sessions=fit_sessions(traces.mooncake),
    )


def schema_defaults() -> dict[str, str]:
    """The committed defaults the fits feed, keyed like :meth:`TraceFit.parameters`
    (shown beside a new fit so that drift is visible)."""
    from simulator.scenario.population import AgentFrameworks, ChatUsers, CodingAssistants, Rhythmic

    chat = ChatUsers(kind="chat", accounts=1)
    coding = CodingAssistants(kind="coding_assistant", accounts=1).session
    agent = AgentFrameworks(kind="agent", accounts=1).session
    rhythm = Rhythmic.model_fields
    return {
        "chat_output": describe_lengths(chat.session.output_tokens),
        "chat_input": "derived: system prompt + turns, 4,096 budget",
        "coding_output": describe_lengths(coding.output_tokens),
        "coding_input": describe_lengths(coding.input_tokens),
        "agent_output": describe_lengths(agent.output_tokens),
        "agent_input": "derived: tool schemas + growing context",
        "arrival_cv": f"{rhythm['arrival_cv'].default:g}",
        "burst_shape": f"{rhythm['burst_shape'].default:g}",
        "burst_scaling": f"{rhythm['burst_scaling'].default:g}",
        "volume_sigma": f"{rhythm['volume_sigma'].default:g} (chat); others 0.8-2.0",
        "peak_hour": f"{chat.peak_hour:g} (chat)",
        "single_turn_share": f"{chat.session.single_turn_share:g}",
        "mean_extra_turns": f"{chat.session.mean_extra_turns:g}",
        "think_median": f"{chat.session.think_time.median:g}",
        "think_sigma": f"{chat.session.think_time.sigma:g}",
    }
