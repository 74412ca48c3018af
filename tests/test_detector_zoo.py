"""The built-in detectors catch the behaviour they are named after, on hand-made traffic."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest

from detectors.capability import CapabilityConcentration
from detectors.ensemble import Ensemble
from detectors.infrastructure import SharedInfrastructure
from detectors.lifecycle import AccountLifecycle
from detectors.prada import QueryDistribution
from detectors.rate import RateSaturation
from detectors.shift import WindowShift
from detectors.synchrony import Lockstep
from detectors.templates import TemplateRepetition
from detectors.testing import make_accounts, make_batch
from simulator.hashing import splitmix64
from simulator.prompts import flip_bits

DAY = 86400.0


def run(detector, batches) -> pd.Series:
    """Each account's latest score after the stream."""
    latest: dict[str, float] = {}
    for batch in batches:
        scores = detector.update(batch)
        if scores is not None:
            latest.update(scores.to_dict())
    return pd.Series(latest, dtype=float)


def ticks(n: int, make) -> list:
    return [make(tick) for tick in range(n)]


def test_rate_saturation_ranks_throttled_and_pinned_accounts_above_light_ones() -> None:
    def tick(k: int):
        accounts = ["throttled"] * 60 + ["pinned"] * 50 + ["light"]
        status = [429] * 30 + [200] * 30 + [200] * 51
        return make_batch(k, account_id=accounts, status=np.array(status, dtype=np.int16))

    scores = run(RateSaturation(), ticks(30, tick))
    assert scores["throttled"] > scores["pinned"] > scores["light"]
    assert scores["light"] < 0.05


def test_capability_concentration_prefers_chain_of_thought_sweeps_of_high_value_topics() -> None:
    sweep = ["reasoning", "coding", "math", "agentic_tool_use", "rubric_grading", "rewrite"]

    def tick(k: int):
        topics = [sweep[(k + i) % 6] for i in range(6)] + ["coding"] * 6 + ["chit_chat", "creative_writing"] * 3
        accounts = ["extractor"] * 6 + ["developer"] * 6 + ["chatter"] * 6
        return make_batch(k, account_id=accounts, topic=topics, cot_requested=[True] * 6 + [False] * 12)

    scores = run(CapabilityConcentration(), ticks(20, tick))
    assert scores["extractor"] > 0.6 > scores["developer"] > scores["chatter"]


def test_template_repetition_scores_shared_templates_above_self_repetition_above_fresh_prompts() -> None:
    rng = np.random.default_rng(0)
    bases = rng.integers(0, 2**63, size=3, dtype=np.uint64)
    ring = [f"ring{i}" for i in range(6)]

    def tick(k: int):
        shared = flip_bits(rng, bases[rng.integers(0, 3, size=12)], 0.03)
        own = flip_bits(rng, np.full(2, bases[0] ^ np.uint64(0xFFFF_FFFF)), 0.03)
        fresh = rng.integers(0, 2**63, size=6, dtype=np.uint64)
        accounts = [ring[i % 6] for i in range(12)] + ["batch"] * 2 + [f"chat{i}" for i in range(6)]
        return make_batch(k, account_id=accounts, prompt_simhash=np.concatenate([shared, own, fresh]))

    scores = run(TemplateRepetition(), ticks(20, tick))
    assert scores[ring].min() > 0.5
    assert scores[ring].min() > scores["batch"] > scores[[f"chat{i}" for i in range(6)]].max()


def test_lockstep_groups_accounts_that_fire_together() -> None:
    rng = np.random.default_rng(1)
    bots, users = [f"bot{i}" for i in range(12)], [f"user{i}" for i in range(12)]

    def tick(k: int):
        active = [u for u in users if rng.random() < 0.25]  # people come and go
        ts = np.r_[k * 60.0 + 20.0 + rng.normal(0, 1.0, size=12), k * 60.0 + rng.uniform(0, 60, size=len(active))]
        accounts = np.array(bots + active)
        order = np.argsort(ts)
        return make_batch(k, account_id=accounts[order], ts=ts[order])

    scores = run(Lockstep(every=5), ticks(20, tick)).reindex(bots + users).fillna(0.0)
    assert scores[bots].min() >= 0.5 and scores[users].max() < 0.3


