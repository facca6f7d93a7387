"""No silent stall (issue 11): a step that leaves an active case with nothing that can advance it still
commits, opens an incident (journalled, on the case, in ``case list --incidents``, first in ``due``,
counted by ``tick``), and a later step that lets the case advance or ends it resolves the incident; and
what the runtime cannot drive is refused at load, naming file, element and line.

Real stores on both backends (the ``store`` fixture), the real CLI through click's runner.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sedflow import PROCESSES_DIR, DefinitionError, Engine, ManualClock, load_directory, open_store
from sedflow.definitions import load_sources
from sedflow.programmes.se import PROFILE as SE_PROFILE

from conftest import REFERRAL
from sedflow_cli.main import main

DIAGRAMS = Path(__file__).parent / "diagrams"
UNBALANCED = (DIAGRAMS / "unbalanced_join.bpmn").read_bytes()
JOIN_REASON = ("parallelGateway 'join' (Båda klara) waits for incoming branches that can no longer arrive (nothing "
               "in the case is ready or waiting to bring them: is an exclusive or inclusive split joined by a "
               "parallel gateway?)")


def unbalanced(store, clock, source=UNBALANCED):
    return Engine(store, load_sources({"unbalanced_join.bpmn": source}, profile=SE_PROFILE), clock=clock,
                  profile=SE_PROFILE)


def stall(engine, participant="p-stuck", *, extra=False, actor="coach-1"):
    """A case of the unbalanced join driven into it: whichever way the split goes, the join waits for the other."""
    case = engine.start_case("unbalanced_join", participant)
    engine.complete_task(case.case_id, "assess", {"extra": extra}, actor=actor)
    return engine.complete_task(case.case_id, "extra_step" if extra else "plan", actor=actor)


def kinds(engine, case_id):
    return [e.kind for e in engine.case_history(case_id)]


def test_the_unbalanced_join_diagram_opens_in_a_modeller():
    assert load_sources({"unbalanced_join.bpmn": UNBALANCED}, profile=SE_PROFILE).warnings == []  # full BPMN DI


def test_an_unbalanced_join_opens_an_incident_and_the_step_still_commits(store, clock):
    engine = unbalanced(store, clock)
    case = engine.start_case("unbalanced_join", "p-stuck")
    assert case.incident is None and [t.element_id for t in case.tasks] == ["assess"]
    engine.complete_task(case.case_id, "assess", {"extra": False})
    before = store.get_case(case.case_id)
    clock.advance(days=1)

    stuck = engine.complete_task(case.case_id, "plan", actor="coach-1")
    # The step itself was valid: it committed, and left the case active with nothing to do.
    assert (stuck.status, stuck.tasks, stuck.revision) == ("active", [], before.revision + 1)
    assert (stuck.incident.process_id, stuck.incident.element_id, stuck.incident.since) == \
        ("unbalanced_join", "join", clock.now())
    assert stuck.incident.reason == JOIN_REASON
    assert engine.show_case(case.case_id).incident == stuck.incident  # as the store keeps it
    assert store.get_case(case.case_id).next_due_at is None and engine.list_tasks(case_id=case.case_id) == []

    journal = engine.case_history(case.case_id)
    assert [e.kind for e in journal][-2:] == ["task_completed", "incident_opened"]
    opened = journal[-1]
    assert (opened.element_id, opened.element_type, opened.element_name, opened.process_id, opened.actor, opened.at) \
        == ("join", "parallelGateway", "Båda klara", "unbalanced_join", "coach-1", clock.now())
    assert opened.data == {"kind": "stalled", "reason": JOIN_REASON, "elements": [
        {"process_id": "unbalanced_join", "element_id": "join", "element_type": "parallelGateway",
         "reason": JOIN_REASON.removeprefix("parallelGateway 'join' (Båda klara) ")}]}

    # It is listed, and first in the due list (in every lane: a stalled participant concerns everyone).
    fine = engine.start_case("unbalanced_join", "p-fine")
    assert [c.case_id for c in engine.list_cases(incident=True)] == [case.case_id]
    assert {c.case_id for c in engine.list_cases()} == {case.case_id, fine.case_id}
    due = engine.due()
    assert [(t.kind, t.case_id, t.element_id) for t in due] == [("incident", case.case_id, "join"),
                                                              ("task", fine.case_id, "assess")]
    assert (due[0].reason, due[0].participant, due[0].name, due[0].since) == \
        (JOIN_REASON, "p-stuck", "Båda klara", clock.now())
    assert due[0].to_dict()["kind"] == "incident" and due[0].to_dict()["reason"] == JOIN_REASON
    assert [t.kind for t in engine.due(lane="coach")] == ["incident"]
    assert [t.element_id for t in engine.due(case_id=fine.case_id)] == ["assess"]
    assert engine.show_case(case.case_id).to_dict()["incident"] == {
        "process_id": "unbalanced_join", "element_id": "join", "reason": JOIN_REASON, "kind": "stalled",
        "since": clock.now().isoformat(timespec="seconds")}

    # tick fires nothing here (there is nothing to fire) and says how many cases are in incident.
    ticked = engine.tick()
    assert (ticked.timers_fired, ticked.stalled, ticked.incidents) == (0, [], 1)

    # An administrative stop ends the case and resolves the incident, in the same step.
    clock.advance(days=2)
    ended = engine.cancel_case(case.case_id, "REGISTRATION_ERROR", actor="admin")
    assert (ended.status, ended.incident) == ("cancelled", None)
    journal = engine.case_history(case.case_id)
    assert [e.kind for e in journal][-2:] == ["incident_resolved", "case_ended"]
    resolved = journal[-2]
    assert (resolved.element_id, resolved.element_type, resolved.actor, resolved.at) == \
        ("join", "parallelGateway", "admin", clock.now())
    assert resolved.data == {"reason": "the case ended (cancelled)", "incident": JOIN_REASON,
                             "opened_at": stuck.incident.since.isoformat(timespec="seconds")}
    assert engine.list_cases(incident=True) == [] and engine.tick().incidents == 0
    assert [t.case_id for t in engine.due()] == [fine.case_id]
    assert kinds(engine, fine.case_id) == ["case_started", "event_reached", "task_ready"]  # no incident there


def test_the_withdrawal_sub_process_does_not_keep_a_stalled_case_alive_but_ends_it(store, clock):
    """The diagram catches the withdrawal message in an event sub-process: that is no live wait on its own
    (the case is stalled), but withdrawing the participant ends the case and resolves the incident."""
    engine = unbalanced(store, clock)
    stuck = stall(engine, extra=True)  # the other branch: the join waits for the plan now
    assert stuck.incident.element_id == "join"
    ended = engine.withdraw_case(stuck.case_id, "MOVED", actor="coach-2")
    assert (ended.status, ended.end_reason, ended.incident) == ("withdrawn", "MOVED", None)
    [resolved] = [e for e in engine.case_history(stuck.case_id) if e.kind == "incident_resolved"]
    assert resolved.data["reason"] == "the case ended (withdrawn)" and resolved.actor == "coach-2"


def test_a_migration_to_a_fixed_version_resolves_the_incident(store, clock):
    engine = unbalanced(store, clock)
    stuck = stall(engine)
    opened = stuck.incident
    # A version that is still broken (only the end event was renamed): the same incident goes on.
    still = load_sources({"unbalanced_join.bpmn": UNBALANCED.replace(b'name="Klart"', b'name="Klart!"')},
                         profile=SE_PROFILE)
    engine.deploy(still)
    clock.advance(days=1)
    assert engine.migrate_case(stuck.case_id, still.get("unbalanced_join").version).migrated
    case = engine.show_case(stuck.case_id)
    assert case.incident == opened  # since the first stalled step, not since the migration
    assert kinds(engine, stuck.case_id).count("incident_opened") == 1
    assert "incident_resolved" not in kinds(engine, stuck.case_id)

    # The fix: the join becomes a merge (an exclusive gateway), and the case goes on at once.
    fixed = load_sources({"unbalanced_join.bpmn": UNBALANCED.replace(
        b'<bpmn:parallelGateway id="join"', b'<bpmn:exclusiveGateway id="join"').replace(
        b"</bpmn:parallelGateway>", b"</bpmn:exclusiveGateway>")}, profile=SE_PROFILE)
    engine.deploy(fixed)
    clock.advance(days=1)
    plan = engine.migrate_case(stuck.case_id, fixed.get("unbalanced_join").version, actor="admin")
    assert plan.migrated
    case = engine.show_case(stuck.case_id)
    assert (case.status, case.incident, [t.element_id for t in case.tasks]) == ("active", None, ["close"])
    journal = engine.case_history(stuck.case_id)
    assert [(e.kind, e.element_id) for e in journal][-4:] == [
        ("case_migrated", None), ("gateway_taken", "join"), ("task_ready", "close"), ("incident_resolved", "join")]
    assert journal[-1].data["reason"] == "the case can advance again: close ready" and journal[-1].actor == "admin"
    assert engine.complete_task(stuck.case_id, "close").status == "completed"


def test_the_cli_shows_lists_and_surfaces_the_incident(store_url, tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "unbalanced_join.bpmn").write_bytes(UNBALANCED)
    runner = CliRunner()

    def cli(*args, code=0):
        result = runner.invoke(main, ["--store", store_url, "--processes", str(tmp_path / "p"), *args])
        assert result.exit_code == code, result.output
        return result.output

    cli("init")
    case_id = json.loads(cli("case", "start", "unbalanced_join", "--participant", "p-cli", "--json"))["case_id"]
    fine = json.loads(cli("case", "start", "unbalanced_join", "--participant", "p-fine", "--json"))["case_id"]
    cli("case", "complete", case_id, "assess", "--set", "extra=nej")
    assert "INCIDENT since" in cli("case", "complete", case_id, "plan", "--actor", "coach-9")

    shown = cli("case", "show", case_id)
    assert "status active" in shown and f"stuck at join (unbalanced_join): {JOIN_REASON}" in shown
    incident = json.loads(cli("case", "show", case_id, "--json"))["incident"]
    assert (incident["element_id"], incident["reason"]) == ("join", JOIN_REASON)
    assert "INCIDENT" not in cli("case", "show", fine)

    listed = cli("case", "list", "--incidents")
    assert case_id in listed and fine not in listed and "1 case(s)" in listed and "INCIDENT at join" in listed
    assert [c["case_id"] for c in json.loads(cli("case", "list", "--incidents", "--json"))] == [case_id]
    assert "2 case(s)" in cli("case", "list")

    due = cli("due").splitlines()
    assert due[0].startswith(f"{case_id}  INCIDENT join") and JOIN_REASON in due[0]
    assert due[1].startswith(f"{fine}  task  assess")
    assert [t["kind"] for t in json.loads(cli("due", "--json"))] == ["incident", "task"]

    assert "1 case(s) in incident" in cli("tick")  # on stderr, beside the summary line

    cli("case", "cancel", case_id, "--reason", "REGISTRATION_ERROR")
    assert "0 case(s)" in cli("case", "list", "--incidents")
    assert "in incident" not in cli("tick")
    history = json.loads(cli("case", "history", case_id, "--json"))
    assert [e["kind"] for e in history if e["kind"].startswith("incident")] == ["incident_opened", "incident_resolved"]


# ----------------------------------------------------------------------------------- what a live wait is

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://sedflow.se/test">\n'
        '<bpmn:message id="m_withdrawal" name="participant_withdrawal" />\n'
        '<bpmn:message id="m_hello" name="hello" />\n'
        '<bpmn:signal id="s_go" name="go" />\n'
        '<bpmn:process id="p" isExecutable="true">\n')
TAIL = "</bpmn:process>\n</bpmn:definitions>\n"


def diagram(body: str, tail: str = TAIL) -> bytes:
    return (HEAD + body + tail).encode()


def flows(*pairs: str) -> str:
    """Sequence flows ``f1``, ``f2``, ... for "source>target" pairs (a ``?`` suffix: condition ``go``)."""
    out = []
    for n, pair in enumerate(pairs, 1):
        source, target = pair.removesuffix("?").split(">")
        condition = "<bpmn:conditionExpression>${go}</bpmn:conditionExpression>" if pair.endswith("?") else ""
        out.append(f'<bpmn:sequenceFlow id="f{n}" sourceRef="{source}" targetRef="{target}">{condition}'
                   "</bpmn:sequenceFlow>\n")
    return "".join(out)


#: A start event whose form sets ``go``, what the ``?`` flows read.
START_GO = ('<bpmn:startEvent id="s"><bpmn:extensionElements><camunda:formData>'
            '<camunda:formField id="go" type="boolean" /></camunda:formData></bpmn:extensionElements>'
            '</bpmn:startEvent>\n')


@pytest.fixture
def run(tmp_path):
    """An engine with the SE profile on a real SQLite store over one diagram."""
    def make(source: bytes, clock: ManualClock | None = None) -> Engine:
        store = open_store(tmp_path / f"cases{len(list(tmp_path.iterdir()))}.db", create=True)
        return Engine(store, load_sources({"p.bpmn": source}, profile=SE_PROFILE),
                      clock=clock or ManualClock("2026-01-05T08:00:00Z"), profile=SE_PROFILE)
    return make


def test_a_case_that_stalls_at_its_start_is_committed_in_incident(run):
    engine = run(diagram(START_GO + '<bpmn:exclusiveGateway id="split" default="f2" />\n'
                         '<bpmn:userTask id="a" />\n<bpmn:parallelGateway id="join" />\n<bpmn:endEvent id="e" />\n'
                         + flows("s>split", "split>join", "split>a?", "a>join", "join>e")))
    case = engine.start_case("p", "p-1", {"go": False})
    assert (case.status, case.tasks, case.incident.element_id) == ("active", [], "join")
    assert kinds(engine, case.case_id)[-1] == "incident_opened"
    started = engine.import_cases([{"participant": "p-2", "process": "p", "go": "false"}]).started
    assert {c.case_id for c in engine.list_cases(incident=True)} == {case.case_id, *started}


def test_waiting_for_the_withdrawal_message_is_a_live_wait(run):
    """An intermediate catch of a message the engine delivers keeps a case alive: withdraw_case reaches it."""
    engine = run(diagram('<bpmn:startEvent id="s" />\n'
                         '<bpmn:intermediateCatchEvent id="leave">'
                         '<bpmn:messageEventDefinition messageRef="m_withdrawal" /></bpmn:intermediateCatchEvent>\n'
                         '<bpmn:endEvent id="e" />\n' + flows("s>leave", "leave>e")))
    case = engine.start_case("p", "p-1")
    assert (case.status, case.tasks, case.incident) == ("active", [], None)
    assert engine.withdraw_case(case.case_id, "MOVED").status == "withdrawn"
    assert not [k for k in kinds(engine, case.case_id) if k.startswith("incident")]


#: A sub-process that stalls at its parallel join when ``go`` is false and 'a' is completed.
STUCK_INNER = ('<bpmn:subProcess id="inner">\n<bpmn:startEvent id="is" />\n'
               '<bpmn:exclusiveGateway id="isplit" default="g2" />\n<bpmn:userTask id="a" />\n'
               '<bpmn:userTask id="b" />\n'
               '<bpmn:parallelGateway id="ijoin" />\n<bpmn:endEvent id="ie" />\n'
               '<bpmn:sequenceFlow id="g1" sourceRef="is" targetRef="isplit" />\n'
               '<bpmn:sequenceFlow id="g2" sourceRef="isplit" targetRef="a" />\n'
               '<bpmn:sequenceFlow id="g3" sourceRef="isplit" targetRef="b">'
               '<bpmn:conditionExpression>${go}</bpmn:conditionExpression></bpmn:sequenceFlow>\n'
               '<bpmn:sequenceFlow id="g4" sourceRef="a" targetRef="ijoin" />\n'
               '<bpmn:sequenceFlow id="g5" sourceRef="b" targetRef="ijoin" />\n'
               '<bpmn:sequenceFlow id="g6" sourceRef="ijoin" targetRef="ie" />\n</bpmn:subProcess>\n')


def test_a_boundary_withdrawal_does_not_keep_a_stuck_sub_process_alive(run):
    """Stuck inside a sub-process whose boundary catches the withdrawal: the incident names the inner join,
    and withdrawing the participant through that boundary event ends the case."""
    engine = run(diagram(
        START_GO + STUCK_INNER + '<bpmn:boundaryEvent id="leave" attachedToRef="inner">'
        '<bpmn:messageEventDefinition messageRef="m_withdrawal" /></bpmn:boundaryEvent>\n'
        '<bpmn:endEvent id="e" />\n<bpmn:endEvent id="left" />\n' + flows("s>inner", "inner>e", "leave>left")))
    case = engine.start_case("p", "p-1", {"go": False})
    case = engine.complete_task(case.case_id, "a")
    assert (case.status, case.incident.element_id, case.incident.process_id) == ("active", "ijoin", "p")
    [opened] = [e for e in engine.case_history(case.case_id) if e.kind == "incident_opened"]
    assert [x["element_id"] for x in opened.data["elements"]] == ["ijoin"]  # not the boundary, not the sub-process
    ended = engine.withdraw_case(case.case_id, "MOVED")
    assert (ended.status, ended.incident) == ("withdrawn", None)
    assert kinds(engine, case.case_id)[-2:] == ["incident_resolved", "case_ended"]


def test_a_signal_wait_is_a_live_wait_that_a_broadcast_ends(run):
    """Nothing left in the case throws 'go', but another case or Engine.broadcast_signal can: no incident."""
    engine = run(diagram(
        '<bpmn:startEvent id="s" />\n<bpmn:parallelGateway id="fork" />\n'
        '<bpmn:intermediateCatchEvent id="wait_go"><bpmn:signalEventDefinition signalRef="s_go" />'
        '</bpmn:intermediateCatchEvent>\n<bpmn:endEvent id="e1" />\n'
        '<bpmn:userTask id="decide"><bpmn:extensionElements><camunda:formData>'
        '<camunda:formField id="go" type="boolean" /></camunda:formData></bpmn:extensionElements></bpmn:userTask>\n'
        '<bpmn:exclusiveGateway id="choose" default="f7" />\n'
        '<bpmn:endEvent id="e2"><bpmn:signalEventDefinition signalRef="s_go" /></bpmn:endEvent>\n'
        '<bpmn:endEvent id="e3" />\n'
        + flows("s>fork", "fork>wait_go", "wait_go>e1", "fork>decide", "decide>choose", "choose>e2?", "choose>e3")))
    case = engine.start_case("p", "p-1")
    assert case.incident is None  # 'decide' is ready
    case = engine.complete_task(case.case_id, "decide", {"go": False})
    assert (case.status, case.incident) == ("active", None)
    assert engine.broadcast_signal("go").delivered == [case.case_id]
    assert engine.show_case(case.case_id).status == "completed"


def test_a_signal_beside_the_flow_does_not_keep_a_case_alive_but_a_broadcast_ends_it(run):
    """Stuck inside a sub-process whose boundary event catches a signal: the incident stands (the signal may
    never come), and the broadcast that does come resolves it through the boundary event."""
    engine = run(diagram(
        START_GO + STUCK_INNER + '<bpmn:boundaryEvent id="stop" attachedToRef="inner">'
        '<bpmn:signalEventDefinition signalRef="s_go" /></bpmn:boundaryEvent>\n'
        '<bpmn:endEvent id="e" />\n<bpmn:endEvent id="stopped" />\n' + flows("s>inner", "inner>e", "stop>stopped")))
    case = engine.start_case("p", "p-1", {"go": False})
    case = engine.complete_task(case.case_id, "a")
    assert (case.status, case.incident.element_id) == ("active", "ijoin")
    assert engine.broadcast_signal("go").delivered == [case.case_id]
    ended = engine.show_case(case.case_id)
    assert (ended.status, ended.incident) == ("completed", None)
    assert kinds(engine, case.case_id)[-2:] == ["incident_resolved", "case_ended"]


def test_an_event_based_gateways_timer_is_a_live_wait_the_scheduler_fires(run):
    clock = ManualClock("2026-01-05T08:00:00Z")
    engine = run(diagram(
        '<bpmn:startEvent id="s" />\n<bpmn:eventBasedGateway id="either" />\n'
        '<bpmn:intermediateCatchEvent id="a_week"><bpmn:timerEventDefinition><bpmn:timeDuration>"P7D"'
        '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>\n'
        '<bpmn:intermediateCatchEvent id="leave"><bpmn:messageEventDefinition messageRef="m_withdrawal" />'
        '</bpmn:intermediateCatchEvent>\n<bpmn:userTask id="call" />\n<bpmn:endEvent id="e" />\n'
        '<bpmn:endEvent id="left" />\n'
        + flows("s>either", "either>a_week", "either>leave", "a_week>call", "call>e", "leave>left")), clock)
    case = engine.start_case("p", "p-1")
    assert (case.tasks, case.incident) == ([], None)
    [timer] = engine.due(within=timedelta(days=8))
    assert (timer.kind, timer.element_id, timer.due_at) == ("timer", "a_week", clock.now() + timedelta(days=7))
    clock.advance(days=7)
    assert engine.tick().incidents == 0
    assert [t.element_id for t in engine.show_case(case.case_id).tasks] == ["call"]


def test_a_timer_that_leads_into_a_deadlock_is_surfaced_by_tick(run):
    clock = ManualClock("2026-01-05T08:00:00Z")
    engine = run(diagram(
        START_GO + '<bpmn:exclusiveGateway id="split" default="f2" />\n'
        '<bpmn:intermediateCatchEvent id="a_day"><bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"'
        '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>\n'
        '<bpmn:userTask id="a" />\n<bpmn:parallelGateway id="join" />\n<bpmn:endEvent id="e" />\n'
        + flows("s>split", "split>a_day", "split>a?", "a_day>join", "a>join", "join>e")), clock)
    case = engine.start_case("p", "p-1", {"go": False})
    assert case.incident is None  # the timer is a live wait
    clock.advance(days=1)
    ticked = engine.tick()
    assert (ticked.fired, ticked.stalled, ticked.incidents) == ({case.case_id: ["a_day"]}, [case.case_id], 1)
    assert engine.show_case(case.case_id).incident.element_id == "join"
    again = engine.tick()
    assert (again.fired, again.stalled, again.incidents) == ({}, [], 1)  # older incidents are still counted


# ----------------------------------------------------------------------------------- refused at load

def line_of(source: bytes, element_id: str) -> int:
    text = source.decode()
    return text[:text.index(f'id="{element_id}"')].count("\n") + 1


def refusal(source: bytes, profile=SE_PROFILE) -> DefinitionError:
    with pytest.raises(DefinitionError) as refused:
        load_sources({"p.bpmn": source}, profile=profile)
    [problem] = refused.value.problems
    assert (problem.file, problem.element, problem.line) == ("p.bpmn", "step", line_of(source, "step"))
    return problem


def after_start(element: str, *, extra: str = "") -> bytes:
    return diagram(f'<bpmn:startEvent id="s" />\n{element}\n<bpmn:endEvent id="e" />\n{extra}'
                   + flows("s>step", "step>e"))


NO_CODE = ("sedflow runs no code from diagrams and calls no system from them, and a case would wait here forever "
           "with nothing to drive it; for work a program does, choose Implementation: External with a topic "
           '(camunda:type="external"), which waits for an external-task worker')
CONNECTOR = ('<bpmn:extensionElements><camunda:connector><camunda:connectorId>http-connector</camunda:connectorId>'
             '</camunda:connector></bpmn:extensionElements>')


@pytest.mark.parametrize("element, said", [
    ('<bpmn:serviceTask id="step" camunda:class="se.kommun.Notify" />', " (camunda:class 'se.kommun.Notify')"),
    ('<bpmn:serviceTask id="step" camunda:delegateExpression="${notifier}" />',
     " (camunda:delegateExpression '${notifier}')"),
    ('<bpmn:serviceTask id="step" camunda:expression="${mail.send()}" />', " (camunda:expression '${mail.send()}')"),
    ('<bpmn:serviceTask id="step" camunda:type="connector" camunda:topic="notify" />',
     " (camunda:type 'connector', camunda:topic 'notify')"),
    (f'<bpmn:serviceTask id="step">{CONNECTOR}</bpmn:serviceTask>', " (a camunda:connector)"),
    ('<bpmn:serviceTask id="step" />', ""),
], ids=["class", "delegateExpression", "expression", "another type", "connector", "none"])
def test_a_service_task_is_refused_with_any_implementation_or_none(element, said):
    problem = refusal(after_start(element))
    assert problem.detail == (f"service tasks are refused{said}: {NO_CODE}; draw a user task for the person who does "
                              "the work (and records its result in the task's form)")


@pytest.mark.parametrize("element, why, instead", [
    ('<bpmn:sendTask id="step" messageRef="m_hello" />', f"send tasks are refused: {NO_CODE}",
     "draw a user task for the person who sends the message"),
    ('<bpmn:sendTask id="step" camunda:class="se.Mail" />', "send tasks are refused (camunda:class 'se.Mail')",
     "draw a user task for the person who sends the message"),
    ('<bpmn:businessRuleTask id="step" camunda:decisionRef="eligibility" />',
     "business rule tasks are refused (camunda:decisionRef 'eligibility'): sedflow loads no DMN decision tables",
     "draw the decision as an exclusive gateway with conditions"),
    ('<bpmn:intermediateThrowEvent id="step"><bpmn:messageEventDefinition messageRef="m_hello" />'
     '</bpmn:intermediateThrowEvent>', "message intermediate throw events are refused unless an external-task "
     "worker sends the message: sedflow delivers no message to another case or system itself; SpiffWorkflow fails "
     "the step at a throw without a payload, and keeps a message with one unread in the case's state for ever",
     "draw a none intermediate event, and a user task for the person who passes the message on"),
], ids=["send task", "send task with a class", "business rule task", "message throw"])
def test_what_would_run_code_or_send_a_message_is_refused(element, why, instead):
    problem = refusal(after_start(element))
    assert problem.detail.startswith(why) and problem.detail.endswith(instead)


def test_a_message_end_event_is_refused():
    source = diagram('<bpmn:startEvent id="s" />\n<bpmn:endEvent id="step"><bpmn:messageEventDefinition '
                     'messageRef="m_hello" camunda:expression="${1}" /></bpmn:endEvent>\n' + flows("s>step"))
    problem = refusal(source)
    assert problem.detail.startswith("message end events are refused")
    assert problem.detail.endswith("draw a none end event, and a user task for the person who passes the message on")






def event_sub_process(definition: str) -> str:
    return ('<bpmn:subProcess id="side" triggeredByEvent="true">\n'
            f'<bpmn:startEvent id="step">{definition}</bpmn:startEvent>\n<bpmn:endEvent id="side_end" />\n'
            '<bpmn:sequenceFlow id="g1" sourceRef="step" targetRef="side_end" />\n</bpmn:subProcess>\n')


def on_a_task(boundary: str) -> bytes:
    return diagram('<bpmn:startEvent id="s" />\n<bpmn:userTask id="t" />\n<bpmn:endEvent id="e" />\n'
                   f'<bpmn:boundaryEvent id="step" attachedToRef="t">{boundary}</bpmn:boundaryEvent>\n'
                   '<bpmn:endEvent id="e2" />\n' + flows("s>t", "t>e", "step>e2"))


HELLO = '<bpmn:messageEventDefinition messageRef="m_hello" />'
GO = '<bpmn:signalEventDefinition signalRef="s_go" />'


@pytest.mark.parametrize("source", [
    after_start('<bpmn:receiveTask id="step" messageRef="m_hello" />'),
    after_start(f'<bpmn:intermediateCatchEvent id="step">{HELLO}</bpmn:intermediateCatchEvent>'),
    on_a_task(HELLO),
    diagram('<bpmn:startEvent id="s" />\n<bpmn:userTask id="t" />\n<bpmn:endEvent id="e" />\n'
            + event_sub_process(HELLO) + flows("s>t", "t>e")),
], ids=["receive task", "intermediate catch", "boundary event", "event sub-process start"])
def test_a_message_catch_loads_for_any_engine_now_that_messages_can_be_sent(source, tmp_path):
    """Engine.correlate_message delivers any message, so what catches one is drivable: it loads with and
    without a profile, and an engine without one takes it."""
    definitions = load_sources({"p.bpmn": source}, profile=SE_PROFILE)
    with open_store(tmp_path / "s.db", create=True) as store:
        assert Engine(store, definitions).definitions.get("p")


@pytest.mark.parametrize("source", [
    after_start(f'<bpmn:intermediateCatchEvent id="step">{GO}</bpmn:intermediateCatchEvent>'),
    on_a_task(GO),
    diagram('<bpmn:startEvent id="s" />\n<bpmn:userTask id="t" />\n<bpmn:endEvent id="e" />\n'
            + event_sub_process(GO) + flows("s>t", "t>e")),
], ids=["intermediate catch", "boundary event", "event sub-process start"])
def test_a_signal_nothing_in_the_case_throws_loads_and_a_broadcast_reaches_it(source, tmp_path):
    """Engine.broadcast_signal (and a throw in any other case) delivers any signal, so a catch nothing in its own
    case throws is drivable: it loads, and the broadcast reaches the waiting case at that catch."""
    definitions = load_sources({"p.bpmn": source}, profile=SE_PROFILE)
    with open_store(tmp_path / "s.db", create=True) as store:
        engine = Engine(store, definitions, clock=ManualClock("2026-01-05T08:00:00Z"))
        case = engine.start_case("p", "p-1")
        assert case.incident is None
        assert engine.broadcast_signal("go").delivered == [case.case_id]
        [row] = [e for e in engine.case_history(case.case_id) if e.kind == "signal_received"]
        assert row.element_id == "step"


def test_a_signal_thrown_in_a_called_process_is_caught_by_its_caller():
    caller = diagram('<bpmn:startEvent id="s" />\n<bpmn:parallelGateway id="fork" />\n'
                     '<bpmn:callActivity id="call" calledElement="thrower" />\n'
                     f'<bpmn:intermediateCatchEvent id="wait_go">{GO}</bpmn:intermediateCatchEvent>\n'
                     '<bpmn:endEvent id="e1" />\n<bpmn:endEvent id="e2" />\n'
                     + flows("s>fork", "fork>call", "fork>wait_go", "call>e1", "wait_go>e2"))
    thrower = (b'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
               b'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d2" targetNamespace="http://sedflow.se/t">\n'
               b'<bpmn:signal id="sig" name="go" />\n<bpmn:process id="thrower" isExecutable="true">\n'
               b'<bpmn:startEvent id="ts" />\n<bpmn:endEvent id="te"><bpmn:signalEventDefinition signalRef="sig" />'
               b'</bpmn:endEvent>\n<bpmn:sequenceFlow id="t1" sourceRef="ts" targetRef="te" />\n'
               b'</bpmn:process>\n</bpmn:definitions>\n')
    assert load_sources({"p.bpmn": caller, "thrower.bpmn": thrower}).get("p")  # matched by name across files


def test_the_withdrawal_message_is_caught_wherever_it_keeps_or_ends_a_case():
    """What the engine delivers loads: a receive task, an intermediate catch, a boundary event and an event
    sub-process start catching the withdrawal message."""
    for source in (after_start('<bpmn:receiveTask id="step" messageRef="m_withdrawal" />'),
                   after_start('<bpmn:intermediateCatchEvent id="step"><bpmn:messageEventDefinition '
                               'messageRef="m_withdrawal" /></bpmn:intermediateCatchEvent>'),
                   on_a_task('<bpmn:messageEventDefinition messageRef="m_withdrawal" />'),
                   diagram('<bpmn:startEvent id="s" />\n<bpmn:userTask id="t" />\n<bpmn:endEvent id="e" />\n'
                           + event_sub_process('<bpmn:messageEventDefinition messageRef="m_withdrawal" />')
                           + flows("s>t", "t>e"))):
        assert load_sources({"p.bpmn": source}, profile=SE_PROFILE).get("p")


def test_the_shipped_programmes_run_on_the_generic_engine_too(tmp_path):
    """Their withdrawal is a message like any other: an engine without the SE profile delivers it too."""
    definitions = load_directory(PROCESSES_DIR)
    with open_store(tmp_path / "s.db", create=True) as store:
        engine = Engine(store, definitions)
        case = engine.start_case("supported_employment", "p-1", REFERRAL)
        ended = engine.correlate_message("participant_withdrawal", case_id=case.case_id, data={"end_reason": "MOVED"})
        assert (ended.status, ended.end_reason) == ("completed", "MOVED")
    assert load_directory(PROCESSES_DIR, profile=SE_PROFILE).warnings == []


def test_processes_validate_names_file_element_and_line_of_a_refusal(tmp_path):
    source = after_start('<bpmn:serviceTask id="step" camunda:class="se.Notify" />')
    (tmp_path / "p.bpmn").write_bytes(source)
    result = CliRunner().invoke(main, ["processes", "validate", str(tmp_path / "p.bpmn")])
    assert result.exit_code == 3
    where = f"{tmp_path / 'p.bpmn'}:{line_of(source, 'step')}, element 'step'"
    assert f"{where}: service tasks are refused" in result.output
    ok = CliRunner().invoke(main, ["processes", "validate", str(DIAGRAMS / "unbalanced_join.bpmn")])
    assert ok.exit_code == 0, ok.output
