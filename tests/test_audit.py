"""The separability audit: per-account aggregates, lift over chance, the supervised
ceiling, the three-flag rule, declared signals, and `extractbench audit`'s exit codes."""

from __future__ import annotations

import ast
import functools
import itertools
import json
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from detectors.testing import make_accounts, make_batch
from simulator.audit import SIGNALS
from simulator.audit.aggregates import AccountAggregates
from simulator.audit.catalogue import (
    CATEGORICAL_COLUMNS,
    CATEGORICAL_STATISTICS,
    FEATURE_NAMES,
    FEATURE_SIGNALS,
    FEATURES,
)
from simulator.audit.declared import declared_signals
from simulator.audit.email import email_style
from simulator.audit.engine import audit, audit_path
from simulator.audit.results import audit_document
from simulator.audit.separability import (
    average_precisions,
    feature_separations,
    lift,
    separation,
    supervised_ceiling,
    three_flag_score,
)
from simulator.audit.sources import TrafficSource
from simulator.cli import app
from simulator.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
SMALL = ["--scale", "0.2", "--duration", "6h"]
ORIGIN = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday, 00:00 UTC
runner = CliRunner()


# -- lift over chance -------------------------------------------------------------------


def test_lift_is_zero_at_the_base_rate_one_when_perfect_and_linear_between() -> None:
    assert lift(0.1, 0.1) == 0.0
    assert lift(1.0, 0.25) == 1.0
    assert lift(0.55, 0.1) == pytest.approx(0.5)
    assert lift(0.4, 0.2) == pytest.approx(0.25)


def test_lift_rejects_a_base_rate_outside_the_open_unit_interval() -> None:
    with pytest.raises(ValueError, match=r"base rate must be in \(0, 1\). Got 0.0 instead"):
        lift(0.5, 0.0)


def labels_and_noise(n: int = 2000, attackers: int = 200, seed: int = 0) -> tuple[np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=bool)
    y[rng.choice(n, attackers, replace=False)] = True
    return y, rng


def test_a_perfect_separator_has_lift_one_and_a_random_feature_lift_near_zero() -> None:
    y, rng = labels_and_noise()
    features = pd.DataFrame({"perfect": y + rng.random(y.size) * 0.5, "noise": rng.random(y.size)})
    table = feature_separations(features, y, {"perfect": "rate", "noise": "timing"}).set_index("feature")
    assert table.loc["perfect", "lift"] == pytest.approx(1.0)
    assert table.loc["perfect", "ap"] == pytest.approx(1.0)
    assert abs(table.loc["noise", "lift"]) < 0.05
    assert list(table.index) == ["perfect", "noise"]  # best lift first


def test_a_feature_lower_for_attackers_counts_in_its_negated_direction() -> None:
    y, rng = labels_and_noise()
    lower = np.where(y, 0.0, 1.0) + rng.random(y.size) * 0.5
    result = separation(lower, y)
    assert result.direction == -1
    assert result.lift == pytest.approx(1.0)
    table = feature_separations(pd.DataFrame({"lower": lower}), y, {"lower": "rate"})
    assert table.loc[0, "direction"] == -1 and table.loc[0, "lift"] == pytest.approx(1.0)


def test_a_constant_feature_sits_exactly_at_chance() -> None:
    y, _ = labels_and_noise()
    assert separation(np.ones(y.size), y).lift == 0.0


def test_feature_separations_agree_with_one_feature_at_a_time() -> None:
    y, rng = labels_and_noise(300, 40)
    features = pd.DataFrame({f"f{i}": rng.random(y.size) + i * y * rng.random() for i in range(5)})
    table = feature_separations(features, y, dict.fromkeys(features.columns, "rate")).set_index("feature")
    for name in features.columns:
        alone = separation(features[name].to_numpy(), y)
        assert table.loc[name, "lift"] == pytest.approx(alone.lift)
        assert table.loc[name, "direction"] == alone.direction


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(-3, 3), st.floats(-1e3, 1e3)), min_size=1, max_size=60),
    st.booleans(),
)
def test_average_precisions_are_bit_for_bit_scikit_learns(rows: list, tied: bool) -> None:
    from sklearn.metrics import average_precision_score

    labels = np.array([label for label, _, _ in rows])
    scores = np.array([float(small) if tied else real for _, small, real in rows])
    with warnings.catch_warnings():  # a column without attackers: scikit-learn warns, and says 0
        warnings.simplefilter("ignore")
        expected = float(average_precision_score(labels, scores))
    assert average_precisions(np.column_stack([scores, scores]), labels).tolist() == [expected, expected]


