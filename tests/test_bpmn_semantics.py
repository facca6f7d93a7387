"""BPMN as Camunda 7 runs it (issue 11): elements that ran differently from Camunda, or stalled a case.

Each test draws the smallest diagram that showed the difference and runs it through the real engine
on a real SQLite store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sedflow import Case, CaseStatus, DefinitionError, Engine, JournalKind, ManualClock, open_store
from sedflow.definitions import load_sources

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" '
        'targetNamespace="http://sedflow.se/test">\n<bpmn:process id="p" isExecutable="true">\n')
TAIL = "</bpmn:process>\n</bpmn:definitions>\n"


def diagram(body: str) -> bytes:
    return (HEAD + body + TAIL).encode()


@pytest.fixture
def run(tmp_path):
    """Start one case of the diagram (with process variables); return the engine and the case."""
    def start(source: bytes, **variables: object):
        store = open_store(tmp_path / f"cases{len(list(tmp_path.iterdir()))}.db", create=True)
        engine = Engine(store, load_sources({"p.bpmn": source}), clock=ManualClock("2026-01-05T08:00:00Z"))
        return engine, engine.start_case("p", "p-1", variables=variables)
    return start


def ready(engine: Engine, case: Case) -> list[str]:
    return sorted(t.element_id for t in engine.list_tasks(case_id=case.case_id))


def flow(fid: str, source: str, target: str, condition: str | None = None) -> str:
    body = (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
            if condition else "")
    return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">{body}</bpmn:sequenceFlow>\n'


def users(*ids: str) -> str:
    return "".join(f'<bpmn:userTask id="{i}" />\n' for i in ids)


def test_the_ids_spiffworkflow_keeps_for_itself_are_refused_naming_the_element_and_line():
    """bpmn-engine's and Camunda's samples name their events Start and End; SpiffWorkflow crashed on them."""
    source = diagram('<bpmn:startEvent id="Start" />\n<bpmn:endEvent id="End" />\n'
                     '<bpmn:sequenceFlow id="f" sourceRef="Start" targetRef="End" />\n')
    with pytest.raises(DefinitionError) as refused:
        load_sources({"p.bpmn": source})
    problems = {(p.element, p.line) for p in refused.value.problems}
    assert problems == {("Start", 4), ("End", 5)}
    assert "reserved" in str(refused.value) and "another id" in str(refused.value)


def test_sequence_flows_without_an_id_are_followed(run):
    """A parallel split over two flows that have no id reaches both branches (they used to vanish)."""
    _, case = run(diagram(
        '<bpmn:startEvent id="s" />\n<bpmn:parallelGateway id="split" />\n'
        '<bpmn:userTask id="a" />\n<bpmn:userTask id="b" />\n'
        '<bpmn:sequenceFlow sourceRef="s" targetRef="split" />\n'
        '<bpmn:sequenceFlow sourceRef="split" targetRef="a" />\n'
        '<bpmn:sequenceFlow sourceRef="split" targetRef="b" />\n'))
    assert case.status == "active" and sorted(t.element_id for t in case.tasks) == ["a", "b"]


@pytest.mark.parametrize("kind", ["task", "manualTask"])
def test_plain_and_manual_tasks_complete_on_arrival_as_in_camunda(run, kind):
    engine, case = run(diagram(
        f'<bpmn:startEvent id="s" />\n<bpmn:{kind} id="outside" name="Görs utanför" />\n'
        '<bpmn:userTask id="next" />\n<bpmn:endEvent id="e" />\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="outside" />\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="outside" targetRef="next" />\n'
        '<bpmn:sequenceFlow id="f3" sourceRef="next" targetRef="e" />\n'))
    assert [t.element_id for t in case.tasks] == ["next"]
    journal = [(e.kind, e.element_id) for e in engine.case_history(case.case_id) if e.element_id == "outside"]
    assert journal == [("task_completed", "outside")]
    assert engine.complete_task(case.case_id, "next").status == "completed"


def _form_task(field: str) -> bytes:
    return diagram(
        '<bpmn:startEvent id="s" />\n<bpmn:userTask id="t">\n<bpmn:extensionElements>\n'
        '<camunda:formData xmlns:camunda="http://camunda.org/schema/1.0/bpmn">\n' + field +
        '\n</camunda:formData>\n</bpmn:extensionElements>\n</bpmn:userTask>\n'
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t" />\n')


@pytest.mark.parametrize("field, why", [
    ('<camunda:formField id="ok" type="boolean" defaultValue="__import__(\'os\').system(\'x\')" />', "does not fit"),
    ('<camunda:formField id="n" type="long" defaultValue="many" />', "does not fit"),
    ('<camunda:formField id="d" type="date" defaultValue="${today()}" />', "literal defaults only"),
])
def test_a_form_default_that_is_no_value_of_its_field_is_refused_at_load(field, why):
    with pytest.raises(DefinitionError, match=why) as refused:
        load_sources({"p.bpmn": _form_task(field)})
    assert (refused.value.element, refused.value.line) == ("t", 8)


def test_a_literal_form_default_fills_an_empty_field(run):
    engine, case = run(_form_task('<camunda:formField id="done" type="boolean" defaultValue="false" />'))
    assert engine.complete_task(case.case_id, "t").data["done"] is False


@pytest.mark.parametrize("element, why", [
    ('<bpmn:businessRuleTask id="step" />', "exclusive gateway"),   # no DMN: draw the decision instead
    ('<bpmn:callActivity id="step" />', "names no process to call"),  # KeyError/TypeError before
])
def test_an_element_sedflow_cannot_run_is_refused_at_load_saying_what_to_do(element, why):
    source = diagram(f'<bpmn:startEvent id="s" />\n{element}\n'
                     '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="step" />\n')
    with pytest.raises(DefinitionError, match=why) as refused:
        load_sources({"p.bpmn": source})
    assert (refused.value.element, refused.value.line) == ("step", 5)


def test_a_default_is_read_as_the_programme_reads_it():
    """With the SE profile a boolean default may be 'ja', and a text default may not be a personnummer."""
    from sedflow.programmes.se import PROFILE
    yes = _form_task('<camunda:formField id="ok" type="boolean" defaultValue="ja" />')
    assert load_sources({"p.bpmn": yes}, profile=PROFILE).get("p")
    who = _form_task('<camunda:formField id="who" type="string" defaultValue="19980101-1234" />')
    with pytest.raises(DefinitionError, match="direct identifier"):
        load_sources({"p.bpmn": who}, profile=PROFILE)


def test_the_change_list_names_an_anonymous_flow_as_the_loader_does(tmp_path):
    from sedflow import diff_definitions
    body = ('<bpmn:startEvent id="s" />\n<bpmn:parallelGateway id="split" />\n'
            '<bpmn:userTask id="a" />\n<bpmn:userTask id="b" />\n'
            '<bpmn:sequenceFlow sourceRef="s" targetRef="split" />\n'
            '<bpmn:sequenceFlow sourceRef="split" targetRef="a" />\n'
            '<bpmn:sequenceFlow sourceRef="split" targetRef="{last}" />\n')
    old = load_sources({"p.bpmn": diagram(body.format(last="b"))}).get("p")
    new = load_sources({"p.bpmn": diagram(body.format(last="a"))}).get("p")
    changed = [c.element_id for c in diff_definitions(old, new).changed]
    assert changed == ["flow_line10"]  # the third flow, on line 10


# ------------------------------------------------------------------------------- flows out of activities

def test_several_flows_without_conditions_leaving_a_task_all_start_as_a_parallel_split(run):
    engine, case = run(diagram('<bpmn:startEvent id="s" />' + users("a", "b", "c")
                               + flow("f1", "s", "a") + flow("f2", "a", "b") + flow("f3", "a", "c")))
    engine.complete_task(case.case_id, "a")
    assert ready(engine, case) == ["b", "c"]
    engine.complete_task(case.case_id, "b")
    assert engine.show_case(case.case_id).status == CaseStatus.ACTIVE  # c's path is still open
    assert engine.complete_task(case.case_id, "c").status == CaseStatus.COMPLETED


@pytest.mark.parametrize(("x", "expected"), [(3, ["always", "b"]), (7, ["always", "b", "c"])])
def test_conditional_flows_leaving_a_task_start_where_their_condition_holds(run, x, expected):
    """Camunda 7: each flow out of an activity whose condition holds is taken, and every unconditional one."""
    engine, case = run(diagram('<bpmn:startEvent id="s" />' + users("a", "b", "c", "always") + flow("f1", "s", "a")
                               + flow("f2", "a", "b", "${x > 1}") + flow("f3", "a", "c", "${x > 5}")
                               + flow("f4", "a", "always")), x=x)
    engine.complete_task(case.case_id, "a")
    assert ready(engine, case) == expected


@pytest.mark.parametrize(("x", "expected"), [(3, ["b"]), (0, ["fallback"])])
def test_the_default_flow_of_a_task_is_taken_only_when_no_condition_holds(run, x, expected):
    engine, case = run(diagram('<bpmn:startEvent id="s" /><bpmn:userTask id="a" default="f4" />'
                               + users("b", "fallback") + flow("f1", "s", "a") + flow("f2", "a", "b", "${x > 1}")
                               + flow("f4", "a", "fallback")), x=x)
    engine.complete_task(case.case_id, "a")
    assert ready(engine, case) == expected


def test_conditional_flows_leaving_a_start_event_are_evaluated(run):
    engine, case = run(diagram('<bpmn:startEvent id="s" />' + users("b", "c") + flow("f2", "s", "b", "${x == 1}")
                               + flow("f3", "s", "c", "${x == 2}")), x=2)
    assert ready(engine, case) == ["c"]


def test_an_unconditional_flow_leaving_an_inclusive_gateway_is_always_taken(run):
    """Camunda takes an inclusive gateway's flow without condition (not the default) as true."""
    engine, case = run(diagram('<bpmn:startEvent id="s" /><bpmn:inclusiveGateway id="g" />' + users("b", "c")
                               + flow("f1", "s", "g") + flow("f2", "g", "c", "${x > 1}") + flow("f3", "g", "b")), x=0)
    assert ready(engine, case) == ["b"]