def test_shared_infrastructure_finds_the_ring_behind_shared_clients_and_cards() -> None:
    ring, others = [f"ring{i}" for i in range(10)], [f"cust{i}" for i in range(30)]
    registry = make_accounts(
        account_id=ring + others,
        payment_fingerprint=["pm_shared"] * 10 + [f"pm_{i}" for i in range(30)],
        email=[f"user{i}@mailinator.com" for i in range(10)] + [f"{n}@corp{i}.com" for i, n in enumerate("ab" * 15)],
    )

    def tick(k: int):
        return make_batch(
            k,
            accounts=registry if k == 0 else None,
            account_id=ring + others,
            client_fingerprint=[f"fp{i % 2}" for i in range(10)] + [f"own{i}" for i in range(30)],
            asn=np.array([7] * 10 + list(range(100, 130)), dtype=np.int32),
            ip=[f"5.5.{k}.{i}" for i in range(10)] + [f"9.{i}.0.1" for i in range(30)],
        )

    scores = run(SharedInfrastructure(every=5), ticks(10, tick)).reindex(ring + others).fillna(0.0)
    assert scores[ring].min() > 0.5 and scores[others].max() == 0.0


def test_prada_rejects_normality_for_templated_queries_more_than_for_independent_ones() -> None:
    rng = np.random.default_rng(2)
    bases = rng.integers(0, 2**63, size=40, dtype=np.uint64)
    people = [f"person{i}" for i in range(10)]

    def tick(k: int):
        templated = flip_bits(rng, bases[rng.integers(0, 40, size=3)], 0.02)
        independent = rng.integers(0, 2**63, size=30, dtype=np.uint64)
        return make_batch(k, account_id=["scraper"] * 3 + people * 3, prompt_simhash=np.r_[templated, independent])

    scores = run(QueryDistribution(), ticks(40, tick))
    # repeats of a template sit a bit apart, new templates far: a bimodal, far from normal, sequence
    assert scores["scraper"] > 0.999 and scores[people].median() < 0.9


def test_lifecycle_flags_a_wave_of_weak_pathway_signups_and_replacements_after_bans() -> None:
    rng = np.random.default_rng(3)
    n_old, n_wave = 300, 40
    ids = [f"old{i}" for i in range(n_old)] + [f"wave{i}" for i in range(n_wave)] + ["student"]
    created = np.r_[-rng.uniform(1, 300, size=n_old), -10.5 + rng.uniform(0, 0.5, size=n_wave), -40.2] * DAY
    registry = make_accounts(
        account_id=ids,
        created_ts=created,
        signup_pathway=["direct"] * n_old + ["education"] * (n_wave + 1),
        payment_fingerprint=[f"pm_{i}" for i in range(n_old)] + ["pm_wave"] * n_wave + ["pm_student"],
        email=[f"{i}@x.com" for i in range(len(ids))],
    )
    detector = AccountLifecycle()
    first = detector.update(make_batch(0, accounts=registry)).reindex(ids).fillna(0.0)
    assert first[[f"wave{i}" for i in range(n_wave)]].min() > 0.9
    assert first["student"] < 0.5 and first[[f"old{i}" for i in range(n_old)]].max() < 0.5
    banned = make_batch(1, account_id=["wave0"], status=np.array([403], dtype=np.int16), ts=[61.0])
    replacement = make_accounts(account_id=["fresh"], created_ts=[130.0], signup_pathway=["direct"],
                                payment_fingerprint=["pm_wave"], email=["z@y.com"])  # fmt: skip
    detector.update(banned)
    after = detector.update(make_batch(2, accounts=replacement, account_id=["fresh"], ts=[150.0]))
    assert after["fresh"] >= 1 / 3


