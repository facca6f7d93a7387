"""Process variables no form declares (``sedflow/definitions/variables.py``): how a Camunda diagram without
forms gets its data. They are validated, journaled with the step like form data, and read by the
diagram's expressions; anything outside the rule is refused naming the variable, and nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sedflow import Engine, JournalKind, TaskDataError, load_files

from sedflow_cli.main import main

LOOP = Path(__file__).parent / "diagrams" / "loop.bpmn"


@pytest.fixture
def loop_engine(store, clock):
    return Engine(store, load_files([LOOP]), clock=clock)


def test_variables_reach_the_tasks_and_are_journaled_like_form_data(loop_engine):
    case = loop_engine.start_case("loop", "p-1", {"gender": "F"}, variables={"items": [1, 2], "limit": 3})
    assert loop_engine.variables(case.case_id, "follow_up") == {"gender": "F", "items": [1, 2], "limit": 3}
    started = loop_engine.case_history(case.case_id)[0]
    assert started.kind == JournalKind.CASE_STARTED and started.data == {"gender": "F", "items": [1, 2], "limit": 3}

    ended = loop_engine.complete_task(case.case_id, "follow_up", {"again": False}, variables={"note": {"a": None}})
    assert ended.status == "completed"
    completed = [e for e in loop_engine.case_history(case.case_id) if e.kind == JournalKind.TASK_COMPLETED]
    assert completed[-1].data == {"again": False, "note": {"a": None}}
    assert loop_engine.variables(case.case_id)["note"] == {"a": None}


@pytest.mark.parametrize(("variables", "field", "says"), [
    ({"_hidden": 1}, "_hidden", "must be an identifier"),
    ({"today": "x"}, "today", "not a word of the expression language"),
    ({"again": True}, "again", "is a field of the form of 'follow_up'"),
    ({"blob": {1: "a"}}, "blob", "keys are not all text"),
    ({"deep": [[[[[[[1]]]]]]]}, "deep", "nested deeper than 5 levels"),
    ({"nan": float("nan")}, "nan", "not a finite number"),
    ({"big": "x" * 70_000}, "big", "at most 65536 are accepted"),
])
def test_variables_outside_the_rule_are_refused_naming_them_and_nothing_is_written(loop_engine, variables, field, says):
    case = loop_engine.start_case("loop", "p-1", {"gender": "F"})
    with pytest.raises(TaskDataError, match=says) as refused:
        loop_engine.complete_task(case.case_id, "follow_up", {"again": True}, variables=variables)
    assert refused.value.field == field
    assert loop_engine.show_case(case.case_id).revision == case.revision
    assert [e.kind for e in loop_engine.case_history(case.case_id)].count(JournalKind.TASK_COMPLETED) == 0


def test_the_cli_takes_variables_as_json_and_shows_them(store_url):
    runner = CliRunner()
    base = ["--store", store_url, "--processes", str(LOOP.parent)]
    assert runner.invoke(main, ["--store", store_url, "init"]).exit_code == 0
    started = runner.invoke(main, [*base, "case", "start", "loop", "--participant", "p-1", "--set", "gender=F",
                                   "--var", "items=[1, 2]", "--var", "label=two words", "--json"])
    assert started.exit_code == 0, started.output
    case_id = json.loads(started.output)["case_id"]
    shown = runner.invoke(main, [*base, "case", "variables", case_id, "--task", "follow_up", "--json"])
    assert json.loads(shown.output) == {"gender": "F", "items": [1, 2], "label": "two words"}
    refused = runner.invoke(main, [*base, "case", "complete", case_id, "follow_up", "--set", "again=false",
                                   "--var", "_x=1"])
    assert refused.exit_code == 5 and "_x" in refused.output
