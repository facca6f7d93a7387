"""Messages into cases (issue 12, part 1): ``Engine.correlate_message`` delivers a message to the one case
waiting for it -- by case id, by participant, by correlation -- at every kind of element that catches one,
journals it (``message_received``) and hands its data to the path it starts as variables. No case
waiting, or several, is an error that writes nothing.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sedflow import CaseStateError, CaseStatus, Engine, JournalKind, NoMatchingCaseError, TaskDataError
from sedflow.definitions import load_sources

from conftest import REFERRAL
from sedflow_cli.main import main

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
        '20100524/MODEL" id="d" targetNamespace="http://sedflow.se/test">\n<bpmn:process id="p" isExecutable="true">\n')
TAIL = ('</bpmn:process>\n<bpmn:message id="m_decision" name="decision" />\n'
        '<bpmn:message id="m_answer" name="employer_answer" />\n</bpmn:definitions>\n')


def diagram(body: str) -> bytes:
    return (HEAD + body + TAIL).encode()


def flows(*pairs: str) -> str:
    return "".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}" />\n'
                   for i, (a, b) in enumerate(p.split(">") for p in pairs))


def catch(element_id: str, message: str = "m_decision", kind: str = "intermediateCatchEvent", extra: str = "") -> str:
    return f'<bpmn:{kind} id="{element_id}"{extra}><bpmn:messageEventDefinition messageRef="{message}" /></bpmn:{kind}>'


WAITS = {
    "intermediate catch": catch("wait") + '<bpmn:userTask id="next" />',
    "receive task": '<bpmn:receiveTask id="wait" messageRef="m_decision" /><bpmn:userTask id="next" />',
}


@pytest.fixture
def build(store, clock):
    def make(body: str) -> Engine:
        return Engine(store, load_sources({"p.bpmn": diagram(body)}), clock=clock)
    return make


@pytest.mark.parametrize("kind", sorted(WAITS))
def test_a_message_reaches_the_case_waiting_for_it_with_its_data_as_variables(build, kind):
    engine = build('<bpmn:startEvent id="s" />' + WAITS[kind] + '<bpmn:endEvent id="e" />'
                   + flows("s>wait", "wait>next", "next>e"))
    case = engine.start_case("p", "p-1")
    assert case.tasks == [] and case.incident is None  # waiting for a message is a live wait
    after = engine.correlate_message("decision", case_id=case.case_id, data={"granted": True, "days": 90},
                                     actor="fk-integration")
    assert [t.element_id for t in after.tasks] == ["next"]
    assert engine.variables(case.case_id, "next") == {"granted": True, "days": 90}
    received = [e for e in engine.case_history(case.case_id) if e.kind == JournalKind.MESSAGE_RECEIVED]
    assert [(e.element_id, e.actor, e.data) for e in received] == [
        ("wait", "fk-integration", {"message": "decision", "granted": True, "days": 90})]


@pytest.mark.parametrize(("interrupting", "expected"), [("true", ["escalate"]), ("false", ["escalate", "work"])])
def test_a_boundary_message_interrupts_or_not(build, interrupting, expected):
    engine = build('<bpmn:startEvent id="s" /><bpmn:userTask id="work" /><bpmn:userTask id="escalate" />'
                   + catch("answer", "m_answer", "boundaryEvent",
                           f' attachedToRef="work" cancelActivity="{interrupting}"')
                   + flows("s>work", "answer>escalate"))
    engine.start_case("p", "p-1")
    after = engine.correlate_message("employer_answer", participant="p-1")
    assert sorted(t.element_id for t in after.tasks) == expected


def test_a_message_starts_an_event_sub_process(build):
    engine = build('<bpmn:startEvent id="s" /><bpmn:userTask id="work" />' + flows("s>work")
                   + '<bpmn:subProcess id="esp" triggeredByEvent="true">'
                   + catch("heard", kind="startEvent", extra=' isInterrupting="false"')
                   + '<bpmn:userTask id="note_it" /><bpmn:sequenceFlow id="g" sourceRef="heard" targetRef="note_it" />'
                   '</bpmn:subProcess>')
    case = engine.start_case("p", "p-1")
    after = engine.correlate_message("decision", case_id=case.case_id, data={"granted": False})
    assert sorted(t.element_id for t in after.tasks) == ["note_it", "work"]
    assert engine.variables(case.case_id, "note_it")["granted"] is False


def test_an_event_based_gateway_takes_the_branch_of_the_message(build):
    engine = build('<bpmn:startEvent id="s" /><bpmn:eventBasedGateway id="g" />' + catch("yes", "m_answer")
                   + '<bpmn:intermediateCatchEvent id="late"><bpmn:timerEventDefinition><bpmn:timeDuration>P14D'
                   '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
                   '<bpmn:userTask id="hired" /><bpmn:userTask id="chase" />'
                   + flows("s>g", "g>yes", "g>late", "yes>hired", "late>chase"))
    case = engine.start_case("p", "p-1")
    after = engine.correlate_message("employer_answer", case_id=case.case_id)
    assert [t.element_id for t in after.tasks] == ["hired"]
    assert [t.kind for t in engine.due(case_id=case.case_id)] == ["task"]  # the timer branch is withdrawn


def test_the_right_case_is_found_by_correlation(build):
    engine = build('<bpmn:startEvent id="s" />' + WAITS["intermediate catch"] + flows("s>wait", "wait>next"))
    first = engine.start_case("p", "p-1", variables={"application": "A-1"})
    second = engine.start_case("p", "p-2", variables={"application": "A-2"})
    engine.correlate_message("decision", correlation={"application": "A-2"})
    assert engine.show_case(first.case_id).tasks == []
    assert [t.element_id for t in engine.show_case(second.case_id).tasks] == ["next"]


def test_no_case_waiting_or_several_is_refused_and_nothing_is_written(build):
    engine = build('<bpmn:startEvent id="s" /><bpmn:userTask id="first" />' + WAITS["intermediate catch"]
                   + flows("s>first", "first>wait", "wait>next"))
    early = engine.start_case("p", "p-1")
    with pytest.raises(NoMatchingCaseError, match=f"case '{early.case_id}' is not waiting for it now"):
        engine.correlate_message("decision", case_id=early.case_id)  # before its catch is reached: refused
    assert engine.show_case(early.case_id).revision == early.revision
    with pytest.raises(NoMatchingCaseError, match="no active case of participant 'nobody' is waiting"):
        engine.correlate_message("decision", participant="nobody")
    twin = engine.start_case("p", "p-1", allow_concurrent=True)  # a real second case, as the rare need has it
    for c in (early, twin):
        engine.complete_task(c.case_id, "first")
    with pytest.raises(NoMatchingCaseError, match="awaited in more than one place") as ambiguous:
        engine.correlate_message("decision", participant="p-1")
    assert early.case_id in str(ambiguous.value) and twin.case_id in str(ambiguous.value)
    assert not [e for c in (early, twin) for e in engine.case_history(c.case_id)
                if e.kind == JournalKind.MESSAGE_RECEIVED]


def test_message_data_follows_the_rule_for_variables(build):
    engine = build('<bpmn:startEvent id="s" />' + WAITS["intermediate catch"] + flows("s>wait", "wait>next"))
    case = engine.start_case("p", "p-1")
    with pytest.raises(TaskDataError, match="must be an identifier"):
        engine.correlate_message("decision", case_id=case.case_id, data={"_secret": 1})
    assert engine.show_case(case.case_id).revision == case.revision


def test_the_cli_sends_a_message(store_url, tmp_path):
    (tmp_path / "p.bpmn").write_bytes(diagram('<bpmn:startEvent id="s" />' + WAITS["receive task"]
                                              + flows("s>wait", "wait>next")))
    runner = CliRunner()
    base = ["--store", store_url, "--processes", str(tmp_path)]
    assert runner.invoke(main, ["--store", store_url, "init"]).exit_code == 0
    started = runner.invoke(main, [*base, "case", "start", "p", "--participant", "p-1", "--json"])
    case_id = json.loads(started.output)["case_id"]
    sent = runner.invoke(main, [*base, "message", "send", "decision", "--participant", "p-1", "--set", "days=30",
                                "--json"])
    assert sent.exit_code == 0, sent.output
    assert [t["element_id"] for t in json.loads(sent.output)["tasks"]] == ["next"]
    again = runner.invoke(main, [*base, "message", "send", "decision", "--case", case_id])
    assert again.exit_code == 4 and "is not waiting for it now" in again.output
    assert runner.invoke(main, [*base, "message", "send", "decision"]).exit_code == 2


def test_withdrawal_is_one_ordinary_message(engine):
    case = engine.start_case("supported_employment", "p-9", REFERRAL)
    ended = engine.correlate_message("participant_withdrawal", case_id=case.case_id, data={"end_reason": "MOVED"})
    assert ended.status == CaseStatus.COMPLETED  # a message is no withdrawal by itself: the case ends its way
    assert ended.end_reason == "MOVED"


def test_a_message_start_event_starts_a_case_for_the_participant(build):
    engine = build('<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m_decision" /></bpmn:startEvent>'
                   '<bpmn:userTask id="next" />' + flows("s>next"))
    with pytest.raises(CaseStateError, match="starts when message 'decision' comes"):
        engine.start_case("p", "p-1")
    case = engine.correlate_message("decision", participant="p-1", process_id="p", data={"days": 90})
    assert (case.participant, [t.element_id for t in case.tasks]) == ("p-1", ["next"])
    assert engine.variables(case.case_id, "next") == {"days": 90}
    assert [e.kind for e in engine.case_history(case.case_id)][:2] == [JournalKind.CASE_STARTED,
                                                                       JournalKind.MESSAGE_RECEIVED]


def test_a_message_for_no_one_in_particular_is_refused(build):
    engine = build('<bpmn:startEvent id="s" />' + WAITS["intermediate catch"] + flows("s>wait", "wait>next"))
    engine.start_case("p", "p-1")
    with pytest.raises(NoMatchingCaseError, match="name the case"):
        engine.correlate_message("decision")
