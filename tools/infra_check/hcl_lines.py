"""The lines of an HCL file as hclwrite's formatter sees them: string contents and comments
blanked out, the net bracket change of each line, and the columns of its `=` and trailing comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$")


@dataclass
class Line:
    number: int
    text: str
    skip: bool = False  # heredoc body or block comment: never reformatted
    code: str = ""  # the text with string contents and comments blanked out
    net: int = 0  # net bracket change (hclwrite counts ${ } as a bracket pair)
    assign: int | None = None  # column of the attribute's `=`, for a one-line attribute
    equals: int | None = None  # column of the first `=`, one-line or not
    comment: int | None = None  # column of a trailing comment after code


class _LineScan:
    """One left-to-right pass over a line that starts outside any heredoc or block comment.

    It fills in the line's code, net, equals, assign and comment, and records whether the line
    opens a heredoc (its end marker) or a block comment that later lines continue.
    """

    def __init__(self, line: Line) -> None:
        self.line = line
        self.text = line.text
        self.i = 0
        self.stack: list[str] = []  # "str", "interp", "brace" (a brace inside an interpolation)
        self.code: list[str] = []
        self.net = 0
        self.net_at_equals: int | None = None
        self.stop_counting = False  # after a heredoc opens, its brackets no longer count
        self.heredoc: str | None = None
        self.opens_block_comment = False

    def run(self) -> None:
        while self.i < len(self.text):
            if self.stack and self.stack[-1] == "str":
                self._string_char()
            elif not self._code_char():
                break
        line = self.line
        line.code = "".join(self.code)
        line.net = self.net
        # a one-line attribute: its value closes every bracket it opens
        if line.equals is not None and self.net_at_equals == self.net:
            line.assign = line.equals

    def _here(self) -> tuple[str, str]:
        """The current character and the one after it ("" at the end of the line)."""
        return self.text[self.i], self.text[self.i + 1 : self.i + 2]

    def _emit(self, code: str, width: int) -> None:
        """Adds `code` for the next `width` characters of text and moves past them."""
        self.code.append(code)
        self.i += width

    def _count(self, change: int) -> None:
        """Adds a bracket change to the line's net, unless a heredoc has opened on the line."""
        self.net += 0 if self.stop_counting else change

    def _blank_rest(self) -> None:
        self.code.append(" " * (len(self.text) - self.i))

    def _string_char(self) -> None:
        """One step inside a string literal: text and escapes are blanked, `${` and `%{` open
        an interpolation (counted as a bracket), and `"` closes the string."""
        ch, nxt = self._here()
        if ch == "\\":
            self._emit("__", 2)
        elif ch in "$%" and nxt == "{" and self.text[self.i - 1 : self.i] != ch:
            self.stack.append("interp")
            self._count(1)
            self._emit(ch + "{", 2)
        elif ch == '"':
            self.stack.pop()
            self._emit('"', 1)
        else:
            self._emit("_", 1)

    def _code_char(self) -> bool:
        """One step in code (or code inside an interpolation); False when the rest of the line
        is a comment or a heredoc opener, which ends the scan of the line."""
        ch, nxt = self._here()
        if ch == "#" or (ch == "/" and nxt == "/"):
            self._line_comment()
            return False
        if ch == "/" and nxt == "*":
            return self._block_comment()
        if ch == '"':
            self.stack.append("str")
            self._emit('"', 1)
            return True
        if ch == "<" and nxt == "<" and (m := _HEREDOC.match(self.text[self.i :])):
            self.heredoc = m.group(1)
            self.stop_counting = True
            self.code.append(self.text[self.i :])
            return False
        self._bracket_or_equals(ch, nxt)
        self._emit(ch, 1)
        return True

    def _line_comment(self) -> None:
        """A `#` or `//` comment runs to the end of the line; after code it is a trailing one."""
        if self.text[: self.i].strip():
            self.line.comment = self.i
        self._blank_rest()

    def _block_comment(self) -> bool:
        """Blanks a `/* */` comment; False when it does not close on this line."""
        end = self.text.find("*/", self.i + 2)
        if end < 0:
            self.opens_block_comment = True
            self._blank_rest()
            return False
        self.code.append(" " * (end + 2 - self.i))
        self.i = end + 2
        return True

    def _bracket_or_equals(self, ch: str, nxt: str) -> None:
        """Counts an opening or closing bracket, or records the line's first attribute `=`."""
        top = self.stack[-1] if self.stack else None
        if ch in "{[(":
            if top in ("interp", "brace") and ch == "{":
                self.stack.append("brace")
            self._count(1)
        elif ch in "}])":
            if ch == "}" and top in ("brace", "interp"):
                self.stack.pop()
            self._count(-1)
        elif ch == "=" and self._is_first_equals(nxt):
            self.line.equals = self.i
            self.net_at_equals = self.net

    def _is_first_equals(self, nxt: str) -> bool:
        """True for the line's first lone `=` outside strings, after some code (not `==`, `=>`,
        `!=`, `<=` or `>=`, and not an `=` that ends the line)."""
        before = self.text[self.i - 1 : self.i]
        return (
            not self.stack
            and self.line.equals is None
            and nxt not in "=>"
            and before not in ("=", "!", "<", ">")
            and bool(self.text[: self.i].strip())
        )


def scan_lines(text: str) -> list[Line]:
    """Every line of `text`, scanned; heredoc bodies and block comment lines are marked skip."""
    lines = [Line(n, t) for n, t in enumerate(text.split("\n"), start=1)]
    heredoc: str | None = None  # the end marker of the heredoc the line is in
    in_block_comment = False
    for line in lines:
        if heredoc is not None:
            line.skip = True
            if line.text.strip() == heredoc:
                heredoc = None
        elif in_block_comment:
            line.skip = True
            if "*/" in line.text:
                in_block_comment = False
        else:
            scan = _LineScan(line)
            scan.run()
            heredoc, in_block_comment = scan.heredoc, scan.opens_block_comment
    return lines
