"""The trend formula parser and evaluator."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.analysis.formula import FormulaError, evaluate, parse, references


def value(text: str, *series: list[float]) -> list[float]:
    return evaluate(parse(text), list(series), len(series[0]) if series else 1)


def test_precedence_and_parentheses() -> None:
    assert value("A / B * 100", [1, 3], [4, 4]) == [25.0, 75.0]
    assert value("A + B * 2", [1], [10]) == [21.0]
    assert value("(A + B) * 2", [1], [10]) == [22.0]
    assert value("A - B - 1", [10], [3]) == [6.0]
    assert value("2 / 4 / 2", [0]) == [0.25]


def test_unary_signs_numbers_and_lowercase_letters() -> None:
    assert value("-a + +b", [2], [5]) == [3.0]
    assert value("--A", [4]) == [4.0]
    assert value("1.5 * .5 + 3.", [0]) == [3.75]


def test_division_by_zero_is_zero() -> None:
    assert value("A / B", [5, 6], [0, 3]) == [0.0, 2.0]
    assert value("1 / (A - A)", [7]) == [0.0]


def test_missing_series_and_positions_count_as_zero() -> None:
    node = parse("A + B")
    assert evaluate(node, [[1, 2]], 2) == [1.0, 2.0]
    assert evaluate(node, [[1], [1, 1]], 2) == [2.0, 1.0]


def test_references() -> None:
    assert references(parse("A / C * (B + A)")) == {0, 1, 2}
    assert references(parse("42")) == set()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("A +", "end of formula"),
        ("A B", "unexpected 'B' at position 2"),
        ("(A + B", "expected ')'"),
        ("A + B)", "unexpected ')'"),
        ("A ** 2", "position 3"),
        ("A // 2", "position 3"),
        ("AB", "unexpected 'B'"),
        ("__import__('os')", "unexpected '_'"),
        ("A; B", "unexpected ';'"),
        ("1e3", "unexpected 'E'"),
        ("(" * 60 + "A" + ")" * 60, "nests deeper"),
        ("A+" * 300 + "A", "longer than"),
    ],
)
def test_invalid_formulas_are_rejected_with_a_position(text: str, message: str) -> None:
    with pytest.raises(FormulaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(text)


_OPERAND = st.one_of(st.sampled_from("ABC"), st.integers(0, 9).map(str))


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(_OPERAND)
    op = draw(st.sampled_from(["+", "-", "*"]))
    left, right = draw(expressions(depth - 1)), draw(expressions(depth - 1))
    return f"({left} {op} {right})" if draw(st.booleans()) else f"{left} {op} {right}"


@settings(max_examples=50)
@given(text=expressions(), a=st.integers(-50, 50), b=st.integers(-50, 50), c=st.integers(-50, 50))
def test_matches_python_arithmetic_without_division(text: str, a: int, b: int, c: int) -> None:
    expected = eval(text, {"__builtins__": {}}, {"A": a, "B": b, "C": c})  # generated, safe
    assert value(text, [a], [b], [c]) == [float(expected)]
