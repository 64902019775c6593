"""TOML read with the line of every key, so that a config error can say where it is.

`tomllib` parses and validates but keeps no positions. `load_toml` lets it do that, then scans the
text it accepted once more with a small lexer that only follows structure — table headers,
arrays of tables, dotted keys, inline tables and arrays, strings and comments — and records the
line on which each key (and each array element) starts, under its path in the parsed data:
`("lists", 2, "conditions", "all", 0, "operator")`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PathKey = tuple[str | int, ...]
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SYNTAX_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


class TomlSyntaxError(ValueError):
    """The file is not TOML; says which file, line and column, and what the parser expected."""

    def __init__(self, file: str, line: int, column: int, problem: str) -> None:
        super().__init__(f"{file}:{line}:{column}: {problem}")
        self.file, self.line, self.column, self.problem = file, line, column, problem


@dataclass(frozen=True)
class TomlDocument:
    file: str
    data: dict[str, Any]
    lines: dict[PathKey, int] = field(repr=False)

    def line_of(self, path: PathKey) -> int:
        """The line of `path`, or of its nearest ancestor that has one (1 for the document)."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return 1


def load_toml(path: Path) -> TomlDocument:
    text = path.read_text(encoding="utf-8")
    return parse_toml(text, str(path))


def parse_toml(text: str, file: str = "<string>") -> TomlDocument:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _SYNTAX_POSITION.search(str(error))
        line, column = (int(found.group(1)), int(found.group(2))) if found else (1, 1)
        problem = _SYNTAX_POSITION.sub("", str(error)).strip()
        raise TomlSyntaxError(file, line, column, problem) from None
    return TomlDocument(file, data, _Scanner(text).scan())


class _Scanner:
    """Walks TOML that tomllib accepted; records where keys and array elements start."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[PathKey, int] = {}
        self.table: PathKey = ()
        self.array_lengths: dict[PathKey, int] = {}  # arrays of tables seen so far

    def scan(self) -> dict[PathKey, int]:
        while True:
            self._skip(newlines=True)
            if self.pos >= len(self.text):
                return self.lines
            if self.text.startswith("[[", self.pos):
                self._advance(2)
                key = self._resolve(self._key())
                self._expect("]]")
                index = self.array_lengths.get(key, 0)
                self.array_lengths[key] = index + 1
                self._record(key)
                self.table = (*key, index)
                self._record(self.table)
            elif self._peek() == "[":
                self._advance(1)
                self.table = self._resolve(self._key())
                self._expect("]")
                self._record(self.table)
            else:
                self._pair(self.table)

    def _resolve(self, key: PathKey) -> PathKey:
        """A header's dotted key, with the current index of every array of tables it passes."""
        resolved: PathKey = ()
        for part in key:
            resolved = (*resolved, part)
            if resolved in self.array_lengths and resolved != key:
                resolved = (*resolved, self.array_lengths[resolved] - 1)
        return resolved

    def _pair(self, table: PathKey) -> None:
        start = self.line
        key = (*table, *self._key())
        self._record(key, start)
        self._skip()
        self._expect("=")
        self._value(key)

    def _value(self, path: PathKey) -> None:
        self._skip()
        char = self._peek()
        if char == "{":
            self._advance(1)
            while True:
                self._skip()
                if self._peek() == "}":
                    self._advance(1)
                    return
                self._pair(path)
                self._skip()
                if self._peek() == ",":
                    self._advance(1)
        elif char == "[":
            self._advance(1)
            index = 0
            while True:
                self._skip(newlines=True)
                if self._peek() == "]":
                    self._advance(1)
                    return
                self._record((*path, index))
                self._value((*path, index))
                index += 1
                self._skip(newlines=True)
                if self._peek() == ",":
                    self._advance(1)
        elif char in ("'", '"'):
            self._string()
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]}#\r\n":
                self._advance(1)

    def _key(self) -> PathKey:
        parts: list[str] = []
        while True:
            self._skip()
            if self._peek() in ("'", '"'):
                parts.append(self._string())
            else:
                found = _BARE_KEY.match(self.text, self.pos)
                if found is None:
                    raise AssertionError(f"no key at line {self.line}: tomllib accepted it")
                parts.append(found.group(0))
                self._advance(len(found.group(0)))
            self._skip()
            if self._peek() != ".":
                return tuple(parts)
            self._advance(1)

    def _string(self) -> str:
        """Skip a string of any of TOML's four kinds; return its raw content (for keys)."""
        quote = self._peek()
        triple = self.text.startswith(quote * 3, self.pos)
        delimiter = quote * 3 if triple else quote
        self._advance(len(delimiter))
        start = self.pos
        while not self.text.startswith(delimiter, self.pos):
            if quote == '"' and self._peek() == "\\":
                self._advance(1)
            self._advance(1)
        content = self.text[start : self.pos]
        self._advance(len(delimiter))
        while triple and self.text.startswith(quote, self.pos):  # up to two more quotes
            self._advance(1)
        if quote == '"' and "\\" in content:
            return str(tomllib.loads(f"k = {quote}{content}{quote}")["k"])
        return content

    def _skip(self, newlines: bool = False) -> None:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t" or (newlines and char in "\r\n"):
                self._advance(1)
            elif char == "#":
                while self.pos < len(self.text) and self.text[self.pos] not in "\r\n":
                    self._advance(1)
            else:
                return

    def _expect(self, token: str) -> None:
        self._skip()
        if not self.text.startswith(token, self.pos):
            raise AssertionError(f"expected {token!r} at line {self.line}: tomllib accepted it")
        self._advance(len(token))

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _advance(self, count: int) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + count)
        self.pos += count

    def _record(self, path: PathKey, line: int | None = None) -> None:
        self.lines.setdefault(path, self.line if line is None else line)
