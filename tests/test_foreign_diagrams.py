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
#: construct that loads and runs, which needs a reason.
LOADS = {
    *(f"miwg/{n}.bpmn" for n in ("A.1.0", "A.2.0", "A.2.1", "A.3.0", "A.4.0", "A.4.1", "C.1.0", "C.2.0", "C.6.0",
                                 "C.9.1")),
    *(f"spiffworkflow/bpmn/data/{n}.bpmn" for n in (
        "Approvals", "Invalid-Workflows/non-executable-process", "ParallelOrder", "boundary", "boundary_event_split",
        "call_activity_nested/call_activity_level_2b", "call_activity_nested/call_activity_level_3", "collaboration",
        "conditional_event", "correlation", "correlation_two_conversations", "data_object", "data_object_gateway",
        "diff/v1", "event-gateway", "event-subprocess", "exclusive_gateway_no_default", "lanes",
        "multiple-start-parallel", "multiple-start", "multiple-throw-start", "multiple-throw", "no-tasks",
        "parallel_multiinstance_cardinality", "parallel_multiinstance_invalid", "reset_with_boundary_event",
        "resetworkflowA-sublevel", "resetworkflowB-sublevel", "return_to_event", "sequential_multiinstance_cardinality",
        "service_task", "standard_loop", "start_event_split", "timer-non-interrupt-boundary", "timer",
        "uncaught_escalation")),
    *(f"spiffworkflow/camunda/data/{n}.bpmn" for n in (
        "MessageBoundary", "call_activity_with_message", "message_test", "no_form", "noninterrupting-MessageBoundary",
        "parallel_multiinstance_cardinality", "parallel_multiinstance_collection", "subWorkflowComplex",
        "token_trial_nested_parallel", "token_trial_parallel_matrix", "token_trial_subprocess")),
    *(f"spiffworkflow/spiff/data/{n}.bpmn" for n in (
        "correlation", "data_object", "error_event_payload", "escalation_event_payload", "prescript_postscript",
        "prescript_postscript_data_object", "receive_correlations", "service_task",
        "service_task_retry_without_backoff", "signal_event_payload", "spiff_properties", "user_task_variable")),
    "spiff call_activity_with_message*",
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