def test_window_shift_blames_the_accounts_that_moved_the_stream() -> None:
    rng = np.random.default_rng(4)

    def tick(k: int):
        n = 30
        accounts = [f"cust{i}" for i in rng.integers(0, 20, size=n)]
        topics = rng.choice(["chit_chat", "general_qa", "creative_writing"], size=n).tolist()
        cot, out = [False] * n, rng.integers(50, 300, size=n).tolist()
        if k >= 15:  # new accounts join with long chain-of-thought reasoning
            accounts += [f"new{i}" for i in range(10)]
            topics += ["reasoning"] * 10
            cot += [True] * 10
            out += [2000] * 10
        return make_batch(k, account_id=accounts, topic=topics, cot_requested=cot,
                          output_tokens=np.array(out, dtype=np.int32))  # fmt: skip

    scores = run(WindowShift(group=None, reference=600.0, window_half_life=300.0), ticks(30, tick))
    new = scores[[f"new{i}" for i in range(10)]]
    assert new.min() > 0.5 and new.min() > scores.filter(like="cust").max()


def test_the_ensemble_mean_is_the_mean_of_its_members_latest_scores() -> None:
    batches = ticks(5, lambda k: make_batch(k, account_id=["a", "b", "a"], cot_requested=[True, False, True]))
    members = ("capability", "rate")
    fused = run(Ensemble(members=members, method="mean"), batches)
    separate = pd.concat([run(CapabilityConcentration(), batches), run(RateSaturation(), batches)], axis=1)
    pd.testing.assert_series_equal(fused, separate.fillna(0.0).mean(axis=1), check_names=False)


@pytest.mark.parametrize("method", ["fisher", "rank-mean", "max"])
def test_rank_fusions_stay_in_range(method: str) -> None:
    batches = ticks(12, lambda k: make_batch(k, account_id=["a", "b", "c"], cot_requested=[True, False, False]))
    fused = run(Ensemble(members=("capability", "rate"), method=method, refresh=3), batches)
    assert fused.between(0, 1).all()


def test_an_ensemble_cannot_contain_itself() -> None:
    with pytest.raises(ValueError, match="other than 'ensemble'"):
        Ensemble(members=("ensemble",)).update(make_batch(0))


def test_lifecycle_rejects_risks_outside_the_unit_interval() -> None:
    with pytest.raises(ValueError, match="pathway_risk values must be numbers in \\[0, 1\\]"):
        AccountLifecycle(pathway_risk={"education": 2.0}).update(make_batch(0))


def test_account_bits_of_templates_are_stable_across_runs() -> None:
    a, b = TemplateRepetition(), TemplateRepetition()
    batch = make_batch(0, account_id=["x", "y"], prompt_simhash=splitmix64(np.arange(2)))
    pd.testing.assert_series_equal(a.update(batch), b.update(batch))


def test_isolation_scores_are_score_samples_bit_for_bit() -> None:
    from sklearn.ensemble import IsolationForest

    from detectors.anomaly import _Forest, isolation_scores

    rng = np.random.default_rng(5)
    for n, width in [(600, 12), (40, 3)]:
        x = rng.normal(size=(n, width))
        x[::5, 1] = 0.0  # ties, as rolling features have
        plain = IsolationForest(n_estimators=30, max_samples=min(256, n), random_state=7).fit(x)
        fast = _Forest(n_estimators=30, max_samples=min(256, n), random_state=7).fit(x)
        for a, b in zip(plain.estimators_, fast.estimators_, strict=True):
            assert np.array_equal(a.tree_.feature, b.tree_.feature)
            assert np.array_equal(a.tree_.threshold, b.tree_.threshold)
        y = rng.normal(size=(200, width))
        expected = -1.0 * np.asarray(plain.score_samples(y), dtype=np.float64)
        assert isolation_scores(fast, y).tobytes() == expected.tobytes()
        assert isolation_scores(plain, y).tobytes() == expected.tobytes()