# -- the supervised ceiling -------------------------------------------------------------


def test_the_ceiling_is_high_on_a_separable_toy_set_and_near_chance_on_noise() -> None:
    y, rng = labels_and_noise(400, 60)
    noise = pd.DataFrame(rng.normal(size=(y.size, 4)), columns=list("abcd"))
    separable = noise.assign(signal=np.where(y, 1.0, -1.0) + rng.normal(scale=0.3, size=y.size))
    high = supervised_ceiling(separable, y)
    assert high is not None and high.folds == 5
    assert high.ap > 0.95 and high.lift > 0.95
    low = supervised_ceiling(noise, y)
    assert low is not None
    assert abs(low.ap - y.mean()) < 0.1 and low.lift < 0.15


def test_the_ceiling_is_skipped_with_fewer_than_two_attackers() -> None:
    y = np.zeros(50, dtype=bool)
    y[3] = True
    assert supervised_ceiling(pd.DataFrame({"a": np.arange(50.0)}), y) is None


def test_the_ceiling_is_deterministic() -> None:
    y, rng = labels_and_noise(300, 40)
    features = pd.DataFrame(rng.normal(size=(y.size, 3)), columns=list("abc")).assign(d=y + rng.normal(size=y.size))
    assert supervised_ceiling(features, y) == supervised_ceiling(features, y)


# -- the three-flag rule ----------------------------------------------------------------


def test_the_three_flag_rule_counts_flags_and_breaks_ties_by_requests() -> None:
    features = pd.DataFrame(
        {
            "turn0_share": [1.0, 1.0, 0.5, 1.0, 0.99],
            "model_top_share": [1.0, 1.0, 1.0, 0.9, 0.99],
            "exit_country_mismatch": [1.0, 0.0, 0.0, 0.0, 1.0],
            "requests": [10.0, 99.0, 50.0, 20.0, 5.0],
        }
    )
    score = three_flag_score(features)
    assert np.floor(score).tolist() == [3, 2, 1, 1, 3]
    assert score[0] > score[4]  # three flags each: the busier first
    assert score[2] > score[3]  # one flag each: 50 requests before 20
    assert np.all(score - np.floor(score) < 1)


# -- declared signals and the vocabulary ------------------------------------------------


class _Campaign:
    def __init__(self, signals: list[str] | None) -> None:
        if signals is not None:
            self.signals = signals


class _Scenario:
    def __init__(self, *campaigns: _Campaign) -> None:
        self.campaigns = list(campaigns)


def test_declared_signals_are_the_union_over_campaigns_and_none_without_the_field() -> None:
    scenario = _Scenario(_Campaign(["exits", "rate"]), _Campaign(None), _Campaign(["rate", "templates"]))
    assert declared_signals(scenario) == {"exits", "rate", "templates"}
    assert declared_signals(_Scenario(_Campaign(None))) == set()
    mapping = {"campaigns": [{"name": "a", "signals": ["cot"]}, {"name": "b"}]}
    assert declared_signals(mapping) == {"cot"}


def test_every_feature_has_a_signal_of_the_vocabulary_and_a_unique_name() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert set(FEATURE_SIGNALS.values()) <= set(SIGNALS)
    assert set(FEATURE_SIGNALS.values()) == set(SIGNALS), "a signal without any feature"


def test_the_signal_vocabulary_module_imports_only_the_standard_library_and_numpy() -> None:
    import simulator.scenario.signals as module

    imported = set()
    for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"numpy"}


def test_every_feature_is_documented() -> None:
    text = (ROOT / "docs" / "audit.md").read_text()
    column_statistics = {f"{c}_{s}": c for c in CATEGORICAL_COLUMNS for s in CATEGORICAL_STATISTICS}
    for statistic in CATEGORICAL_STATISTICS:
        assert f"`_{statistic}`" in text, statistic
    for feature in FEATURES:
        if "=" in feature.name:
            assert f"`{feature.name.split('=')[0]}=<" in text, feature.name
        elif feature.name in column_statistics:
            assert f"`{column_statistics[feature.name]}_*`" in text, feature.name
        else:
            assert f"`{feature.name}`" in text, feature.name