def test_an_exclusive_gateway_takes_the_first_true_condition_in_written_order(run):
    """Camunda 7 evaluates an exclusive gateway's flows in the order they are written, whatever the layout."""
    engine, case = run(diagram('<bpmn:startEvent id="s" /><bpmn:exclusiveGateway id="g" />' + users("b", "c")
                               + flow("f1", "s", "g") + flow("f2", "g", "c", "${x > 1}")
                               + flow("f3", "g", "b", "${x > 2}")), x=5)
    assert ready(engine, case) == ["c"]


def test_a_default_flow_that_does_not_leave_its_element_is_refused_at_load():
    with pytest.raises(DefinitionError, match="default flow 'f1' is not a sequence flow leaving 'g'") as refused:
        load_sources({"p.bpmn": diagram('<bpmn:startEvent id="s" /><bpmn:exclusiveGateway id="g" default="f1" />'
                                        + users("b") + flow("f1", "s", "g") + flow("f2", "g", "b"))})
    assert (refused.value.element, refused.value.line) == ("g", 4)


# ------------------------------------------------------------------------------------- implicit ends

def test_a_sub_process_without_an_end_event_ends_with_its_last_path(run):
    engine, case = run(diagram(
        '<bpmn:startEvent id="s" /><bpmn:subProcess id="sub"><bpmn:startEvent id="ss" /><bpmn:userTask id="a" />'
        + flow("i1", "ss", "a") + '</bpmn:subProcess>' + users("after") + flow("f1", "s", "sub")
        + flow("f2", "sub", "after")))
    assert ready(engine, case) == ["a"]
    engine.complete_task(case.case_id, "a")
    assert ready(engine, case) == ["after"]
    assert engine.complete_task(case.case_id, "after").status == CaseStatus.COMPLETED


