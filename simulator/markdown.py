"""Markdown tables and escaping, for the report's ``summary.md`` and the output of
``extractbench check``.

Text that comes from a scenario, suite, plan, detector label, failure reason, run id
or baseline goes through :func:`markdown_text` before it is placed in Markdown (and
through :func:`markdown_cell` inside a table), so it renders as the characters it
holds: no raw HTML, no image or link, no emphasis or code span it did not ask for.
"""

from __future__ import annotations

import re

__all__ = ["markdown_cell", "markdown_code", "markdown_table", "markdown_text"]

_SPECIAL = re.compile(r"([\\`\[\]])")


def markdown_text(text: object) -> str:
    """``text`` as literal inline Markdown: ``&``, ``<``, ``>`` as HTML entities (no raw
    HTML, no autolink), backslashes, backticks and brackets escaped (no code span, link
    or image), one line. Pipes are left to :func:`markdown_cell`; ``_`` and ``*`` are
    kept, as they can only change emphasis.

    >>> markdown_text("<img src=x> ![x](http://evil/x.png) a_b")
    '&lt;img src=x&gt; !\\\\[x\\\\](http://evil/x.png) a_b'
    """
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(_SPECIAL.sub(r"\\\1", escaped).splitlines())


def markdown_code(text: object) -> str:
    """``text`` as an inline code span (shown verbatim, HTML and images inert), on one
    line, fenced by more backticks than it contains.

    >>> markdown_code("a`b"), markdown_code("x")
    ('``a`b``', '`x`')
    """
    body = " ".join(str(text).splitlines())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", body)), default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def markdown_cell(text: object) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, one line, and no raw
    HTML or image even when the caller formatted it (``&``, ``<``, ``>`` as entities
    unless already one, ``![`` broken).

    >>> markdown_cell("a|b\\nc <b>")
    'a\\\\|b c &lt;b&gt;'
    """
    text = re.sub(r"&(?![a-zA-Z]+;|#[0-9]+;)", "&amp;", str(text))
    text = text.replace("<", "&lt;").replace(">", "&gt;").replace("![", "!\\[")
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: list[str], rows: list[list[str]], align: str = "l") -> list[str]:
    """Lines of a Markdown table. ``align`` has one letter per column (``l`` left, ``r``
    right), or one letter for every column after the first (which is then left-aligned).

    >>> print("\\n".join(markdown_table(["a", "b"], [["x", "1"]], align="r")))
    | a | b |
    |:--|--:|
    | x | 1 |
    """
    letters = align if len(align) == len(headers) else "l" + align * (len(headers) - 1)
    rules = [":--" if letter == "l" else "--:" for letter in letters]
    lines = [
        "| " + " | ".join(markdown_cell(h) for h in headers) + " |",
        "|" + "|".join(rules) + "|",
    ]
    lines += ["| " + " | ".join(markdown_cell(c) for c in row) + " |" for row in rows]
    return lines