@pytest.mark.parametrize(
    ("domain", "style"),
    [
        ("gmail.com", "freemail"),
        ("Yahoo.co.uk", "freemail"),
        ("naver.com", "freemail"),
        ("mit.edu", "edu"),
        ("cam.ac.uk", "edu"),
        ("usp.edu.br", "edu"),
        ("mailinator.com", "disposable"),
        ("my-tempmail.dev", "disposable"),
        ("acme-robotics.io", "corporate"),
        ("education.com", "corporate"),
    ],
)
def test_the_email_style_is_read_from_the_domain_text(domain: str, style: str) -> None:
    assert email_style(domain) == style


# -- aggregates on hand-made traffic ----------------------------------------------------


def registry() -> pd.DataFrame:
    return make_accounts(
        account_id=["a", "b", "c"],
        org_id=["o1", "o1", "o2"],
        created_ts=[-86400.0, 3600.0, -10 * 86400.0],
        signup_pathway=["startup", "direct", "education"],
        tier=["tier-1", "tier-2", "tier-1"],
        email=["x12@gmail.com", "ann.lee@acme.io", "bo@ox.ac.uk"],
        email_domain=["gmail.com", "acme.io", "ox.ac.uk"],
        payment_fingerprint=["pm_1", "pm_1", "pm_2"],
        declared_country=["US", "DE", "JP"],
        verified=[True, False, True],
    )


def hand_made_requests() -> pa.Table:
    """Account a: 4 requests, each a new conversation, one model, exits from CN (declared US),
    gaps 10 s; b: 2 requests in one conversation from DE; c: 3 requests, two models, a 429."""
    batch = make_batch(
        account_id=["a", "b", "a", "c", "a", "b", "c", "a", "c"],
        ts=[3600.0, 3605.0, 3610.0, 3615.0, 3620.0, 3625.0, 3630.0, 3630.5, 7300.0],
        ip=["1.2.3.4", "5.6.7.8", "1.2.3.9", "9.9.9.9", "1.2.4.1", "5.6.7.8", "9.9.9.9", "1.2.3.4", "9.9.9.9"],
        country=["CN", "DE", "CN", "JP", "CN", "DE", "JP", "CN", "JP"],
        model=["m1", "m1", "m1", "m1", "m1", "m1", "m2", "m1", "m2"],
        conversation_id=np.array([1, 2, 3, 4, 5, 2, 4, 6, 7], dtype=np.uint64),
        turn=np.array([0, 0, 0, 0, 0, 1, 1, 0, 0], dtype=np.int16),
        status=np.array([200, 200, 200, 200, 200, 200, 429, 200, 200], dtype=np.int16),
        input_tokens=np.array([100, 10, 100, 50, 100, 30, 50, 100, 50], dtype=np.int32),
        output_tokens=np.array([1000, 5, 1000, 40, 1000, 15, 0, 1000, 60], dtype=np.int32),
        max_tokens=np.array([1000, 100, 1000, 100, 1000, 100, 100, 1000, 100], dtype=np.int32),
        pathway=["direct_api"] * 9,
        topic=["math", "chit_chat", "math", "coding", "math", "chit_chat", "coding", "math", "rewrite"],
    )
    return batch.table


def aggregate(table: pa.Table, chunks: list[int] | None = None) -> pd.DataFrame:
    aggregates = AccountAggregates(ORIGIN)
    aggregates.register(registry())
    bounds = [0, *(chunks or []), table.num_rows]
    for start, end in itertools.pairwise(bounds):
        aggregates.update(table.slice(start, end - start))
    return aggregates.features(("tier-1", "tier-2"))


