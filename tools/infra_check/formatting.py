"""What `terraform fmt` writes, checked offline (the rules of hclwrite's formatter)."""

from __future__ import annotations

from collections.abc import Callable

from tools.infra_check.hcl_lines import Line, scan_lines

# --- 2. formatting (what terraform fmt writes) --------------------------------------------------

_Found = list[tuple[Line, str]]  # a problem message and the line it is on


def format_problems(name: str, text: str) -> list[str]:
    """Every place where `text` (the file `name`) differs from what terraform fmt writes."""
    problems: list[str] = []
    if text and not text.endswith("\n"):
        problems.append(f"{name}: no newline at the end of the file")
    lines = scan_lines(text.rstrip("\n"))
    found = (
        _line_problems(lines)
        + _alignment_problems(lines, "`=`", lambda line: line.assign)
        + _alignment_problems(lines, "comment", lambda line: line.comment)
    )
    problems += [f"{name}:{line.number}: {message}" for line, message in found]
    return problems


def _line_problems(lines: list[Line]) -> _Found:
    """Problems each line has on its own: stray characters, indentation and spacing.

    Indentation follows hclwrite's rule: a line with more openers than closers indents the lines
    after it by one level (however many it opened); closers pop levels again.
    """
    found: _Found = []
    indents: list[int] = []  # the brackets each open indentation level still holds open
    for line in lines:
        found += [(line, message) for message in _character_problems(line.text)]
        if line.skip or not line.text.strip():
            continue
        _close_levels(indents, -line.net)
        have = len(line.text) - len(line.text.lstrip(" "))
        want = 2 * len(indents)
        if have != want and "\t" not in line.text:
            found.append((line, f"indented {have} spaces, terraform fmt indents {want}"))
        if line.net > 0:
            indents.append(line.net)
        found += [(line, message) for message in _spacing_problems(line, have)]
    return found


def _character_problems(text: str) -> list[str]:
    """Tabs, carriage returns and trailing whitespace, which terraform fmt never writes."""
    problems = []
    if "\t" in text:
        problems.append("tab character (terraform fmt indents with spaces)")
    if "\r" in text:
        problems.append("carriage return (use LF line ends)")
    if text != text.rstrip():
        problems.append("trailing whitespace")
    return problems


def _close_levels(indents: list[int], closed: int) -> None:
    """Takes `closed` brackets off the open indentation levels, the innermost level first."""
    while closed > 0 and indents:
        if closed >= indents[-1]:
            closed -= indents.pop()
        else:
            indents[-1] -= closed
            closed = 0


def _spacing_problems(line: Line, indent: int) -> list[str]:
    """Extra spaces between tokens, and an `=` without one space on each side."""
    problems = []
    if "  " in _tokens(line, indent).rstrip():
        problems.append("more than one space between tokens")
    if line.equals is not None:
        before, after = line.text[line.equals - 1], line.text[line.equals + 1 : line.equals + 2]
        if before != " " or after not in ("", " "):
            problems.append("`=` needs one space on each side")
    return problems


def _tokens(line: Line, indent: int) -> str:
    """The line's code after its indentation, without the alignment padding that may stand
    before a one-line attribute's `=` or before a trailing comment."""
    if line.assign is not None:
        return line.code[indent : line.assign].rstrip() + " " + line.code[line.assign :]
    if line.comment is not None:
        return line.code[indent : line.comment].rstrip()
    return line.code[indent:]


def _alignment_problems(
    lines: list[Line], what: str, column_of: Callable[[Line], int | None]
) -> _Found:
    """Lines whose `what` is not aligned one column after the longest text before it in its chain.

    A chain is a run of consecutive lines that each have the column (a one-line attribute's `=`,
    or a trailing comment); any other line (blank, comment, block, multi-line value) ends it.
    """
    found: _Found = []
    for chain in _chains(lines, column_of):
        want = max(len(line.text[:column].rstrip()) for line, column in chain) + 1
        for line, column in chain:
            if column != want:
                message = f"{what} at column {column + 1}, terraform fmt aligns it at {want + 1}"
                found.append((line, message))
    return found


def _chains(
    lines: list[Line], column_of: Callable[[Line], int | None]
) -> list[list[tuple[Line, int]]]:
    """The runs of consecutive unskipped lines that have the column, each line with its column."""
    chains: list[list[tuple[Line, int]]] = [[]]
    for line in lines:
        column = column_of(line)
        if line.skip or column is None:
            chains.append([])
        else:
            chains[-1].append((line, column))
    return [chain for chain in chains if chain]
