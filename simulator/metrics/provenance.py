"""Provenance evidence from output watermarks: could we prove a student was trained on our outputs?

The model chains two results of the watermarking literature.

**Green-list watermark** (Kirchenbauer et al. 2023, "A Watermark for Large Language
Models"). At every step a pseudo-random share ``γ`` of the vocabulary is "green" and
its logits get a bias ``δ``. For a token whose distribution is spread enough for the
bias to act (a share ``h`` of tokens, the entropy factor), the chance it is green is

    p_w = γ·e^δ / (1 + γ·(e^δ − 1))

so a watermarked token is green with chance ``γ + h·(p_w − γ)``. A text of ``T``
scored tokens with ``|s|_G`` green ones gives the one-sided z-statistic

    z = (|s|_G − γT) / sqrt(T·γ·(1 − γ)).

**Radioactivity** (Sander et al. 2024, "Watermarking Makes Language Models
Radioactive"). A student fine-tuned on watermarked text inherits part of the bias:
its outputs (or its scores on the harvested prompts, deduplicated) are green with
chance ``γ + b_s`` where

    b_s = κ · d · r · h · (p_w − γ)

with ``κ`` the share of the bias a student trained only on watermarked text shows
(``transfer``), ``d`` the share of the student's training tokens that came from us
(``student_share``), and ``r`` the share of the bias left after the campaign
paraphrased or filtered the outputs (``retention``). Scoring ``N = s · k · T``
tokens, where ``T`` is the output harvested, ``k`` the share the campaign kept
(filtering) and ``s`` the share the test can score after deduplication, the
expected statistic is

    E[z](T) = b_s · sqrt(N) / sqrt(γ(1 − γ))

which grows as ``sqrt(T)``. The evidence crosses the significance level ``α`` (one-sided,
``z_α = Φ⁻¹(1 − α)``) once

    T* = z_α² · γ(1 − γ) / (b_s² · s · k)        (output tokens harvested).

The expected statistic is used (no sampling): the figure is the harvest at which
the test is expected to succeed, not one draw of it.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

__all__ = ["green_probability", "student_bias", "tokens_to_evidence", "z_score", "z_threshold"]


def green_probability(strength: float, gamma: float) -> float:
    """``p_w = γ e^δ / (1 + γ (e^δ − 1))``: the chance a fully biased token is green.

    >>> round(green_probability(2.0, 0.25), 4)
    0.7112
    """
    boost = math.exp(strength)
    return gamma * boost / (1 + gamma * (boost - 1))


def student_bias(
    strength: float, gamma: float, entropy: float, transfer: float, student_share: float, retention: float
) -> float:
    """``b_s = κ · d · r · h · (p_w − γ)``: the excess green share of the student's tokens."""
    return transfer * student_share * retention * entropy * (green_probability(strength, gamma) - gamma)


def z_score(green: float, scored: float, gamma: float) -> float:
    """``z = (|s|_G − γT) / sqrt(Tγ(1 − γ))`` for ``green`` green tokens among ``scored`` (NaN for none).

    >>> z_score(green=40, scored=100, gamma=0.25)
    3.4641016151377544
    """
    if scored <= 0:
        return math.nan
    return (green - gamma * scored) / math.sqrt(scored * gamma * (1 - gamma))


def z_threshold(alpha: float) -> float:
    """``z_α = Φ⁻¹(1 − α)``, the one-sided critical value.

    >>> round(z_threshold(0.05), 3)
    1.645
    """
    return float(norm.isf(alpha))


def expected_z(harvested: np.ndarray | float, bias: float, gamma: float, scored: float, kept: float) -> np.ndarray:
    """``E[z] = b_s · sqrt(s · k · T) / sqrt(γ(1 − γ))`` for ``T = harvested`` output tokens."""
    tokens = scored * kept * np.asarray(harvested, dtype=np.float64)
    return bias * np.sqrt(tokens) / math.sqrt(gamma * (1 - gamma))


def tokens_to_evidence(bias: float, gamma: float, scored: float, kept: float, alpha: float) -> float:
    """``T* = z_α² γ(1 − γ) / (b_s² s k)``: output tokens harvested until the expected
    statistic reaches ``z_α`` (inf when the student carries no bias)."""
    if bias <= 0 or kept <= 0:
        return math.inf
    return z_threshold(alpha) ** 2 * gamma * (1 - gamma) / (bias**2 * scored * kept)