def test_aggregates_of_hand_made_traffic() -> None:
    f = aggregate(hand_made_requests())
    assert list(f.index) == ["a", "b", "c"] and list(f.columns) == list(FEATURE_NAMES)
    assert np.isfinite(f.to_numpy()).all()
    a, b, c = (f.loc[x] for x in "abc")
    assert (a.requests, b.requests, c.requests) == (4, 2, 3)
    assert (a.turn0_share, b.turn0_share, c.turn0_share) == (1.0, 0.5, pytest.approx(2 / 3))
    assert (a.conversations, b.conversations, c.conversations) == (4, 1, 2)
    assert b.turns_per_conversation == 2.0
    assert (a.model_top_share, c.model_top_share, c.model_distinct) == (1.0, pytest.approx(2 / 3), 2)
    assert (a.exit_country_mismatch, b.exit_country_mismatch, c.exit_country_mismatch) == (1.0, 0.0, 0.0)
    assert (a.declared_country_share, b.declared_country_share) == (0.0, 1.0)
    assert (a.ip_distinct, a.subnet_distinct, a.ip_top_share) == (3, 2, 0.5)
    assert b.ip_main_accounts == 0 and b.ip_shared_share == 0.0
    assert (a.payment_accounts, b.payment_accounts, c.payment_accounts) == (1, 1, 0)
    assert (a.org_accounts, c.org_accounts) == (1, 0)
    assert (a["email_style=freemail"], b["email_style=corporate"], c["email_style=edu"]) == (1, 1, 1)
    assert (a["signup_pathway=startup"], a["signup_pathway=direct"]) == (1, 0)
    assert (a["declared_country=US"], a["declared_country=other"]) == (1, 0)
    assert (a.tier_rank, b.tier_rank, b.verified, b.created_during_run) == (0, 1, 0, 1)
    assert a.age_at_first_request_days == pytest.approx((3600 + 86400) / 86400)
    assert a.email_local_digit_share == pytest.approx(2 / 3) and b.email_local_dotted == 1
    # gaps of a: 10, 10, 10.5 s
    gaps = np.array([10.0, 10.0, 10.5])
    assert a.gap_cv == pytest.approx(gaps.std() / gaps.mean())
    assert a.gap_subsecond_share == 0.0 and b.gap_cv == 0.0
    assert (c.rate_limited_share, c.forbidden_share) == (pytest.approx(1 / 3), 0.0)
    assert a.output_tokens_mean == 1000 and c.output_tokens_mean == 50  # the 429 was not served
    assert a.truncated_share == 1.0 and a.output_to_max_mean == 1.0
    assert (a.first_request_hours, c.active_span_hours) == (1.0, pytest.approx((7300 - 3615) / 3600))
    assert (a.peak_minute_requests, c.active_hours, a.active_days) == (4, 2, 1)
    assert (a["topic_share=math"], c["topic_share=coding"], c.topic_distinct) == (1.0, pytest.approx(2 / 3), 2)
    assert a["pathway_share=direct_api"] == 1.0
    # 01:00 UTC on a Monday: 20:00 on Sunday in the US (UTC−6 in the table), 10:00 in Tokyo
    assert (a.local_weekend_share, a.local_night_share) == (1.0, 0.0)
    assert c.local_office_share == 1.0
    assert a.utc_hour_entropy == 0.0 and c.utc_hour_entropy == pytest.approx(-(2 / 3) * np.log2(2 / 3) + np.log2(3) / 3)


@functools.cache
def _one_update() -> pd.DataFrame:
    """:func:`aggregate` of the hand-made requests in one update, computed once for every example."""
    return aggregate(hand_made_requests())


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 8), max_size=6))
def test_chunked_updates_give_the_features_of_one_update(cuts: list[int]) -> None:
    table = hand_made_requests()
    bounds = sorted(set(np.clip(np.cumsum(cuts), 1, table.num_rows - 1).tolist())) if cuts else []
    whole, chunked = _one_update().copy(), aggregate(table, bounds)
    pd.testing.assert_frame_equal(whole, chunked, rtol=1e-12, atol=1e-12)


def test_an_account_missing_from_the_registry_gets_neutral_registry_features() -> None:
    aggregates = AccountAggregates(ORIGIN)
    aggregates.update(make_batch(account_id=["z", "z"], country=["US", "US"]).table)
    z = aggregates.features().loc["z"]
    assert (z.exit_country_mismatch, z.payment_accounts, z["declared_country=other"], z.created_during_run) == (0,) * 4


# -- ticks folded in chunks -------------------------------------------------------------


