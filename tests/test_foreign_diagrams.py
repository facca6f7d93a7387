"""Other people's diagrams: each loads, or is refused with a message a process owner can act on.

The corpus is every BPMN MIWG reference model and every SpiffWorkflow test diagram
(``fixtures/foreign``, see its ``SOURCES.md``). None of it was drawn for sedflow, so most of it is
refused (script tasks, DMN, data stores, FEEL conditions...): what is tested is *how*. Every refusal is
a DefinitionError whose every problem names an element or a line, never Python's words for a crash,
and never the fallback for what SpiffWorkflow failed on without sedflow knowing why. The files that
load are listed, so that a new check that refuses one of them fails here and is looked at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sedflow import DefinitionError
from sedflow.definitions import load_sources
from sedflow.spiff.parser import UNREADABLE

FOREIGN = Path(__file__).parent / "fixtures" / "foreign"
FILES = sorted(str(p.relative_to(FOREIGN)) for p in FOREIGN.rglob("*.bpmn"))

#: Files that call each other's processes, loaded together as their own test suites load them.
GROUPS = {
    "miwg C.9": ["miwg/C.9.0.bpmn", "miwg/C.9.1.bpmn", "miwg/C.9.2.bpmn"],
    "spiff call_activity_*": "spiffworkflow/bpmn/data/call_activity_*.bpmn",
    "spiff call_activity_nested": ["spiffworkflow/bpmn/data/call_activity_nested/call_activity_nested.bpmn",
                                   "spiffworkflow/bpmn/data/call_activity_nested/call_activity_level_2.bpmn",
                                   "spiffworkflow/bpmn/data/call_activity_nested/call_activity_level_3.bpmn"],
    "spiff custom_function_test*": "spiffworkflow/bpmn/data/custom_function_test*.bpmn",
    "spiff io_spec*": "spiffworkflow/bpmn/data/io_spec*.bpmn",
    "spiff resetworkflowA-*": "spiffworkflow/bpmn/data/resetworkflowA-*.bpmn",
    "spiff resetworkflowB-*": "spiffworkflow/bpmn/data/resetworkflowB-*.bpmn",
    "spiff call_activity_with_message*": "spiffworkflow/camunda/data/call_activity_with_message*.bpmn",
    "spiff prescript_postscript_*": "spiffworkflow/spiff/data/prescript_postscript_*.bpmn",
}

#: What loads today (alone, or as a group): a check that starts refusing one of these refuses a
#: construct that loads and runs, which needs a reason. (Those refused by design -- service and send
#: tasks, message throws, external forms -- are not here.)
LOADS = {
    "miwg/A.1.0.bpmn",
    "miwg/A.2.1.bpmn",
    "miwg/A.3.0.bpmn",
    "miwg/A.4.0.bpmn",
    "miwg/A.4.1.bpmn",
    "spiffworkflow/bpmn/data/Approvals.bpmn",
    "spiffworkflow/bpmn/data/Invalid-Workflows/non-executable-process.bpmn",
    "spiffworkflow/bpmn/data/ParallelOrder.bpmn",
    "spiffworkflow/bpmn/data/boundary_event_split.bpmn",
    "spiffworkflow/bpmn/data/call_activity_nested/call_activity_level_2b.bpmn",
    "spiffworkflow/bpmn/data/call_activity_nested/call_activity_level_3.bpmn",
    "spiffworkflow/bpmn/data/conditional_event.bpmn",
    "spiffworkflow/bpmn/data/data_object.bpmn",
    "spiffworkflow/bpmn/data/data_object_gateway.bpmn",
    "spiffworkflow/bpmn/data/diff/v1.bpmn",
    "spiffworkflow/bpmn/data/event-gateway.bpmn",
    "spiffworkflow/bpmn/data/event-subprocess.bpmn",
    "spiffworkflow/bpmn/data/exclusive_gateway_no_default.bpmn",
    "spiffworkflow/bpmn/data/multiple-start-parallel.bpmn",
    "spiffworkflow/bpmn/data/multiple-start.bpmn",
    "spiffworkflow/bpmn/data/no-tasks.bpmn",
    "spiffworkflow/bpmn/data/parallel_multiinstance_cardinality.bpmn",
    "spiffworkflow/bpmn/data/parallel_multiinstance_loop_input.bpmn",
    "spiffworkflow/bpmn/data/reset_with_boundary_event.bpmn",
    "spiffworkflow/bpmn/data/resetworkflowA-sublevel.bpmn",
    "spiffworkflow/bpmn/data/resetworkflowB-sublevel.bpmn",
    "spiffworkflow/bpmn/data/return_to_event.bpmn",
    "spiffworkflow/bpmn/data/sequential_multiinstance_cardinality.bpmn",
    "spiffworkflow/bpmn/data/sequential_multiinstance_loop_input.bpmn",
    "spiffworkflow/bpmn/data/standard_loop.bpmn",
    "spiffworkflow/bpmn/data/start_event_split.bpmn",
    "spiffworkflow/bpmn/data/timer.bpmn",
    "spiffworkflow/bpmn/data/uncaught_escalation.bpmn",
    "spiffworkflow/camunda/data/no_form.bpmn",
    "spiffworkflow/camunda/data/parallel_multiinstance_collection.bpmn",
    "spiffworkflow/spiff/data/data_object.bpmn",
    "spiffworkflow/spiff/data/error_event_payload.bpmn",
    "spiffworkflow/spiff/data/escalation_event_payload.bpmn",
    "spiffworkflow/spiff/data/prescript_postscript.bpmn",
    "spiffworkflow/spiff/data/prescript_postscript_data_object.bpmn",
    "spiffworkflow/spiff/data/receive_correlations.bpmn",
    "spiffworkflow/spiff/data/script_on_mi.bpmn",
    "spiffworkflow/spiff/data/signal_event_payload.bpmn",
    "spiffworkflow/spiff/data/spiff_multiinstance.bpmn",
    "spiffworkflow/spiff/data/spiff_properties.bpmn",
    "spiffworkflow/spiff/data/user_task_variable.bpmn",
}

#: Python's words for a crash: none of them may reach a process owner.
CRASH_WORDS = ("KeyError", "TypeError", "AttributeError", "IndexError", "ValueError", "Traceback", "NoneType")
EXCEPTION_NAME = re.compile(r"\b[A-Z]\w*(Error|Exception)\b")


def _members(group: str | list[str]) -> list[str]:
    if isinstance(group, str):
        return sorted(str(p.relative_to(FOREIGN)) for p in FOREIGN.glob(group))
    return group


def assert_refused_well(err: DefinitionError, sources: dict[str, bytes], what: object, *,
                        unreadable_allowed: bool = False) -> None:
    """Every problem is placed (a file it was given, and an element or a line) and worded for people: no
    Python words for a crash, no exception's name, and (unless allowed) not SpiffWorkflow failing where
    sedflow has no check."""
    for problem in err.problems:
        assert problem.element or problem.line, f"{what}: a problem names neither element nor line: {problem}"
        assert problem.file in sources, f"{what}: a problem names no file it was given: {problem}"
    for text in [str(err), *(str(p) for p in err.problems)]:
        assert not [w for w in CRASH_WORDS if w in text], f"{what}: crash words in {text!r}"
        assert not EXCEPTION_NAME.search(text), f"{what}: an exception's name in {text!r}"
        assert unreadable_allowed or UNREADABLE not in text, \
            f"{what}: SpiffWorkflow failed where sedflow has no check: {text!r}"


def assert_loads_or_is_refused_well(sources: dict[str, bytes], case: str) -> None:
    """The rules for any diagram sedflow is given: it loads, or every problem is placed and worded for people."""
    try:
        load_sources(sources)
    except DefinitionError as err:
        assert case not in LOADS, f"{case} loaded before and is refused now: {err}"
        assert_refused_well(err, sources, case)
    else:
        assert case in LOADS, f"{case} loads now: add it to LOADS"


@pytest.mark.parametrize("name", FILES)
def test_each_foreign_diagram_loads_or_is_refused_with_a_placed_message(name):
    assert_loads_or_is_refused_well({name: (FOREIGN / name).read_bytes()}, name)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_diagrams_that_call_each_other_load_together_or_are_refused_well(group):
    members = _members(GROUPS[group])
    assert len(members) > 1, group
    assert_loads_or_is_refused_well({name: (FOREIGN / name).read_bytes() for name in members}, group)


def test_the_corpus_is_all_there():
    assert len([f for f in FILES if f.startswith("miwg/")]) == 21
    assert len([f for f in FILES if f.startswith("spiffworkflow/")]) == 116
    assert set(LOADS) - set(FILES) - set(GROUPS) == set()  # no stale name in LOADS
