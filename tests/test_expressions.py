from datetime import date

import pytest
from sedflow.errors import ExpressionError
from sedflow.expressions import compile_expression


@pytest.mark.parametrize("text, data, expected", [
    ("${eligible}", {"eligible": True}, True),
    ("${age < 30}", {"age": 29}, True),
    ("${age < 30 && !declined}", {"age": 29, "declined": True}, False),
    ("${x eq 'A' || y gt 2}", {"x": "B", "y": 3}, True),
    ("${flag == true}", {"flag": True}, True),
    ("${v == null}", {"v": None}, True),
    ("search_result == 'JOB_OFFER' and n >= 1", {"search_result": "JOB_OFFER", "n": 1}, True),
    ("'&&' in note", {"note": "a && b"}, True),  # operators inside strings are left alone
    ("code in ['A', 'B']", {"code": "B"}, True),
    ("work_pct * 40 // 100", {"work_pct": 50}, 20),
    ("items[0] if len(items) > 0 else None", {"items": [7]}, 7),
    ("days_between(start, end)", {"start": "2026-01-01", "end": "2026-03-01"}, 59),
    ("max(a, b) - min(a, b)", {"a": 3, "b": 10}, 7),
    ("${add_days(end, -7)}", {"end": "2026-03-03"}, "2026-02-24"),
    ("add_months(start, 12)", {"start": "2024-02-29"}, "2025-02-28"),
    ("add_months(start, 1)", {"start": "2026-01-31"}, "2026-02-28"),
    # The SE monthly follow-up: due monthly from the agreement date, whenever the last one was held.
    ("monthly_after(start, start)", {"start": "2026-01-31"}, "2026-02-28"),
    ("monthly_after(start, held)", {"start": "2026-01-31", "held": "2026-02-28"}, "2026-03-31"),
    ("monthly_after(start, held)", {"start": "2026-02-02", "held": "2026-05-10"}, "2026-06-02"),
    ("monthly_after(start, held)", {"start": "2026-02-02", "held": "2026-01-15"}, "2026-03-02"),
    ("add_months(latest(job, study), 12)", {"job": "2026-05-01", "study": None}, "2027-05-01"),
    ("latest(a, b)", {"a": "2026-05-01", "b": "2026-06-01"}, "2026-06-01"),
])
def test_language(text, data, expected):
    assert compile_expression(text).evaluate(data) == expected


@pytest.mark.parametrize("text", ["P90D", "R/P1M", "R3/PT10H", "2026-01-31", "2026-01-31T09:00:00Z", "${P90D}",
                                  "R/2026-01-01T00:00:00Z/P1D", "PT1H30M"])
def test_bare_iso_8601_is_a_literal(text):
    expected = text.removeprefix("${").removesuffix("}")
    assert compile_expression(text).evaluate({}) == expected


def test_today_comes_from_the_caller():
    assert compile_expression("today()").evaluate({}, today=date(2026, 5, 1)) == date(2026, 5, 1)
    with pytest.raises(ExpressionError, match="today"):
        compile_expression("today()").evaluate({})


@pytest.mark.parametrize("text, why", [
    ("__import__('os').system('id')", "attribute access"),
    ("().__class__.__base__.__subclasses__()", "attribute access"),
    ("__import__('os')", "not an allowed function"),
    ("__builtins__", "names may not start with '_'"),
    ("open('/etc/passwd')", "not an allowed function"),
    ("eval('1')", "not an allowed function"),
    ("[c for c in 'abc']", "comprehension"),
    ("(lambda: 1)()", "lambda"),
    ("2 ** 1000000", "power"),
    ("x.real", "attribute access"),
    ("f'{x}'", "f-string"),
    ("(y := 1)", "assignment"),
    ("len(*items)", "positional arguments only"),
    ("x = 1", "not valid"),
    ("import os", "not valid"),
])
def test_rejected_at_compile_time(text, why):
    with pytest.raises(ExpressionError, match=why):
        compile_expression(text)


@pytest.mark.parametrize("text, data, why", [
    ("'a' * 1000000000", {}, "exceed"),
    ("s * n", {"s": [1], "n": 10**6}, "exceed"),
    ("missing == 1", {}, "unknown name 'missing'"),
    ("a + b", {"a": 1, "b": "x"}, "TypeError"),
])
def test_bounded_at_run_time(text, data, why):
    with pytest.raises(ExpressionError, match=why):
        compile_expression(text).evaluate(data)


def test_data_cannot_shadow_functions():
    # Data keys are names, never callables: a key called 'len' does not replace the function.
    assert compile_expression("len(x)").evaluate({"x": [1, 2], "len": "boom"}) == 2