def test_an_error_ref_naming_no_error_element_is_the_error_code(run):
    """Camunda 7 reads an errorRef that resolves to nothing as the error code; SpiffWorkflow's parser raised."""
    engine, case = run(diagram(
        '<bpmn:startEvent id="s" /><bpmn:subProcess id="sub"><bpmn:startEvent id="ss" />'
        '<bpmn:endEvent id="ee"><bpmn:errorEventDefinition errorRef="NO_FUNDING" /></bpmn:endEvent>'
        + flow("i1", "ss", "ee") + '</bpmn:subProcess><bpmn:boundaryEvent id="caught" attachedToRef="sub">'
        '<bpmn:errorEventDefinition errorRef="NO_FUNDING" /></bpmn:boundaryEvent>' + users("handled", "normal")
        + flow("f1", "s", "sub") + flow("f2", "sub", "normal") + flow("f3", "caught", "handled")))
    assert ready(engine, case) == ["handled"]


# -------------------------------------------------------------------------------------------- timers

def _timer(kind: str, value: str) -> str:
    return f'<bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>'


def test_an_event_based_gateway_timer_runs_on_the_engine_clock_and_sets_the_next_due_time(run):
    engine, case = run(diagram(
        '<bpmn:startEvent id="s" /><bpmn:eventBasedGateway id="g" />'
        f'<bpmn:intermediateCatchEvent id="late">{_timer("timeDuration", "P2D")}</bpmn:intermediateCatchEvent>'
        f'<bpmn:intermediateCatchEvent id="early">{_timer("timeDuration", "PT1H")}</bpmn:intermediateCatchEvent>'
        + users("after_late", "after_early") + flow("f1", "s", "g") + flow("f2", "g", "late") + flow("f3", "g", "early")
        + flow("f4", "late", "after_late") + flow("f5", "early", "after_early")))
    assert engine.store.get_case(case.case_id).next_due_at == datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert [(t.element_id, t.due_at) for t in engine.due(within=timedelta(days=9), case_id=case.case_id)] == \
        [("early", datetime(2026, 1, 5, 9, tzinfo=UTC))]
    engine.clock.advance(minutes=59)
    assert engine.tick().fired == {}
    engine.clock.advance(minutes=1)
    assert case.case_id in engine.tick().fired
    assert ready(engine, case) == ["after_early"]


