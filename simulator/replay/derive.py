"""Columns of the visible schema derived from what logs hold: raw text and raw ids.

Every function works on a whole chunk at once, in Arrow compute (RE2 regular
expressions) and numpy, never a Python loop per row.

* :func:`prompt_simhash`: a 64-bit SimHash (Charikar 2002) of the prompt: the text is
  lower-cased and split into words (``\\W+``); each word and each pair of adjacent words
  is a feature hashed with :func:`simulator.hashing.text_hashes`; bit ``b`` of the
  fingerprint is 1 when more than half of the features have bit ``b`` set. Texts
  sharing most of their words differ in few bits (as the simulator's template
  fingerprints do); unrelated texts in about 32. An empty text hashes to 0.
* :func:`text_hash`: the stable 64-bit hash of a text (the system prompt), 0 if none.
* :func:`classify_topic`: the first topic of :data:`TOPIC_RULES` whose pattern the
  prompt matches (case-insensitive), else ``general_qa``.
* :func:`classify_language`: by script first (Arabic, Devanagari, kana → ja, Hangul → ko,
  Han → zh, Cyrillic → ru), else the Latin-script language of :data:`STOPWORDS` with
  the most stop-word matches (ties and none: ``en``).
* :func:`classify_cot`: whether the prompt matches :data:`COT_PATTERN` (asks for
  step-by-step reasoning).
* :func:`hashed_ids`: ids replaced by ``h`` + 16 hex digits of their stable hash.

These are simple, documented classifiers, as noisy as the simulator's configured
ones are meant to be; replace them by mapping your own columns when you have them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.hashing import text_hashes
from simulator.prompts import LANGUAGES, TOPICS

__all__ = [
    "COT_PATTERN",
    "STOPWORDS",
    "TOPIC_RULES",
    "classify_cot",
    "classify_language",
    "classify_topic",
    "hashed_ids",
    "prompt_simhash",
    "text_hash",
]

TOPIC_RULES: tuple[tuple[str, str], ...] = (
    ("agentic_tool_use", r"\b(tool call|function call|tools?:|call the .* tool|json schema|agent)\b"),
    ("computer_use", r"\b(click|screenshot|browser|navigate to|desktop)\b"),
    ("vision", r"\b(image|picture|photo|diagram)\b"),
    ("coding", r"\b(python|javascript|function|code|bug|compile|sql|regex|class|stack trace)\b|```"),
    ("math", r"\b(solve|equation|integral|derivative|prove|theorem|probability|calculate)\b"),
    ("rubric_grading", r"\b(grade|rubric|score (this|the) (answer|response)|rate (this|the) (answer|response))\b"),
    ("translation", r"\b(translate|translation)\b"),
    ("summarization", r"\b(summari[sz]e|summary|tl;?dr)\b"),
    ("rewrite", r"\b(rewrite|rephrase|paraphrase|proofread|make it more)\b"),
    ("classification", r"\b(classify|categori[sz]e|which category|label (this|the))\b"),
    ("information_extraction", r"\b(extract|parse the|pull out|list all the)\b"),
    ("data_analysis", r"\b(dataset|csv|spreadsheet|analy[sz]e the data|regression|pandas)\b"),
    ("creative_writing", r"\b(poem|story|lyrics|novel|screenplay|haiku)\b"),
    ("customer_support", r"\b(refund|my order|my account|subscription|cancel)\b"),
    ("reasoning", r"\b(puzzle|riddle|logic|reason|why does|what would happen)\b"),
    ("chit_chat", r"^\s*(hi|hello|hey|thanks|thank you|how are you)\b"),
)
"""(topic, RE2 pattern) in priority order: a prompt gets the first topic it matches."""

_DEFAULT_TOPIC = "general_qa"

COT_PATTERN = (
    r"(step[- ]by[- ]step|chain[- ]of[- ]thought|think (it )?through|show your (work|reasoning)|"
    r"explain your reasoning|reason (carefully|through)|let'?s think)"
)
"""A prompt asking for step-by-step reasoning (case-insensitive)."""

_SCRIPTS: tuple[tuple[str, str], ...] = (
    ("ar", r"\p{Arabic}"),
    ("hi", r"\p{Devanagari}"),
    ("ja", r"[\p{Hiragana}\p{Katakana}]"),
    ("ko", r"\p{Hangul}"),
    ("zh", r"\p{Han}"),
    ("ru", r"\p{Cyrillic}"),
)
STOPWORDS: dict[str, str] = {
    "en": r"\b(the|and|is|of|to|what|how|please|with|this)\b",
    "de": r"\b(der|die|das|und|ist|nicht|ich|mit|bitte|wie)\b",
    "es": r"\b(el|los|las|que|es|por|para|con|una|cómo)\b",
    "fr": r"\b(le|les|des|est|et|une|pour|avec|vous|comment)\b",
    "pt": r"\b(os|as|que|não|uma|para|com|você|como|é)\b",
    "id": r"\b(yang|dan|ini|itu|dengan|untuk|tidak|apa|bagaimana|saya)\b",
}
"""Stop-word patterns of the Latin-script languages told apart by counting matches."""

_SIMHASH_SLICE = 400_000
"""Features hashed per slice (64 bytes each while counting bits)."""


def _text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return pc.utf8_lower(pc.fill_null(array.cast(pa.string()), ""))


def text_hash(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Stable 64-bit hash of each text (uint64); 0 for a missing or empty text."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    array = pc.fill_null(array.cast(pa.string()), "")
    values = array.to_numpy(zero_copy_only=False)
    hashes = text_hashes(values)
    hashes[pc.equal(array, "").to_numpy(zero_copy_only=False)] = 0
    return hashes


def prompt_simhash(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """SimHash of each prompt over its words and word pairs (see the module docstring)."""
    text = _text(column)
    words = pc.split_pattern_regex(text, r"\W+")
    flat = pc.list_flatten(words)
    row_of_word = pc.list_parent_indices(words).to_numpy(zero_copy_only=False).astype(np.int64)
    keep = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    flat_values = flat.to_numpy(zero_copy_only=False)[keep]
    rows = row_of_word[keep]
    same = rows[1:] == rows[:-1] if rows.size else np.zeros(0, dtype=bool)
    pairs = np.char.add(np.char.add(flat_values[:-1][same].astype(str), " "), flat_values[1:][same].astype(str))
    features = np.concatenate([flat_values, pairs.astype(object)]) if pairs.size else flat_values
    owner = np.concatenate([rows, rows[:-1][same]]) if pairs.size else rows
    n = len(text)
    ones = np.zeros((n, 64), dtype=np.int64)
    counts = np.bincount(owner, minlength=n)
    shifts = np.arange(64, dtype=np.uint64)
    for start in range(0, features.size, _SIMHASH_SLICE):
        hashes = text_hashes(features[start : start + _SIMHASH_SLICE])
        bits = ((hashes[:, None] >> shifts) & np.uint64(1)).astype(np.int64)
        np.add.at(ones, owner[start : start + _SIMHASH_SLICE], bits)
    set_bits = (2 * ones > counts[:, None]).astype(np.uint64)
    return (set_bits << shifts).sum(axis=1, dtype=np.uint64)


def classify_topic(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Index in :data:`simulator.prompts.TOPICS` of each prompt's topic (int16)."""
    text = _text(column)
    topic = np.full(len(text), TOPICS.index(_DEFAULT_TOPIC), dtype=np.int16)
    decided = np.zeros(len(text), dtype=bool)
    for name, pattern in TOPIC_RULES:
        hit = pc.match_substring_regex(text, pattern).to_numpy(zero_copy_only=False) & ~decided
        topic[hit] = TOPICS.index(name)
        decided |= hit
    return topic