def test_prada_within_tick_distances_match_a_loop_over_lags() -> None:
    from detectors.accounts import runs
    from detectors.prada import _closest_earlier

    rng = np.random.default_rng(0)
    for _ in range(50):
        n, memory = int(rng.integers(1, 300)), int(rng.integers(1, 80))
        accounts = np.sort(rng.integers(0, int(rng.integers(1, 20)), n))
        fp = rng.integers(0, 2**63, n, dtype=np.uint64)
        rank, _ = runs(accounts)
        expected = np.full(n, 64)
        for row in range(n):
            for lag in range(1, min(memory, int(rank[row])) + 1):
                expected[row] = min(expected[row], int(np.bitwise_count(fp[row] ^ fp[row - lag])))
        assert _closest_earlier(fp, rank, memory).tolist() == expected.tolist()


def test_prada_rings_keep_the_newest_values_and_distances_to_them_match_a_loop() -> None:
    from detectors.prada import _append, _closest_stored

    rng = np.random.default_rng(1)
    k, accounts = 5, 7
    ring = np.zeros((accounts, k), dtype=np.uint64)
    count = np.zeros(accounts, dtype=np.int64)
    history: list[list[int]] = [[] for _ in range(accounts)]
    for _ in range(30):
        touched = rng.choice(accounts, size=int(rng.integers(1, accounts + 1)), replace=False)
        sizes = rng.integers(0, 9, touched.size)
        fp = rng.integers(0, 2**63, int(sizes.sum()), dtype=np.uint64)
        closest = _closest_stored(ring[touched], count[touched], sizes, fp)
        for i, (a, rows) in enumerate(zip(touched, np.split(fp, np.cumsum(sizes)[:-1]), strict=True)):
            for j, value in enumerate(rows.tolist()):
                if history[a]:
                    nearest = min(int(np.bitwise_count(np.uint64(value) ^ np.uint64(h))) for h in history[a][-k:])
                    assert closest[int(sizes[:i].sum()) + j] == nearest
        _append(ring, count, touched, sizes, np.arange(fp.size) - np.repeat(np.cumsum(sizes) - sizes, sizes), fp)
        for a, rows in zip(touched, np.split(fp, np.cumsum(sizes)[:-1]), strict=True):
            history[a].extend(rows.tolist())
        for a in range(accounts):
            assert sorted(ring[a, : min(len(history[a]), k)].tolist()) == sorted(history[a][-k:])


def test_the_views_email_shape_hash_is_the_salted_hash_of_the_shapes() -> None:
    from detectors.accounts import hash_strings
    from detectors.emails import email_patterns
    from detectors.view import view

    emails = ["JSmith42@Mail.com", "ab12cd@x.org", "no-at-sign", "Ünï99@exämple.de"]
    accounts = make_accounts(account_id=["a", "b", "c", "d"], email=emails)
    batch = make_batch(account_id=["a"], accounts=accounts)
    for salt in (22, 33):
        expected = hash_strings(email_patterns(accounts["email"]), salt=salt)
        assert np.array_equal(splitmix64(view(batch).registry_email_pattern_hash ^ np.uint64(salt)), expected)
    assert email_patterns(pd.Series(emails)).tolist()[:3] == ["a0@mail.com", "a0a@x.org", "a-a-a@"]


def test_email_patterns_of_ascii_addresses_are_those_of_pythons_regular_expressions() -> None:
    from detectors.emails import _ascii_patterns, email_patterns

    emails = pd.Series(
        ["JSmith42@Mail.com", "ab12cd@x.org", "no-at-sign", "a@b@c", "", "@", "x\n1@y", "__1_a@Q", "AbC9d8@@"],
        dtype="str",
    )
    parts = emails.str.lower().str.split("@", n=1)
    shape = parts.str[0].str.replace(r"[^\W\d_]+", "a", regex=True).str.replace(r"\d+", "0", regex=True)
    expected = shape + "@" + parts.str[1].fillna("")
    assert _ascii_patterns(emails) is not None  # the vectorised path is the one checked
    assert email_patterns(emails).tolist() == expected.tolist()
    assert email_patterns(emails).dtype == expected.dtype
    assert _ascii_patterns(pd.Series(["Ünï99@exämple.de"], dtype="str")) is None  # Unicode: Python's classes
    assert email_patterns(pd.Series(["Ünï99@exämple.de"], dtype="str")).tolist() == ["a0@exämple.de"]