def test_an_interrupting_timer_event_sub_process_cancels_the_main_flow(run):
    engine, case = run(diagram(
        '<bpmn:startEvent id="s" />' + users("work") + '<bpmn:endEvent id="e" />' + flow("f1", "s", "work")
        + flow("f2", "work", "e") + '<bpmn:subProcess id="esp" triggeredByEvent="true">'
        f'<bpmn:startEvent id="overdue">{_timer("timeDuration", "P30D")}</bpmn:startEvent>' + users("escalate")
        + '<bpmn:endEvent id="ee" />' + flow("g1", "overdue", "escalate") + flow("g2", "escalate", "ee")
        + '</bpmn:subProcess>'))
    assert ready(engine, case) == ["work"]
    engine.clock.advance(days=30)
    engine.tick()
    assert ready(engine, case) == ["escalate"]
    kinds = [(e.kind, e.element_id) for e in engine.case_history(case.case_id)]
    assert (JournalKind.TASK_CANCELLED, "work") in kinds
    assert engine.complete_task(case.case_id, "escalate").status == CaseStatus.COMPLETED


def test_a_cron_cycle_fires_at_its_quartz_times(run):
    """Camunda 7 takes Quartz cron in timeCycle: 09:00 on weekdays (day of week 2-6 counts from Sunday = 1)."""
    engine, case = run(diagram(
        '<bpmn:startEvent id="s" />' + users("work") + flow("f1", "s", "work")
        + f'<bpmn:boundaryEvent id="remind" attachedToRef="work" cancelActivity="false">'
        f'{_timer("timeCycle", "0 0 9 ? * 2-6")}</bpmn:boundaryEvent>' + users("reminder")
        + flow("f2", "remind", "reminder")))
    engine.clock.set("2026-01-09T10:00:00Z")  # a Friday, after nine
    assert engine.store.get_case(case.case_id).next_due_at == datetime(2026, 1, 5, 9, tzinfo=UTC)
    engine.tick()
    assert engine.store.get_case(case.case_id).next_due_at == datetime(2026, 1, 12, 9, tzinfo=UTC)  # Monday


