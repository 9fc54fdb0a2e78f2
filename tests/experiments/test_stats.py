"""wanamaker.experiments.stats against published numbers (Newcombe 1998), an independent implementation (scipy.stats,
closed forms) and simulation: the A/A sequential false-claim rate under 1,000 daily looks, and time-uniform
coverage when there is an effect."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, special
from scipy import stats as ss

from wanamaker.experiments import stats

# Newcombe (1998), Statistics in Medicine 17:873, table II, method 10 (hybrid score, no continuity correction), 95 %
NEWCOMBE = [((56, 70, 48, 80), (0.0524, 0.3339)),
            ((9, 10, 3, 10), (0.1705, 0.8090)),
            ((0, 10, 0, 20), (-0.1611, 0.2775)),
            ((0, 10, 0, 10), (-0.2775, 0.2775))]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE)
def test_newcombe_published_numbers(counts: tuple[int, int, int, int], published: tuple[float, float]) -> None:
    ci = stats.newcombe(*counts, 0.95)
    assert ci is not None
    assert ci[0] == pytest.approx(published[0], abs=1e-4) and ci[1] == pytest.approx(published[1], abs=1e-4)


@pytest.mark.parametrize(("x", "n"), [(0, 10), (3, 10), (56, 70), (1, 1000), (999, 1000), (5000, 10000)])
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_wilson_matches_scipy(x: int, n: int, level: float) -> None:
    ours = stats.wilson(x, n, level)
    theirs = ss.binomtest(x, n).proportion_ci(confidence_level=level, method="wilson")
    assert ours == pytest.approx((theirs.low, theirs.high), abs=1e-12)


@pytest.mark.parametrize("counts", [(56, 70, 48, 80), (120, 4000, 90, 4100), (3, 50, 0, 60), (10, 10, 9, 10)])
def test_p_value_is_pearson_chi_square(counts: tuple[int, int, int, int]) -> None:
    x_t, n_t, x_c, n_c = counts
    table = [[x_t, n_t - x_t], [x_c, n_c - x_c]]
    assert stats.two_proportion_p_value(*counts) == pytest.approx(
        ss.chi2_contingency(table, correction=False).pvalue, rel=1e-9)


def test_p_value_without_variation_is_one() -> None:
    assert stats.two_proportion_p_value(0, 10, 0, 20) == 1.0
    assert stats.two_proportion_p_value(1, 0, 0, 20) is None


def test_welch_matches_scipy_on_raw_data() -> None:
    rng = np.random.default_rng(3)
    a = np.where(rng.random(400) < 0.2, rng.lognormal(4, 1, 400), 0.0)
    b = np.where(rng.random(250) < 0.15, rng.lognormal(4.2, 1, 250), 0.0)
    ours = stats.welch(a.mean(), a.var(ddof=1), a.size, b.mean(), b.var(ddof=1), b.size, 0.9)
    ref = ss.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.9)
    assert ours.low == pytest.approx(ci.low, rel=1e-9) and ours.high == pytest.approx(ci.high, rel=1e-9)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert stats.welch(1.0, 0.0, 1, 0.0, 1.0, 5, 0.9).low is None  # one unit: no variance


def test_t_interval_matches_scipy() -> None:
    x = np.array([0.0, 0.0, 120.0, 0.0, 80.0, 0.0, 0.0, 150.0])
    low, high = ss.t.interval(0.9, x.size - 1, loc=x.mean(), scale=ss.sem(x))
    assert stats.t_interval(x.mean(), x.var(ddof=1), x.size, 0.9) == pytest.approx((low, high), rel=1e-12)


@pytest.mark.parametrize(("units", "shares"), [([4000, 2100, 2000, 1700], [0.4, 0.2, 0.2, 0.2]),
                                               ([5000, 5200], [0.5, 0.5]), ([10, 30], [1, 3])])
def test_srm_is_scipy_chisquare(units: list[int], shares: list[float]) -> None:
    total = sum(units)
    expected = [total * s / sum(shares) for s in shares]
    assert stats.srm_p_value(units, shares) == pytest.approx(ss.chisquare(units, expected).pvalue, rel=1e-9)


def test_srm_edge_cases() -> None:
    assert stats.srm_p_value([100], [1.0]) is None  # one arm: nothing to compare
    assert stats.srm_p_value([100, 3], [1.0, 0.0]) == 0.0  # units in an arm planned at 0
    assert stats.srm_p_value([100, 0], [1.0, 0.0]) is None


def _prob_better_exact(x_t: int, n_t: int, x_c: int, n_c: int) -> float:
    """P(p_t > p_c) for p ~ Beta(1 + x, 1 + n - x), by the closed-form sum (Evan Miller, "Formulas for Bayesian A/B
    testing", 2015; integer parameters): sum_i B(a_c + i, b_c + b_t) / ((b_t + i) B(1 + i, b_t) B(a_c, b_c))."""
    a_t, b_t, a_c, b_c = 1 + x_t, 1 + n_t - x_t, 1 + x_c, 1 + n_c - x_c
    i = np.arange(a_t)
    log_terms = (special.betaln(a_c + i, b_c + b_t) - np.log(b_t + i) - special.betaln(1 + i, b_t)
                 - special.betaln(a_c, b_c))
    return float(np.exp(log_terms).sum())


@pytest.mark.parametrize("counts", [(12, 100, 8, 100), (30, 200, 40, 210), (5, 60, 5, 60), (200, 2000, 170, 2000)])
def test_beta_posterior_matches_closed_form_and_quadrature(counts: tuple[int, int, int, int]) -> None:
    post = stats.beta_difference(*counts, 0.9)
    exact = _prob_better_exact(*counts)
    assert post.prob_better == pytest.approx(exact, abs=0.005)  # 200,000 draws: Monte-Carlo sd <= 0.0012
    x_t, n_t, x_c, n_c = counts
    quad = integrate.quad(lambda p: ss.beta.pdf(p, 1 + x_t, 1 + n_t - x_t) * ss.beta.cdf(p, 1 + x_c, 1 + n_c - x_c),
                          0, 1, points=[x_t / n_t, x_c / n_c])[0]
    assert exact == pytest.approx(quad, abs=1e-6)
    mean = (1 + x_t) / (2 + n_t) - (1 + x_c) / (2 + n_c)
    assert post.mean == pytest.approx(mean, abs=5e-4)
    assert post.low < mean < post.high
    assert stats.beta_difference(*counts, 0.9) == post  # the seed is the counts: the same numbers every run


@given(x_t=st.integers(0, 200), extra_t=st.integers(0, 300), x_c=st.integers(0, 200), extra_c=st.integers(0, 300),
       level=st.sampled_from([0.8, 0.9, 0.95]))
def test_newcombe_properties(x_t: int, extra_t: int, x_c: int, extra_c: int, level: float) -> None:
    n_t, n_c = x_t + extra_t, x_c + extra_c
    ci = stats.newcombe(x_t, n_t, x_c, n_c, level)
    if n_t == 0 or n_c == 0:
        assert ci is None
        return
    assert ci is not None
    d = x_t / n_t - x_c / n_c
    assert -1 <= ci[0] <= d + 1e-12 <= ci[1] + 2e-12 <= 1 + 2e-12
    swapped = stats.newcombe(x_c, n_c, x_t, n_t, level)
    assert swapped is not None and swapped == pytest.approx((-ci[1], -ci[0]), abs=1e-12)
    seq = stats.sequential(x_t, n_t, x_c, n_c, 1 - level)
    assert seq is not None and seq.low <= d <= seq.high
    assert (seq.p_value <= 1 - level) == seq.significant or abs(seq.p_value - (1 - level)) < 1e-9


def _daily_paths(rng: np.random.Generator, reps: int, days: int, per_day: int, share: float, p_t: float,
                 p_c: float) -> tuple[np.ndarray, ...]:
    """Cumulative counts after each day: ``per_day`` units a day, ``share`` of them treated."""
    n_t = rng.binomial(per_day, share, (reps, days))
    n_c = per_day - n_t
    x_t, x_c = rng.binomial(n_t, p_t), rng.binomial(n_c, p_c)
    return tuple(np.cumsum(a, axis=1) for a in (x_t, n_t, x_c, n_c))


@pytest.mark.parametrize(("per_day", "share", "rate"), [(40, 0.5, 0.10), (20, 0.3, 0.03), (200, 0.85, 0.05)])
def test_aa_sequential_never_claims_a_winner_more_than_alpha(per_day: int, share: float, rate: float) -> None:
    """An A/A split looked at every day for 1,000 days (2,000 replications): the sequential interval excludes 0 at
    some look in at most alpha = 10 % of them; a fixed 90 % interval read every day claims one most of the time."""
    rng = np.random.default_rng(per_day)
    x_t, n_t, x_c, n_c = _daily_paths(rng, 2000, 1000, per_day, share, rate, rate)
    keep = (n_t[:, 0] > 0) & (n_c[:, 0] > 0)  # a look needs both arms
    x_t, n_t, x_c, n_c = x_t[keep], n_t[keep], x_c[keep], n_c[keep]
    low, high = stats.sequential_paths(x_t, n_t, x_c, n_c, 0.1)
    claimed = ((low > 0) | (high < 0)).any(axis=1).mean()
    assert claimed <= 0.10, claimed
    pt, pc = x_t / n_t, x_c / n_c
    se = np.sqrt(pt * (1 - pt) / n_t + pc * (1 - pc) / n_c)
    naive = (np.abs(pt - pc) > stats.z_value(0.9) * se).any(axis=1).mean()
    assert naive > 0.5  # why the sequential reading exists: peeking at a fixed interval


def test_sequential_covers_a_real_effect_at_every_look() -> None:
    """Time-uniform coverage: with a true lift of 1 point, the interval holds it at every one of 1,000 looks in at
    least 90 % of the replications."""
    rng = np.random.default_rng(11)
    x_t, n_t, x_c, n_c = _daily_paths(rng, 2000, 1000, 60, 0.5, 0.06, 0.05)
    keep = (n_t[:, 0] > 0) & (n_c[:, 0] > 0)
    low, high = stats.sequential_paths(x_t[keep], n_t[keep], x_c[keep], n_c[keep], 0.1)
    covered = ((low <= 0.01) & (0.01 <= high)).all(axis=1).mean()
    assert covered >= 0.90, covered
    assert (low[:, -1] > 0).mean() > 0.8  # and after 30,000 units it has found the effect


def test_sequential_matches_its_scalar_form() -> None:
    one = stats.sequential(60, 500, 40, 500, 0.1)
    low, high = stats.sequential_paths(np.array([60.0]), np.array([500.0]), np.array([40.0]), np.array([500.0]), 0.1)
    assert one is not None and (one.low, one.high) == pytest.approx((low[0], high[0]), rel=1e-12)
    wider = stats.sequential(60, 500, 40, 500, 0.1, target_units=100_000)
    assert wider is not None and wider.high - wider.low > one.high - one.low  # tuned far from n: wider
