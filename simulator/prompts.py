"""Prompts without text: the capability taxonomy, templates and 64-bit fingerprints.

Detectors never see prompt text by default; they see what a provider's pipeline
derives from it:

* ``topic``: a classifier's label from the capability taxonomy :data:`TOPICS`;
* ``language``: a language-identification label from :data:`LANGUAGES`;
* ``cot_requested``: whether the prompt asks for step-by-step reasoning;
* ``prompt_simhash``: a 64-bit SimHash-style near-duplicate fingerprint. Prompts
  rendered from the same template differ in a few bits (Hamming distance about
  ``64 * variation``), unrelated prompts in about 32 bits.

The three labels come from imperfect classifiers: :func:`classify` replaces a true
label by a wrong one with the configured error rate. Every function takes the
caller's own :class:`numpy.random.Generator`, so each actor's draws stay its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.vocabulary import LANGUAGES, TOPICS

__all__ = [
    "LANGUAGES",
    "TOPICS",
    "TemplateLibrary",
    "classify",
    "flip_bits",
    "hamming",
    "language_code",
    "random_fingerprints",
    "topic_code",
]

_TOPIC_INDEX = {name: i for i, name in enumerate(TOPICS)}
_LANGUAGE_INDEX = {name: i for i, name in enumerate(LANGUAGES)}


def topic_code(name: str) -> int:
    """The integer code of a topic name; raises ``KeyError`` naming the valid topics."""
    try:
        return _TOPIC_INDEX[name]
    except KeyError:
        raise KeyError(f"Unknown topic {name!r}; valid topics: {', '.join(TOPICS)}") from None


def language_code(name: str) -> int:
    """The integer code of a language label."""
    try:
        return _LANGUAGE_INDEX[name]
    except KeyError:
        raise KeyError(f"Unknown language {name!r}; valid: {', '.join(LANGUAGES)}") from None


def random_fingerprints(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` independent uniformly random 64-bit fingerprints (unrelated prompts)."""
    return rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)


def flip_bits(rng: np.random.Generator, base: np.ndarray, probability: float | np.ndarray) -> np.ndarray:
    """Flip each of the 64 bits of every fingerprint in ``base`` independently with
    ``probability`` (a scalar or one value per row); expected Hamming distance to the
    base is ``64 * probability``."""
    base = np.asarray(base, dtype=np.uint64)
    p = np.asarray(probability, dtype=np.float64)
    if p.ndim == 1:
        p = p[:, None]
    mask = rng.random((base.size, 64)) < p
    flips = np.packbits(mask, axis=1, bitorder="little").view("<u8").ravel()
    return base ^ flips.astype(np.uint64)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise Hamming distance (0..64) between arrays of 64-bit fingerprints."""
    x = np.bitwise_xor(np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64))
    return np.bitwise_count(x).astype(np.int64)


def classify(rng: np.random.Generator, true_codes: np.ndarray, n_labels: int, error: float) -> np.ndarray:
    """A noisy classifier: each label is replaced, with probability ``error``, by a
    label drawn uniformly from the *other* ``n_labels - 1`` labels."""
    true_codes = np.asarray(true_codes)
    if error <= 0 or true_codes.size == 0:
        return true_codes.copy()
    wrong = rng.random(true_codes.size) < error
    shift = rng.integers(1, n_labels, size=true_codes.size)
    noisy = np.where(wrong, (true_codes + shift) % n_labels, true_codes)
    return noisy.astype(true_codes.dtype)


@dataclass(frozen=True)
class TemplateLibrary:
    """A set of prompt templates: each has a global id, a topic and a base fingerprint.

    Template ids are hidden ground truth (``request_labels.parquet``); only the
    fingerprints of rendered prompts are visible.
    """

    ids: np.ndarray
    """Global template ids (int64), unique across the whole scenario."""
    topics: np.ndarray
    """Topic code per template (int16)."""
    fingerprints: np.ndarray
    """Base 64-bit fingerprint per template (uint64)."""
    weights: np.ndarray
    """Probability of drawing each template (float64, sums to 1)."""

    @classmethod
    def build(
        cls,
        rng: np.random.Generator,
        id_offset: int,
        topic_weights: dict[str, float],
        count: int,
        concentration: float = 1.0,
    ) -> TemplateLibrary:
        """Draw ``count`` templates whose topics follow ``topic_weights``.

        Template popularity follows a Zipf-like law with exponent ``concentration``
        (0 = uniform, 1 = the first template twice as popular as the second).
        """
        count = max(1, int(count))
        names = sorted(topic_weights)
        probs = np.array([topic_weights[name] for name in names], dtype=np.float64)
        probs = probs / probs.sum()
        topics = np.array([topic_code(name) for name in names], dtype=np.int16)
        # every weighted topic gets at least one template when the library is large enough
        chosen = rng.choice(len(names), size=count, p=probs)
        if count >= len(names):
            chosen[: len(names)] = np.arange(len(names))
            rng.shuffle(chosen)
        ranks = np.arange(1, count + 1, dtype=np.float64)
        popularity = ranks ** (-concentration)
        rng.shuffle(popularity)
        # a topic's templates together carry (about) the topic's weight
        per_topic = np.bincount(chosen, minlength=len(names)).astype(np.float64)
        weights = (
            popularity
            * probs[chosen]
            / np.maximum(np.bincount(chosen, weights=popularity, minlength=len(names))[chosen], 1e-12)
        )
        weights = np.where(per_topic[chosen] > 0, weights, 0.0)
        weights = weights / weights.sum()
        return cls(
            ids=np.arange(id_offset, id_offset + count, dtype=np.int64),
            topics=topics[chosen],
            fingerprints=random_fingerprints(rng, count),
            weights=weights,
        )

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Indices (into this library) of ``n`` templates drawn by weight."""
        return rng.choice(self.ids.size, size=n, p=self.weights)

    def render(self, rng: np.random.Generator, index: np.ndarray, variation: float | np.ndarray) -> np.ndarray:
        """Fingerprints of prompts rendered from templates ``index``: the template's
        base with each bit flipped with probability ``variation`` (slot filling ≈ 0.03,
        paraphrasing ≈ 0.15-0.3)."""
        return flip_bits(rng, self.fingerprints[index], variation)
