"""Markdown tables, for the report's ``summary.md`` and the output of ``extractbench check``."""

from __future__ import annotations

__all__ = ["markdown_cell", "markdown_table"]


def markdown_cell(text: object) -> str:
    """Text safe inside a Markdown table cell (pipes escaped, one line).

    >>> markdown_cell("a|b\\nc")
    'a\\\\|b c'
    """
    return str(text).replace("|", "\\|").replace("\n", " ")


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
