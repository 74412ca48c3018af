"""Calibration: trace readers, statistics, fits, and legit-only against the public traces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS, TRACES

from simulator.calibration import TraceError, TraceSet, compare, simulate_sample
from simulator.calibration.fitting import (
    fit_burst_shape,
    fit_diurnal,
    fit_sessions,
    fit_token_lengths,
    fit_volume_sigma,
)
from simulator.calibration.statistics import (
    gini,
    hourly_profile,
    index_of_dispersion,
    inter_arrival_cv,
    ks_statistic,
    peak_to_trough,
    session_structure,
    top_share,
    window_cv,
)
from simulator.calibration.traces import (
    find_traces,
    read_azure,
    read_mooncake,
    read_servegen_clients,
    read_servegen_hourly,
    read_servegen_windows,
)
from simulator.scenario.loading import load_scenario
from simulator.world import World

needs_traces = pytest.mark.skipif(not TRACES.is_dir(), reason="public traces not available")

AZURE = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.99,396,109\n"


# -- readers ---------------------------------------------------------------------------


def test_azure_reader_gives_seconds_since_the_first_request(tmp_path: Path) -> None:
    path = tmp_path / "azure_conv.csv"
    path.write_text(AZURE)
    frame = read_azure(path)
    assert frame.columns.tolist() == ["ts", "input_tokens", "output_tokens"]
    assert frame.ts.tolist() == pytest.approx([0.0, 4.30941])
    assert frame.output_tokens.tolist() == [44, 109]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("TIMESTAMP,ContextTokens\n2023-11-16 18:15:46,3\n", "missing GeneratedTokens"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,3,x\n", r":2: column 'GeneratedTokens'"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,3,4\n", r":2: column 'TIMESTAMP' expected a date"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,-3,4\n", "non-negative"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n", "at least one data row"),
        ("", "not a readable CSV"),
    ],
)
def test_a_malformed_azure_file_is_a_located_trace_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "azure_code.csv"
    path.write_text(text)
    with pytest.raises(TraceError, match=message):
        read_azure(path)


def test_mooncake_reader_marks_conversations_by_their_first_private_block(tmp_path: Path) -> None:
    path = tmp_path / "mooncake.jsonl"
    path.write_text(
        '{"timestamp": 0, "input_length": 10, "output_length": 2, "hash_ids": [0, 5, 6]}\n'
        '{"timestamp": 3000, "input_length": 20, "output_length": 3, "hash_ids": [0, 5, 6, 7]}\n'
        '{"timestamp": 3000, "input_length": 30, "output_length": 4, "hash_ids": [0]}\n'
    )
    frame = read_mooncake(path)
    assert frame.ts.tolist() == [0.0, 3.0, 3.0]
    assert frame.conversation.tolist() == [5, 5, -1]


def test_a_bad_mooncake_line_names_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "mooncake.jsonl"
    path.write_text('{"timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": [0]}\n{"timestamp": 1}\n')
    with pytest.raises(TraceError, match=r"mooncake.jsonl:2: .*missing key 'input_length'"):
        read_mooncake(path)


def test_servegen_readers_accept_idle_windows_and_check_hours(tmp_path: Path) -> None:
    windows = tmp_path / "w.csv"
    windows.write_text(
        "client_id,timestamp,rate,cv,pat_name,pat_arg1,pat_arg2\n0,0,0,0,,0,0\n0,600,1.5,2.1,Gamma,0.3,4\n"
    )
    assert read_servegen_windows(windows).rate.tolist() == [0.0, 1.5]
    clients = tmp_path / "c.csv"
    clients.write_text("model,client_id,est_requests,rate_weighted_mean_cv\nm,0,0.0,\nm,1,900,2.0\n")
    assert np.isnan(read_servegen_clients(clients).rate_weighted_mean_cv[0])
    hourly = tmp_path / "h.csv"
    hourly.write_text("model,hour_index,day,hour_of_day,est_requests\nm,0,0,25,10\n")
    with pytest.raises(TraceError, match="hour_of_day' expected 0 to 23"):
        read_servegen_hourly(hourly)


def test_a_folder_without_every_trace_kind_says_which_are_missing(tmp_path: Path) -> None:
    (tmp_path / "azure_conv_x.csv").write_text(AZURE)
    with pytest.raises(TraceError, match=r"no azure_code file.*no mooncake file"):
        find_traces(tmp_path)
    with pytest.raises(TraceError, match="no such folder"):
        find_traces(tmp_path / "nowhere")


def test_two_files_of_one_kind_are_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "azure_conv_a.csv").write_text(AZURE)
    (tmp_path / "azure_conv_b.csv").write_text(AZURE)
    with pytest.raises(TraceError, match="several azure_conv files"):
        find_traces(tmp_path)


# -- statistics ------------------------------------------------------------------------


def test_gini_and_top_share_on_worked_examples() -> None:
    assert gini(np.ones(10)) == pytest.approx(0.0)
    assert gini(np.r_[np.zeros(9), 1.0]) == pytest.approx(0.9)
    assert top_share(np.r_[np.ones(99), 101.0]) == pytest.approx(0.505)


def test_a_poisson_stream_has_dispersion_and_cv_near_one() -> None:
    rng = np.random.default_rng(0)
    ts = np.cumsum(rng.exponential(1.0, size=50_000))
    assert inter_arrival_cv(ts) == pytest.approx(1.0, abs=0.03)
    for width in (1.0, 10.0, 60.0):
        assert index_of_dispersion(ts, width) == pytest.approx(1.0, abs=0.15)


def test_bursts_raise_the_index_of_dispersion() -> None:
    rng = np.random.default_rng(1)
    bursts = np.repeat(np.cumsum(rng.exponential(20.0, size=2000)), 10) + rng.uniform(0, 1, size=20_000)
    assert index_of_dispersion(bursts, 10.0) > 5
    assert index_of_dispersion(bursts, 10.0, span=1800.0) > 5


def test_window_cv_is_zero_for_a_metronome_and_one_for_poisson() -> None:
    rng = np.random.default_rng(2)
    regular = np.arange(0, 6000, 5.0)
    poisson = np.cumsum(rng.exponential(5.0, size=1200))
    ts = np.r_[regular, poisson]
    client = np.r_[np.zeros(regular.size), np.ones(poisson.size)].astype(np.int64)
    cv = window_cv(ts, client)
    assert cv[0] == pytest.approx(0.0, abs=1e-9)
    assert cv[1] == pytest.approx(1.0, abs=0.1)


def test_hourly_profile_has_mean_one_and_peak_to_trough() -> None:
    profile = hourly_profile(np.r_[np.repeat(np.arange(24), 2), 12, 12])
    assert profile.mean() == pytest.approx(1.0)
    assert peak_to_trough(profile) == pytest.approx(2.0)


def test_session_structure_counts_single_request_sessions() -> None:
    single, mean, p99 = session_structure(np.array([1, 2, 2, 3, 4, 4, 4]))
    assert single == pytest.approx(0.5)
    assert mean == pytest.approx(7 / 4)
    assert p99 == pytest.approx(3.0, abs=0.05)


def test_ks_statistic_of_identical_samples_is_zero() -> None:
    x = np.arange(100)
    assert ks_statistic(x, x) == 0.0
    assert ks_statistic(x, x + 1000) == 1.0


# -- fits ------------------------------------------------------------------------------


def test_a_log_normal_mixture_is_recovered() -> None:
    rng = np.random.default_rng(3)
    values = np.r_[np.exp(rng.normal(np.log(100), 0.5, 7000)), np.exp(rng.normal(np.log(2000), 0.3, 3000))]
    fit = fit_token_lengths(values)
    assert fit.median == pytest.approx(100, rel=0.05)
    assert fit.sigma == pytest.approx(0.5, abs=0.03)
    assert fit.modes[0].share == pytest.approx(0.3, abs=0.02)
    assert fit.modes[0].median == pytest.approx(2000, rel=0.05)


def test_volume_sigma_reproduces_a_log_normal_gini() -> None:
    rng = np.random.default_rng(4)
    assert fit_volume_sigma(np.exp(rng.normal(0, 1.5, 100_000))) == pytest.approx(1.5, abs=0.05)


def test_the_diurnal_fit_finds_peak_hour_and_ratio() -> None:
    hours = np.arange(24)
    profile = 1 + 0.5 * np.cos(2 * np.pi * (hours - 15) / 24)
    peak, ratio = fit_diurnal(profile)
    assert peak == pytest.approx(15.0, abs=0.01)
    assert ratio == pytest.approx(3.0, rel=0.01)


def test_heavier_clients_fit_as_smoother() -> None:
    rng = np.random.default_rng(5)
    rows = []
    for client, (mean, shape) in enumerate([(0.01, 0.2), (0.1, 0.6), (1.0, 2.0), (10.0, 6.0)]):
        rate = mean * rng.gamma(shape, 1 / shape, size=7 * 24)
        for hour, r in enumerate(rate):
            rows += [(client, hour * 3600.0 + k * 600.0, r) for k in range(6)]
    windows = pd.DataFrame(rows, columns=["client_id", "timestamp", "rate"])
    shape, scaling = fit_burst_shape(windows)
    assert 0.3 < shape < 3
    assert scaling > 0.2


def test_sessions_are_fitted_from_conversation_ids() -> None:
    mooncake = pd.DataFrame({"ts": [0.0, 0, 60, 0, 0, 0], "conversation": [1, 2, 2, 3, 4, 5]})
    fit = fit_sessions(mooncake)
    assert fit.single_turn_share == pytest.approx(0.8)
    assert fit.mean_extra_turns == pytest.approx(1.0)
    assert fit.think_median == pytest.approx(60.0)


# -- legit-only against the public traces ---------------------------------------------


@pytest.fixture(scope="module")
def legit_sample():
    """legit-only at a quarter of its size for two days, in five-minute ticks."""
    scenario = load_scenario(SCENARIOS / "legit-only.yaml").resolved(scale=0.25, duration=2 * 86400.0)
    return simulate_sample(scenario.model_copy(update={"tick": 300.0}))


@pytest.fixture(scope="module")
def traces() -> TraceSet:
    return TraceSet.read(TRACES)


@needs_traces
@pytest.mark.parametrize(
    ("workload", "role", "trace"), [("chat", "chat", "azure_conv"), ("coding", "coding_assistant", "azure_code")]
)
def test_output_tokens_match_the_trace_of_their_workload(legit_sample, traces, workload, role, trace) -> None:
    simulated = legit_sample.output_tokens[legit_sample.of((role,))]
    real = getattr(traces, trace).output_tokens.to_numpy()
    assert simulated.size > 1000
    assert ks_statistic(simulated, real) <= 0.1


def test_per_account_volume_is_as_unequal_as_real_clients(legit_sample) -> None:
    assert 0.8 <= gini(legit_sample.account_volumes()) <= 0.95


def test_the_whole_population_is_bursty_at_one_minute(legit_sample) -> None:
    assert index_of_dispersion(legit_sample.ts, 60.0) >= 5


def test_the_daily_profile_peaks_like_real_traffic(legit_sample) -> None:
    assert 1.2 <= peak_to_trough(hourly_profile(legit_sample.utc_hours())) <= 2.5


def test_sessions_are_mostly_single_requests_with_a_short_tail(legit_sample) -> None:
    single, _, p99 = session_structure(legit_sample.conversation[legit_sample.of(("chat",))])
    assert 0.6 <= single <= 0.8
    assert 5 <= p99 <= 10


@needs_traces
def test_the_comparison_has_every_statistic_of_the_report(legit_sample, traces) -> None:
    comparison = compare(traces, legit_sample)
    statistics = {(row.workload, row.statistic) for row in comparison.rows}
    for workload in ("chat", "coding", "long context"):
        for name in ("output tokens KS", "input tokens KS", "inter-arrival CV", "index of dispersion 60 s"):
            assert (workload, name) in statistics
    assert ("population", "top-1% clients' share of requests") in statistics
    assert comparison.value("population", "per-client volume Gini").real == pytest.approx(0.89, abs=0.01)


# -- hydra-cluster --------------------------------------------------------------------


def test_the_heaviest_accounts_of_hydra_cluster_are_not_all_attackers() -> None:
    scenario = load_scenario(SCENARIOS / "hydra-cluster.yaml").resolved(scale=0.05, duration=2 * 86400.0)
    world = World(scenario.model_copy(update={"tick": 300.0}))
    codes = np.concatenate([traffic.account_codes for traffic in world.ticks()])
    accounts, counts = np.unique(codes, return_counts=True)
    top = accounts[np.argsort(counts)[::-1][: int(np.ceil(0.01 * accounts.size))]]
    attackers = world.registry.truth.column("is_attacker")[top]
    assert attackers.size >= 5
    assert not attackers.all()