def awkward_ticks(seed: int = 7, n_ticks: int = 14) -> list[pa.Table]:
    """Ticks of 0–30 requests from five accounts (one in every tick, others now and then),
    with times, gaps and output/max ratios that no float sum adds up exactly in any order:
    thirds of seconds, equal times, sub-second gaps, 429s and later turns."""
    rng = np.random.default_rng(seed)
    tables = []
    for tick in range(n_ticks):
        n = int(rng.integers(0, 31)) if tick % 5 else 0
        accounts = rng.choice(["a", "b", "c", "d", "e"], size=n, p=[0.4, 0.3, 0.15, 0.1, 0.05])
        accounts[: min(n, 1)] = "a"
        ts = np.sort(tick * 60.0 + np.round(rng.random(n) * 60.0, 1) / 3.0)
        max_tokens = rng.choice([7, 13, 100, 1000, 4096], size=n).astype(np.int32)
        table = make_batch(
            tick,
            account_id=accounts.tolist(),
            ts=ts,
            output_tokens=rng.integers(0, 5000, size=n).astype(np.int32),
            max_tokens=max_tokens,
            input_tokens=rng.integers(1, 9000, size=n).astype(np.int32),
            status=rng.choice(np.array([200, 200, 200, 429, 403], dtype=np.int16), size=n),
            turn=rng.integers(0, 4, size=n).astype(np.int16),
            conversation_id=rng.integers(1, 20, size=n).astype(np.uint64),
            ip=rng.choice(["1.2.3.4", "1.2.3.9", "5.6.7.8", "2001:db8::1"], size=n).tolist(),
            country=rng.choice(["US", "DE", "JP"], size=n).tolist(),
            prompt_simhash=rng.integers(0, 2**63, size=n, dtype=np.int64).astype(np.uint64),
        ).table
        tables.append(table)
    return tables


def fold(tables: list[pa.Table], cuts: list[int] | None = None) -> pd.DataFrame:
    """Features of ``tables`` fed one tick at a time, or concatenated between ``cuts`` with their tick boundaries."""
    aggregates = AccountAggregates(ORIGIN)
    aggregates.register(registry())
    if cuts is None:
        for table in tables:
            aggregates.update(table)
    else:
        for start, end in itertools.pairwise([0, *cuts, len(tables)]):
            chunk = tables[start:end]
            if chunk:
                aggregates.update(pa.concat_tables(chunk), ticks=[t.num_rows for t in chunk])
    return aggregates.features(("tier-1", "tier-2"))


def assert_bit_for_bit(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    assert expected.equals(got) and list(expected.index) == list(got.index)
    assert expected.to_numpy().tobytes() == got.to_numpy().tobytes()


@functools.cache
def _tick_by_tick() -> pd.DataFrame:
    """:func:`fold` of the awkward ticks one tick at a time, computed once for every example."""
    return fold(awkward_ticks())


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 14), max_size=5))
def test_ticks_folded_in_chunks_give_bit_for_bit_the_features_of_tick_by_tick_updates(cuts: list[int]) -> None:
    assert_bit_for_bit(_tick_by_tick().copy(), fold(awkward_ticks(), sorted(cuts)))


def test_tick_boundaries_that_do_not_add_up_to_the_chunk_are_rejected() -> None:
    tables = awkward_ticks(n_ticks=3)
    with pytest.raises(ValueError, match=r"ticks of 5 rows in all for a chunk of \d+ rows"):
        AccountAggregates(ORIGIN).update(pa.concat_tables(tables), ticks=[2, 3])


def test_the_awkward_ticks_do_tell_the_tick_boundaries_apart() -> None:
    # without its tick boundaries a chunk groups the float sums differently: the test above has teeth
    tables = awkward_ticks()
    aggregates = AccountAggregates(ORIGIN)
    aggregates.register(registry())
    aggregates.update(pa.concat_tables(tables))
    naive, one_by_one = aggregates.features(("tier-1", "tier-2")), fold(tables)
    assert not one_by_one.equals(naive)
    pd.testing.assert_frame_equal(one_by_one, naive, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "scale", "hours"), [("quickstart", 0.1, 6), ("hydra-cluster", 0.005, 10)])