def test_a_cron_cycle_that_cannot_run_is_refused_at_load():
    with pytest.raises(DefinitionError, match="not a cron expression sedflow can read") as refused:
        load_sources({"p.bpmn": diagram(
            '<bpmn:startEvent id="s" /><bpmn:intermediateCatchEvent id="t">'
            f'{_timer("timeCycle", "0 0 25 * * ?")}</bpmn:intermediateCatchEvent>' + flow("f1", "s", "t"))})
    assert refused.value.element == "t"


# ------------------------------------------------------------------------------------ call activities

def _caller(mappings: str) -> bytes:
    return (HEAD.replace('<bpmn:process id="p" isExecutable="true">\n', '') .replace(
        'xmlns:xsi=', 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi=')
        + '<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" />'
        f'<bpmn:callActivity id="call" calledElement="child"><bpmn:extensionElements>{mappings}'
        '</bpmn:extensionElements></bpmn:callActivity>' + users("after") + flow("f1", "s", "call")
        + flow("f2", "call", "after") + '</bpmn:process><bpmn:process id="child" isExecutable="true">'
        '<bpmn:startEvent id="cs" />' + users("inner") + flow("c1", "cs", "inner") + TAIL).encode()


@pytest.mark.parametrize(("mappings", "inside", "after"), [
    ("", {}, {"a": 5, "keep": 1}),
    ('<camunda:in source="a" target="b" /><camunda:in sourceExpression="${a + 1}" target="c" />'
     '<camunda:in source="missing" target="d" /><camunda:out source="r" target="result" />',
     {"b": 5, "c": 6, "d": None}, {"a": 5, "keep": 1, "result": 42}),
    ('<camunda:in variables="all" /><camunda:out variables="all" />',
     {"a": 5, "keep": 1}, {"a": 5, "keep": 1, "r": 42, "tmp": 0}),
])
def test_a_call_activity_passes_only_what_camunda_in_and_out_map(run, mappings, inside, after):
    """Camunda 7 passes no variable a call activity does not map (SpiffWorkflow copied everything both ways)."""
    engine, case = run(_caller(mappings), a=5, keep=1)
    assert engine.variables(case.case_id, "inner") == inside
    engine.complete_task(case.case_id, "inner", variables={"r": 42, "tmp": 0})
    assert engine.variables(case.case_id, "after") == after


def test_a_business_key_mapping_is_refused_at_load():
    with pytest.raises(DefinitionError, match="businessKey is refused") as refused:
        load_sources({"p.bpmn": _caller('<camunda:in businessKey="${participant}" />')})
    assert refused.value.element == "call"


# ------------------------------------------------------------------------------------- multi-instance

def _multi(characteristics: str) -> bytes:
    return (HEAD.replace('xmlns:xsi=', 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi=')
            + f'<bpmn:startEvent id="s" /><bpmn:userTask id="mi">{characteristics}</bpmn:userTask>'
            + users("after") + flow("f1", "s", "mi") + flow("f2", "mi", "after") + TAIL).encode()


def test_a_collection_gives_each_instance_its_element_and_the_completion_condition_reads_the_built_ins(run):
    engine, case = run(_multi(
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="${coaches}" camunda:elementVariable="coach">'
        '<bpmn:completionCondition>${nrOfCompletedInstances / nrOfInstances >= 0.5}</bpmn:completionCondition>'
        '</bpmn:multiInstanceLoopCharacteristics>'), coaches=["anna", "bo", "cia", "dan"])
    instances = engine.list_tasks(case_id=case.case_id)
    assert [(engine.variables(case.case_id, t.task_id)["coach"], engine.variables(case.case_id, t.task_id)
             ["loopCounter"]) for t in instances] == [("anna", 0), ("bo", 1), ("cia", 2), ("dan", 3)]
    engine.complete_task(case.case_id, instances[0].task_id, variables={"first": True})
    assert len(engine.list_tasks(case_id=case.case_id)) == 3
    engine.complete_task(case.case_id, instances[2].task_id)
    assert ready(engine, case) == ["after"]  # half done: the other two were cancelled
    assert engine.variables(case.case_id, "after") == {"coaches": ["anna", "bo", "cia", "dan"], "first": True}


def test_a_sequential_cardinality_runs_its_instances_one_after_another(run):
    engine, case = run(_multi('<bpmn:multiInstanceLoopCharacteristics isSequential="true">'
                              '<bpmn:loopCardinality>${n}</bpmn:loopCardinality>'
                              '</bpmn:multiInstanceLoopCharacteristics>'), n=3)
    counters = []
    for _ in range(3):
        (task,) = engine.list_tasks(case_id=case.case_id)
        counters.append(engine.variables(case.case_id, task.task_id)["loopCounter"])
        engine.complete_task(case.case_id, task.task_id)
    assert counters == [0, 1, 2]
    assert ready(engine, case) == ["after"]


def test_a_case_of_a_process_with_a_timer_start_event_waits_for_the_timer(run):
    """A stated difference from Camunda (which starts instances itself): the case started for a participant
    waits at the timer start event, and runs when it is due."""
    engine, case = run(diagram(f'<bpmn:startEvent id="s">{_timer("timeDuration", "PT1H")}</bpmn:startEvent>'
                               + users("a") + flow("f1", "s", "a")))
    assert ready(engine, case) == []
    assert [t.element_id for t in engine.due(within=timedelta(hours=1), case_id=case.case_id)] == ["s"]
    engine.clock.advance(hours=1)
    assert engine.tick().fired == {case.case_id: ["s"]}
    assert ready(engine, case) == ["a"]


def test_an_interrupting_event_sub_process_inside_a_sub_process_lets_the_sub_process_complete(run):
    """The event sub-process replaces the sub-process's flow; when it ends, the sub-process ends and the case goes
    on after it (the interruption used to cancel the sub-process's own end: an incident)."""
    engine, case = run(diagram(
        '<bpmn:startEvent id="s" /><bpmn:subProcess id="sub"><bpmn:startEvent id="ss" />' + users("work")
        + flow("i1", "ss", "work") + '<bpmn:subProcess id="esp" triggeredByEvent="true">'
        f'<bpmn:startEvent id="late">{_timer("timeDuration", "P7D")}</bpmn:startEvent>' + users("chase")
        + flow("g1", "late", "chase") + '</bpmn:subProcess></bpmn:subProcess>' + users("after")
        + flow("f1", "s", "sub") + flow("f2", "sub", "after")))
    engine.clock.advance(days=7)
    engine.tick()
    assert ready(engine, case) == ["chase"]
    engine.complete_task(case.case_id, "chase")
    assert ready(engine, case) == ["after"]
    assert engine.show_case(case.case_id).incident is None


@pytest.mark.parametrize(("mapping", "says"), [
    ('<camunda:in source="a" />', "needs a target and either a source or a sourceExpression"),
    ('<camunda:out target="b" />', "needs a target and either a source or a sourceExpression"),
    ('<camunda:in sourceExpression="${__import__(1)}" target="b" />', "camunda:in sourceExpression"),
])
def test_a_mapping_that_cannot_pass_anything_is_refused_at_load(mapping, says):
    with pytest.raises(DefinitionError, match=says) as refused:
        load_sources({"p.bpmn": _caller(mapping)})
    assert refused.value.element == "call"


def test_a_collection_that_is_no_variable_is_refused_at_load():
    with pytest.raises(DefinitionError, match="must name a variable that holds a list") as refused:
        load_sources({"p.bpmn": _multi(
            '<bpmn:multiInstanceLoopCharacteristics camunda:collection="${bean.list()}" />')})
    assert refused.value.element == "mi"