def test_template_bitmaps_set_every_bit_of_repeated_buckets_as_or_at_does() -> None:
    from detectors.templates import _set_bits

    rng = np.random.default_rng(3)
    for _ in range(50):
        size, n = int(rng.integers(1, 40)), int(rng.integers(0, 400))
        bitmaps = rng.integers(0, 2**63, size, dtype=np.uint64) & rng.integers(0, 2**63, size, dtype=np.uint64)
        at = rng.integers(0, size, n)
        bits = np.uint64(1) << rng.integers(0, 64, n).astype(np.uint64)
        expected = bitmaps.copy()
        np.bitwise_or.at(expected, at, bits)
        _set_bits(bitmaps, at, bits)
        assert bitmaps.tolist() == expected.tolist()


def test_window_shift_vectors_and_streams_from_the_view_match_the_frame() -> None:
    from detectors.shift import _streams, _vectors, request_vectors
    from detectors.view import view

    rng = np.random.default_rng(5)
    n = 50
    batch = make_batch(
        0,
        account_id=[f"a{i}" for i in rng.integers(0, 9, n)],
        topic=rng.choice(["coding", "reasoning", "not-a-topic"], n).tolist(),
        pathway=rng.choice(["reseller", "direct_api"], n).tolist(),
        input_tokens=rng.integers(0, 5000, n).astype(np.int32),
        output_tokens=rng.integers(0, 5000, n).astype(np.int32),
        cot_requested=(rng.random(n) < 0.5).tolist(),
        turn=rng.integers(0, 3, n).astype(np.int16),
    )
    v = view(batch)
    assert _vectors(v).tobytes() == request_vectors(batch.requests).astype(np.float32).tobytes()
    group_of, names = _streams(v, "pathway")
    expected_names, expected_groups = np.unique(batch.requests["pathway"].astype(str), return_inverse=True)
    assert names == expected_names.tolist() and group_of.tolist() == expected_groups.tolist()


@pytest.mark.parametrize("accounts", [1, 3, 40])
def test_window_shift_account_rows_are_the_views_request_counts_and_vector_sums_bit_for_bit(accounts: int) -> None:
    from detectors.shift import _account_rows
    from detectors.view import view

    rng = np.random.default_rng(accounts)
    for n in (1, 7, 300):
        v = view(make_batch(0, account_id=[f"a{i}" for i in rng.integers(0, accounts, n)]))
        phi = (rng.normal(size=(n, 6)) * 10.0 ** rng.integers(-8, 8, size=(n, 1))).astype(np.float32)
        phi[rng.random(n) < 0.3, 2] = -0.0  # an account of only −0.0 sums to +0.0, as from a zeroed sum
        phi[:, 3] = -0.0
        rows = _account_rows(v, phi)
        assert rows[:, 0].tobytes() == v.account_sum("requests").tobytes()
        assert rows[:, 1:].tobytes() == v.account_vector_sum(phi).tobytes()


def test_prada_scores_do_not_depend_on_the_order_of_a_ticks_rows() -> None:
    rng = np.random.default_rng(6)
    in_order, shuffled = QueryDistribution(distances=20), QueryDistribution(distances=20)
    for k in range(8):
        n = 40
        columns = {
            "account_id": np.array([f"a{i}" for i in rng.integers(0, 3, n)], dtype=object),
            "ts": k * 60.0 + np.sort(rng.random(n)) * 60.0,
            "prompt_simhash": rng.integers(0, 2**63, n, dtype=np.uint64),
        }
        order = rng.permutation(n)
        expected = in_order.update(make_batch(k, **columns))
        got = shuffled.update(make_batch(k, **{name: values[order] for name, values in columns.items()}))
        if k >= 1:
            assert expected is not None and got is not None
            pd.testing.assert_series_equal(expected.sort_index(), got.sort_index())  # codes: first come, first served