def test_reference_rows_fold_simulated_ticks_bit_for_bit_as_tick_by_tick_updates(
    monkeypatch: pytest.MonkeyPatch, name: str, scale: float, hours: int
) -> None:
    from simulator.bench import references
    from simulator.world import World

    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml").resolved(scale=scale, duration=hours * 3600.0)
    world = World(scenario)
    batches = [traffic.batch for traffic in world.ticks()]
    requests = pa.concat_tables([batch.table for batch in batches])
    assert (pc.sum(pc.equal(requests.column("status"), 429)).as_py() or 0) > 0
    assert (pc.sum(pc.greater(requests.column("turn"), 0)).as_py() or 0) > 0
    results = []
    for chunk_rows in (1, 300, references.CHUNK_ROWS):  # 1: every tick folded by itself
        monkeypatch.setattr(references, "CHUNK_ROWS", chunk_rows)
        rows = references.ReferenceRows(scenario)
        for batch in batches:
            rows.add(batch)
        results.append((rows.scores(world.registry), rows.aggregates.features(rows.tiers)))
    (scores, features), *others = results
    assert len(features) > 10 and scores
    for other_scores, other_features in others:
        assert_bit_for_bit(features, other_features)
        assert other_scores.keys() == scores.keys()
        for label, series in scores.items():
            assert series.equals(other_scores[label])
            assert series.to_numpy().tobytes() == other_scores[label].to_numpy().tobytes()


# -- the audit of a source --------------------------------------------------------------


class HandMadeTraffic(TrafficSource):
    """Customers and attackers alike, except that attackers exit from one foreign country."""

    def __init__(self, declared: frozenset[str], customers: int = 240, attackers: int = 60) -> None:
        super().__init__("hand-made", "<test>", 0, ORIGIN, 86400.0, ("tier-1",), declared)
        self.customers, self.attackers = customers, attackers

    def stream(self, progress=None):
        rng = np.random.default_rng(3)
        n = self.customers + self.attackers
        ids = np.array([f"acct_{i:04d}" for i in rng.permutation(n)], dtype=object)
        self._truth = pd.DataFrame({"account_id": ids, "is_attacker": np.arange(n) >= self.customers})
        rows = 20 * n
        owner = rng.integers(0, n, rows)
        attacker = owner >= self.customers
        home = np.array(["US", "DE", "FR", "GB"], dtype=object)
        declared = home[np.arange(n) % home.size]
        requests = make_batch(
            account_id=ids[owner],
            ts=np.sort(rng.uniform(0, 86400, rows)),
            country=np.where(attacker, "SG", declared[owner]),
            ip=[f"10.{a % 200}.{b}.1" for a, b in zip(owner, rng.integers(0, 4, rows), strict=True)],
            model=rng.choice(["m1", "m2"], rows),
            turn=rng.integers(0, 3, rows).astype(np.int16),
            conversation_id=rng.integers(0, 2**63, rows).astype(np.uint64),
            input_tokens=rng.integers(10, 1000, rows).astype(np.int32),
            output_tokens=rng.integers(10, 1000, rows).astype(np.int32),
            max_tokens=np.full(rows, 2000, dtype=np.int32),
        ).table
        accounts = make_accounts(
            account_id=ids,
            declared_country=declared,
            email_domain=["gmail.com"] * n,
            email=["a@gmail.com"] * n,
            payment_fingerprint=[f"pm_{i}" for i in range(n)],
            org_id=[f"o_{i}" for i in range(n)],
            tier=["tier-1"] * n,
            signup_pathway=["direct"] * n,
        )
        yield requests, accounts

    def labels(self) -> pd.DataFrame:
        return self._truth


def test_an_undeclared_separating_feature_is_an_artefact_and_a_declared_one_is_not() -> None:
    undeclared = audit(HandMadeTraffic(frozenset()))
    assert undeclared.audited and undeclared.attackers == 60
    assert "exit_country_mismatch" in undeclared.artefacts and "declared_country_share" in undeclared.artefacts
    assert undeclared.worst_undeclared is not None and undeclared.worst_undeclared.lift == pytest.approx(1.0)
    assert {FEATURE_SIGNALS[name] for name in undeclared.artefacts if name != "three_flag_rule"} <= {
        "exits",
        "geography",
    }
    declared = audit(HandMadeTraffic(frozenset({"exits", "geography"})))
    assert declared.artefacts == [], declared.describe_artefacts()
    assert declared.worst_undeclared is not None and declared.worst_undeclared.lift < 0.4
    assert declared.ceiling is not None and declared.ceiling.lift > 0.9
    assert declared.three_flag is not None and declared.three_flag.declared


