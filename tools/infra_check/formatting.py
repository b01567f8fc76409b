"""What `terraform fmt` writes, checked offline (the rules of hclwrite's formatter)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# --- 2. formatting (what terraform fmt writes) --------------------------------------------------

_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$")


@dataclass
class _Line:
    number: int
    text: str
    skip: bool = False  # heredoc body or block comment: never reformatted
    code: str = ""  # the text with string contents and comments blanked out
    net: int = 0  # net bracket change (hclwrite counts ${ } as a bracket pair)
    assign: int | None = None  # column of the attribute's `=`, for a one-line attribute
    equals: int | None = None  # column of the first `=`, one-line or not
    comment: int | None = None  # column of a trailing comment after code


def _scan(text: str) -> list[_Line]:
    lines = [_Line(n, t) for n, t in enumerate(text.split("\n"), start=1)]
    heredoc: str | None = None
    in_block_comment = False
    for line in lines:
        if heredoc is not None:
            line.skip = True
            if line.text.strip() == heredoc:
                heredoc = None
            continue
        if in_block_comment:
            line.skip = True
            if "*/" in line.text:
                in_block_comment = False
            continue
        stack: list[str] = []  # "str", "interp", "brace" (a brace inside an interpolation)
        code: list[str] = []
        net = 0
        net_at_equals: int | None = None
        stop_counting = False
        i, text_ = 0, line.text
        while i < len(text_):
            ch, nxt = text_[i], text_[i + 1 : i + 2]
            top = stack[-1] if stack else None
            if top == "str":
                if ch == "\\":
                    code.append("__")
                    i += 2
                    continue
                if ch in "$%" and nxt == "{" and text_[i - 1 : i] != ch:
                    stack.append("interp")
                    net += 0 if stop_counting else 1
                    code.append(ch + "{")
                    i += 2
                    continue
                if ch == '"':
                    stack.pop()
                    code.append('"')
                else:
                    code.append("_")
                i += 1
                continue
            # code, or code inside an interpolation
            if ch == "#" or (ch == "/" and nxt == "/"):
                if text_[:i].strip():
                    line.comment = i
                code.append(" " * (len(text_) - i))
                break
            if ch == "/" and nxt == "*":
                end = text_.find("*/", i + 2)
                if end < 0:
                    in_block_comment = True
                    code.append(" " * (len(text_) - i))
                    break
                code.append(" " * (end + 2 - i))
                i = end + 2
                continue
            if ch == '"':
                stack.append("str")
                code.append('"')
                i += 1
                continue
            if ch == "<" and nxt == "<" and (m := _HEREDOC.match(text_[i:])):
                heredoc = m.group(1)
                stop_counting = True
                code.append(text_[i:])
                break
            if ch in "{[(":
                if top in ("interp", "brace") and ch == "{":
                    stack.append("brace")
                net += 0 if stop_counting else 1
            elif ch in "}])":
                if ch == "}" and top in ("brace", "interp"):
                    stack.pop()
                net -= 0 if stop_counting else 1
            elif (
                ch == "="
                and not stack
                and line.equals is None
                and nxt not in "=>"
                and text_[i - 1 : i] not in ("=", "!", "<", ">")
                and text_[:i].strip()
            ):
                line.equals = i
                net_at_equals = net
            code.append(ch)
            i += 1
        line.code = "".join(code)
        line.net = net
        if line.equals is not None and net_at_equals is not None and net - net_at_equals == 0:
            line.assign = line.equals
    return lines


def format_problems(name: str, text: str) -> list[str]:
    problems: list[str] = []

    def report(line: _Line, message: str) -> None:
        problems.append(f"{name}:{line.number}: {message}")

    if text and not text.endswith("\n"):
        problems.append(f"{name}: no newline at the end of the file")
    lines = _scan(text.rstrip("\n"))

    # Indentation: hclwrite's rule. A line with more openers than closers indents the lines
    # after it by one level (however many it opened); closers pop levels again.
    indents: list[int] = []
    for line in lines:
        if "\t" in line.text:
            report(line, "tab character (terraform fmt indents with spaces)")
        if "\r" in line.text:
            report(line, "carriage return (use LF line ends)")
        if line.text != line.text.rstrip():
            report(line, "trailing whitespace")
        if line.skip or not line.text.strip():
            continue
        if line.net < 0:
            closed = -line.net
            while closed > 0 and indents:
                if closed >= indents[-1]:
                    closed -= indents.pop()
                else:
                    indents[-1] -= closed
                    closed = 0
        want = 2 * len(indents)
        have = len(line.text) - len(line.text.lstrip(" "))
        if have != want and "\t" not in line.text:
            report(line, f"indented {have} spaces, terraform fmt indents {want}")
        if line.net > 0:
            indents.append(line.net)
        body = line.code[have:]
        if line.comment is not None:
            body = line.code[have : line.comment].rstrip()
        if line.assign is not None:
            body = line.code[have : line.assign].rstrip() + " " + line.code[line.assign :]
        if "  " in body.rstrip():
            report(line, "more than one space between tokens")
        if line.equals is not None:
            before, after = line.text[line.equals - 1], line.text[line.equals + 1 : line.equals + 2]
            if before != " " or after not in ("", " "):
                report(line, "`=` needs one space on each side")

    # Alignment chains: consecutive one-line attributes align their `=` one column after the
    # longest name; any other line (blank, comment, block, multi-line value) ends the chain.
    def close(chain: list[_Line], column_of: Any, width_of: Any, what: str) -> None:
        if not chain:
            return
        want = max(width_of(c) for c in chain) + 1
        for c in chain:
            if column_of(c) != want:
                report(
                    c, f"{what} at column {column_of(c) + 1}, terraform fmt aligns it at {want + 1}"
                )

    chain: list[_Line] = []
    for line in lines:
        if line.skip or line.assign is None:
            close(chain, lambda c: c.assign, lambda c: len(c.text[: c.assign].rstrip()), "`=`")
            chain = []
        else:
            chain.append(line)
    close(chain, lambda c: c.assign, lambda c: len(c.text[: c.assign].rstrip()), "`=`")

    chain = []
    for line in lines:
        if line.skip or line.comment is None:
            close(
                chain, lambda c: c.comment, lambda c: len(c.text[: c.comment].rstrip()), "comment"
            )
            chain = []
        else:
            chain.append(line)
    close(chain, lambda c: c.comment, lambda c: len(c.text[: c.comment].rstrip()), "comment")
    return problems
