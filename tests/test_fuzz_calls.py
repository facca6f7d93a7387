"""Property: every ``start_case`` / ``complete_task`` / ``correlate_message`` call, with any input, either
succeeds or raises a ``SedflowError``, and a refused call leaves every case's revision and the journal as
they were. Inputs mix valid data with hostile text (surrogates, control characters, identity numbers),
huge and odd numbers, deep JSON, wrong types and unknown names. Both backends.

The test prints how many examples ran, how many were refused, and the non-sedflow exceptions (0).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from sedflow import SedflowError

from conftest import REFERRAL, fill

SE = "supported_employment"
EXAMPLES = 600

HOSTILE_TEXT = ["", " ", "\x00", "\x1b[31m", "a\udcffb", "\u202eevil", "19900101-1234", "19900101–1234",
                "19900101 1234", "x" * 5000, "9" * 5000, "ja", "NaN", "2026-02-30", "Robert'); DROP TABLE cases;--"]
texts = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(st.characters(blacklist_categories=()), max_size=30))
huge = st.integers(0, 2).map(lambda i: (10 ** 5000, -(2 ** 63), 2 ** 63)[i])  # (sampled_from would repr them)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), huge,
                    st.floats(allow_nan=True), texts, st.dates().map(date.isoformat), st.dates())
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                           st.dictionaries(texts, inner, max_size=3)), max_leaves=8)
deep = st.integers(1, 40).map(lambda n: _nested(n))
participants = st.one_of(st.sampled_from([f"p-{i}" for i in range(12)]), texts)
fields = st.sampled_from([*REFERRAL, "referral_unit", "first_contact_date", "contact_mode", "ae_decision_end",
                          "nope"])


def _nested(n):
    value: list = []
    for _ in range(n):
        value = [value]
    return value


def form_data(base):
    """Valid data, with some fields replaced, removed or added with any value."""
    changes = st.dictionaries(st.one_of(fields, texts), st.one_of(json_values, deep), max_size=3)
    return st.tuples(changes, st.sets(st.sampled_from(sorted(base) or ["x"]), max_size=2)).map(
        lambda c: {**{k: v for k, v in base.items() if k not in c[1]}, **c[0]})


calls = st.one_of(
    st.tuples(st.just("start"), participants, form_data(REFERRAL),
              st.one_of(st.none(), st.dictionaries(texts, st.one_of(json_values, deep), max_size=2)),
              st.one_of(st.none(), texts), st.one_of(st.none(), texts)),
    st.tuples(st.just("complete"), st.integers(0, 50), st.one_of(st.none(), texts), st.booleans(),
              st.one_of(st.none(), texts), st.dictionaries(st.one_of(fields, texts), json_values, max_size=3)),
    st.tuples(st.just("message"), st.one_of(st.just("participant_withdrawal"), texts),
              st.one_of(st.integers(0, 50), participants), st.dictionaries(texts, json_values, max_size=2),
              st.one_of(st.none(), texts)),
)


def snapshot(store):
    return store.query("SELECT count(*), coalesce(sum(revision), 0) FROM cases")[0], \
        store.query("SELECT count(*) FROM journal")[0][0]


def call(engine, op):
    kind = op[0]
    cases = [c.case_id for c in engine.list_cases(status="active")]
    if kind == "start":
        _, participant, data, variables, actor, case_id = op
        return engine.start_case(SE, participant, data, variables=variables, actor=actor, case_id=case_id)
    if kind == "complete":
        _, pick, task, valid, actor, extra = op
        case_id = cases[pick % len(cases)] if cases else "none"
        ready = engine.list_tasks(case_id=case_id) if cases else []
        target = ready[0] if ready and (task is None or valid) else None
        data = {**fill(target.form, today="2026-02-02"), **extra} if target is not None else extra
        return engine.complete_task(case_id, target.task_id if target else str(task), data, actor=actor)
    _, name, who, data, actor = op
    if isinstance(who, int):
        return engine.correlate_message(name, case_id=cases[who % len(cases)] if cases else "none", data=data,
                                        actor=actor)
    return engine.correlate_message(name, participant=who, process_id=SE, data=data, actor=actor)


def test_every_call_succeeds_or_raises_a_sedflow_error_and_a_refusal_writes_nothing(engine, store):
    stats: Counter[str] = Counter()
    others: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True)
    @given(op=calls)
    def run(op):
        stats["examples"] += 1
        before = snapshot(store)
        try:
            call(engine, op)
        except SedflowError:
            stats["refused"] += 1
            assert snapshot(store) == before, op
        except Exception as exc:  # noqa: BLE001 - what this test counts
            others.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            raise
        else:
            stats["succeeded"] += 1
    run()
    print(f"\nfuzzed API calls: {stats['examples']} examples, {stats['succeeded']} succeeded, "
          f"{stats['refused']} refused, {len(others)} non-sedflow exceptions")
    assert others == [] and stats["examples"] >= EXAMPLES and stats["succeeded"] > 0 and stats["refused"] > 0


COMMANDS = [["case", "start", SE, "--participant"], ["case", "complete"], ["case", "show"], ["case", "history"],
            ["case", "suspend"], ["case", "withdraw"], ["case", "list", "--participant"], ["tasks", "--lane"],
            ["message", "send"], ["tick", "--now"], ["due", "--within"], ["case", "import"], ["events", "--after"]]
words = st.one_of(texts, st.sampled_from(["--set", "--actor", "--reason", "--data", "--var", "--case", "--json",
                                          "first_contact", "MOVED", "gender=F", "x=[[[[[[[1]]]]]]]", "-1", "0",
                                          "9999-12-31T23:59:59", "/dev/null", "--batch", "--allow-concurrent"]))


def test_random_command_lines_exit_with_an_error_line_never_a_traceback(store_url):
    from click.testing import CliRunner

    from sedflow_cli.main import main
    runner = CliRunner()
    assert runner.invoke(main, ["--store", store_url, "init"]).exit_code == 0
    stats: Counter[str] = Counter()

    @settings(max_examples=200, deadline=None, database=None, derandomize=True)
    @given(command=st.sampled_from(COMMANDS), args=st.lists(words, max_size=6))
    def run(command, args):
        stats["examples"] += 1
        result = runner.invoke(main, ["--store", store_url, *command, *args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            stats["tracebacks"] += 1
            raise AssertionError(f"{type(result.exception).__name__}: {result.exception}")
        if result.exit_code != 0:
            stats["refused"] += 1
            assert [line for line in result.output.splitlines() if line.lower().startswith("error:")], result.output
            assert "\x1b" not in result.output
    run()
    print(f"\nfuzzed command lines: {stats['examples']} examples, {stats['refused']} refused, "
          f"{stats['tracebacks']} tracebacks")
    assert stats["tracebacks"] == 0 and stats["refused"] > 0