# -- scenarios, folders and the command line ---------------------------------------------


@pytest.fixture(scope="module")
def undeclared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """quickstart without its campaign's ``signals:``: its declared tactics become artefacts."""
    text = QUICKSTART.read_text(encoding="utf-8")
    kept = [line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("signals:")]
    assert len(kept) == len(text.splitlines()) - 1
    path = tmp_path_factory.mktemp("undeclared") / "quickstart.yaml"
    path.write_text("".join(kept), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def quickstart_folder(tmp_path_factory: pytest.TempPathFactory, undeclared: Path) -> Path:
    out = tmp_path_factory.mktemp("audit") / "quickstart"
    result = runner.invoke(app, ["simulate", str(undeclared), *SMALL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_same_input_and_seed_give_identical_json() -> None:
    first = audit_document([audit_path(QUICKSTART, scale=0.2, duration=21600)])
    second = audit_document([audit_path(QUICKSTART, scale=0.2, duration=21600)])
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    scenario = first["scenarios"][0]
    assert scenario["attackers"] > 0 and len(scenario["features"]) == len(FEATURE_NAMES)


def test_a_simulated_folder_audits_like_the_scenario_it_came_from(quickstart_folder: Path, undeclared: Path) -> None:
    from_folder = audit_path(quickstart_folder).to_dict()
    in_memory = audit_path(undeclared, scale=0.2, duration=21600).to_dict()
    for key in ("features", "three_flag_rule", "supervised_ceiling", "accounts", "attackers", "requests"):
        assert from_folder[key] == in_memory[key], key


def invoke(*args: str):
    return runner.invoke(app, ["audit", *args])


def test_the_cli_exits_1_on_an_undeclared_artefact_and_names_it(tmp_path: Path, undeclared: Path) -> None:
    result = invoke(str(undeclared), *SMALL, "--out", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert "worst undeclared feature:" in result.output and "(artefact)" in result.output
    assert "three-flag rule" in result.output and "supervised ceiling" in result.output
    assert "artefacts in 1 of 1 scenario: quickstart" in result.output
    document = json.loads((tmp_path / "audit.json").read_text())
    assert document["artefacts"] > 0
    csv = pd.read_csv(tmp_path / "audit.csv", keep_default_na=False, na_values=["", "nan"])
    assert set(csv["kind"]) == {"feature", "rule", "ceiling"}
    assert len(csv) == len(FEATURE_NAMES) + 2


def test_the_cli_exits_0_when_every_separating_signal_is_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    import simulator.audit.sources as sources

    monkeypatch.setattr(sources, "declared_signals", lambda scenario: set(SIGNALS))
    result = invoke(str(QUICKSTART), *SMALL, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["artefacts"] == 0
    assert document["scenarios"][0]["declared_signals"] == sorted(SIGNALS)


def test_the_cli_exits_0_on_a_scenario_without_attackers() -> None:
    result = invoke(str(ROOT / "scenarios" / "legit-only.yaml"), "--scale", "0.02", "--duration", "3h")
    assert result.exit_code == 0, result.output
    assert "no attackers: nothing to audit" in result.output


def test_the_cli_exits_2_with_a_located_error_on_a_bad_scenario(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(QUICKSTART.read_text().replace("    accounts: 300", "    acounts: 300"))
    result = invoke(str(bad), str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2
    assert f"{bad}:" in result.output and "unknown field 'acounts'" in result.output
    assert "missing.yaml: expected an existing scenario file; got no such file" in result.output
    assert "Traceback" not in result.output


def test_the_cli_exits_2_on_a_folder_that_is_not_a_simulation(tmp_path: Path, quickstart_folder: Path) -> None:
    result = invoke(str(tmp_path))
    assert result.exit_code == 2
    assert "expected a folder written by `extractbench simulate`" in result.output
    assert "missing requests.parquet" in result.output
    result = invoke(str(quickstart_folder), "--scale", "0.5")
    assert result.exit_code == 2
    assert "a simulated folder is audited as written" in result.output


def test_the_cli_audits_a_simulated_folder(quickstart_folder: Path) -> None:
    result = invoke(str(quickstart_folder), "--top", "3")
    assert result.exit_code == 1, result.output
    assert "as written" in result.output
