"""Formulas over trend series: ``"A / B * 100"``, parsed safely and evaluated per interval.

The grammar is deliberately tiny, and the parser is written here rather than borrowed
from ``eval`` or ``ast`` so that nothing but arithmetic can ever run::

    expr   := term (("+" | "-") term)*
    term   := factor (("*" | "/") factor)*
    factor := ("+" | "-") factor | NUMBER | LETTER | "(" expr ")"

``LETTER`` is ``A``…``Z`` (case-insensitive) and names the series at that position.
Division by zero yields ``0`` (not null), so a chart keeps a continuous line and the
entry's ``count`` stays a sum of numbers; this matches what users expect from a ratio
of two empty series.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MAX_LENGTH = 500
MAX_DEPTH = 50
_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<ref>[A-Za-z])|(?P<op>[-+*/()])|(?P<bad>\S))"
)


class FormulaError(ValueError):
    """A formula that is not valid; the message says where."""


@dataclass(frozen=True, slots=True)
class Number:
    value: float


@dataclass(frozen=True, slots=True)
class Ref:
    index: int


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = Number | Ref | Negate | Binary


def _divide(left: float, right: float) -> float:
    return left / right if right else 0.0


_OPS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _divide,
}


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """``(kind, text, position)`` with kinds ``num``, ``ref``, ``op`` and a final ``end``."""
    out: list[tuple[str, str, int]] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "bad"
        value, position = match.group(kind), match.start(kind)
        if kind == "bad":
            raise FormulaError(f"unexpected {value!r} at position {position}")
        out.append((kind, value.upper() if kind == "ref" else value, position))
    out.append(("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.depth = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.pos]

    def take(self) -> tuple[str, str, int]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expr(self) -> Node:
        node = self.term()
        while self.peek()[:2] in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            node = Binary(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while self.peek()[:2] in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            node = Binary(op, node, self.factor())
        return node

    def factor(self) -> Node:
        kind, text, position = self.take()
        if kind == "num":
            return Number(float(text))
        if kind == "ref":
            return Ref(ord(text) - ord("A"))
        if kind == "op" and text in "+-":
            return self.nested(lambda: self.factor(), negate=text == "-")
        if kind == "op" and text == "(":
            node = self.nested(self.expr)
            closing = self.take()
            if closing[:2] != ("op", ")"):
                raise FormulaError(f"expected ')' at position {closing[2]}")
            return node
        found = repr(text) if text else "end of formula"
        raise FormulaError(
            f"expected a number, a series letter or '(' at position {position}, found {found}"
        )

    def nested(self, parse: Callable[[], Node], *, negate: bool = False) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"formula nests deeper than {MAX_DEPTH} levels")
        node = parse()
        self.depth -= 1
        return Negate(node) if negate else node


def parse(text: str) -> Node:
    """A formula → its tree; :class:`FormulaError` when it is not valid."""
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise FormulaError("formula is empty")
    parser = _Parser(text)
    node = parser.expr()
    kind, rest, position = parser.peek()
    if kind != "end":
        raise FormulaError(f"unexpected {rest!r} at position {position}")
    return node


def references(node: Node) -> set[int]:
    """Indexes of the series a formula uses."""
    if isinstance(node, Ref):
        return {node.index}
    if isinstance(node, Negate):
        return references(node.operand)
    if isinstance(node, Binary):
        return references(node.left) | references(node.right)
    return set()


def evaluate(node: Node, series: Sequence[Sequence[float]], length: int) -> list[float]:
    """The formula at each of ``length`` positions; a missing series counts as zeros."""

    def at(n: Node, i: int) -> float:
        if isinstance(n, Number):
            return n.value
        if isinstance(n, Ref):
            values = series[n.index] if n.index < len(series) else ()
            return float(values[i]) if i < len(values) else 0.0
        if isinstance(n, Negate):
            return -at(n.operand, i)
        return _OPS[n.op](at(n.left, i), at(n.right, i))

    return [at(node, i) for i in range(length)]