def classify_language(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Index in :data:`simulator.prompts.LANGUAGES` of each prompt's language (int16)."""
    text = _text(column)
    n = len(text)
    language = np.full(n, LANGUAGES.index("en"), dtype=np.int16)
    decided = np.zeros(n, dtype=bool)
    for name, pattern in _SCRIPTS:
        hit = pc.match_substring_regex(text, pattern).to_numpy(zero_copy_only=False) & ~decided
        language[hit] = LANGUAGES.index(name)
        decided |= hit
    counts = np.stack(
        [pc.count_substring_regex(text, pattern).to_numpy(zero_copy_only=False) for pattern in STOPWORDS.values()]
    )
    best = np.argmax(counts, axis=0)
    latin = np.array([LANGUAGES.index(name) for name in STOPWORDS], dtype=np.int16)
    chosen = ~decided & (counts.max(axis=0) > 0)
    language[chosen] = latin[best[chosen]]
    return language


def classify_cot(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Whether each prompt asks for step-by-step reasoning (bool)."""
    return pc.match_substring_regex(_text(column), COT_PATTERN).to_numpy(zero_copy_only=False).astype(bool)


def hashed_ids(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Each id replaced by ``h`` + the 16 hex digits of its stable hash (missing stays missing)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    valid = pc.is_valid(array).to_numpy(zero_copy_only=False)
    hashes = text_hashes(pc.fill_null(array.cast(pa.string()), "").to_numpy(zero_copy_only=False))
    text = np.array([f"h{value:016x}" for value in hashes.tolist()], dtype=object)
    return pa.array(text, type=pa.string(), mask=~valid)