@pytest.mark.filterwarnings("ignore:Precision loss:RuntimeWarning")  # scipy, on the constant row
@pytest.mark.parametrize("size", [20, 32, 129, 300])
def test_prada_normality_p_values_are_scipys_bit_for_bit(size: int) -> None:
    from scipy import stats

    from detectors.prada import normaltest_pvalues

    rng = np.random.default_rng(size)
    samples = np.vstack([rng.normal(size=(5, size)), rng.integers(0, 20, (5, size)).astype(float), np.ones((1, size))])
    expected = stats.normaltest(samples, axis=1).pvalue
    assert normaltest_pvalues(samples).tobytes() == expected.tobytes()


@pytest.mark.parametrize("bucket_seconds", [60.0, 0.5])  # few elements a tick (shared minima), and many
def test_lockstep_signatures_are_the_minima_over_each_accounts_requests(bucket_seconds: float) -> None:
    rng = np.random.default_rng(4)
    accounts = np.array([f"a{i}" for i in rng.integers(0, 40, 300)])
    ts = np.sort(rng.uniform(0.0, 60.0, 300))
    models = rng.choice(["m1", "m2", "m3"], 300)
    detector = Lockstep(bucket_seconds=bucket_seconds, signature=8)
    detector.update(make_batch(0, account_id=accounts, ts=ts, model=models))
    hashes = detector.action_hashes_
    expected: dict[str, np.ndarray] = {}
    for account, t, model in zip(accounts, ts, models, strict=True):
        action = np.uint64(hashes[model])
        main = splitmix64(np.uint64(np.floor(t / bucket_seconds)) ^ action)
        shifted = splitmix64(splitmix64(np.uint64(np.floor(t / bucket_seconds + 0.5)) ^ action) ^ np.uint64(0x5BD1E995))
        row = np.minimum(splitmix64(main ^ detector.salts_), splitmix64(shifted ^ detector.salts_))
        expected[account] = np.minimum(expected.get(account, row), row)
    codes = detector.index_.lookup(list(expected))
    assert np.array_equal(detector.index_["signature"][codes, 0], np.array(list(expected.values())))


@pytest.mark.parametrize("shape", [(7, 0), (7, 1), (7, 5), (7, 16), (0, 16)])
def test_lockstep_row_medians_are_numpys_medians(shape: tuple[int, int]) -> None:
    from detectors.synchrony import _numbered, _row_medians

    values = np.random.default_rng(shape[1]).integers(0, 9, shape)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning) if shape[1] == 0 else nullcontext():
        expected = np.median(values, axis=1)
    assert np.array_equal(_row_medians(values), expected, equal_nan=True)
    for bound in (16, 1 << 20):  # by a table, and by sorting
        distinct, position = _numbered(values.ravel() % 16, bound)
        expected_distinct, expected_position = np.unique(values.ravel() % 16, return_inverse=True)
        assert np.array_equal(distinct, expected_distinct) and np.array_equal(position, expected_position)


def test_lifecycle_links_a_replacement_to_a_banned_account_by_its_last_client_fingerprint() -> None:
    def accounts(names: list[str], created: float) -> pd.DataFrame:
        n = len(names)
        return make_accounts(account_id=names, created_ts=[created] * n, signup_pathway=["direct"] * n,
                             payment_fingerprint=[f"pm_{name}" for name in names],
                             email=[f"{name}@{name}.com" for name in names])  # fmt: skip

    detector = AccountLifecycle()
    detector.update(make_batch(0, accounts=accounts(["banned"], -5 * DAY), account_id=["banned"],
                               client_fingerprint=["fp_old"]))  # fmt: skip
    detector.update(make_batch(1, account_id=["banned"] * 2, client_fingerprint=["fp_old", "fp_last"], ts=[70.0, 80.0]))
    detector.update(make_batch(2, account_id=["banned"], status=np.array([403], dtype=np.int16), ts=[125.0],
                               client_fingerprint=["fp_last"]))  # fmt: skip
    after = detector.update(make_batch(3, accounts=accounts(["late", "stale"], 170.0), account_id=["late", "stale"],
                                       ts=[181.0, 182.0], client_fingerprint=["fp_last", "fp_old"]))  # fmt: skip
    assert after is not None
    scores = after.reindex(["late", "stale"]).fillna(0.0)
    # both created after the ban; only one on the fingerprint the banned account used last
    assert scores["late"] > scores["stale"] + 0.3
