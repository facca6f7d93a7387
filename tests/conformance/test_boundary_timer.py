"""Camunda 7's BoundaryTimerEventTest and BoundaryTimerNonInterruptingEventTest on sedflow.

Interrupting and non-interrupting timers on user tasks, sub-processes and call activities, durations,
expressions and cycles. Camunda's "execute the timer job" is the clock moving to the timer's due time and
the scheduler ticking (``Instance.fire_next_timer``); "wait for the job executor" after moving the clock
is ``Deployment.advance``.
"""

from __future__ import annotations

from datetime import timedelta

INT = "boundary_timer/BoundaryTimerEventTest."
N = "boundary_timer/BoundaryTimerNonInterruptingEventTest."
HOUR_AND_5S = timedelta(hours=1, seconds=5)


# ----------------------------------------------------------------------------------------- interrupting

def test_multiple_timers_on_user_task(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerEventTest#testMultipleTimersOnUserTask

    Three interrupting timers (2h, 1h, 3h) on one task: the 1h timer fires first and cancels the others."""
    d = deploy(INT + "testMultipleTimersOnUserTask.bpmn20.xml")
    case = d.start("multipleTimersOnUserTask")
    assert sorted(case.timer_ids()) == ["escalationTimer1", "escalationTimer2", "escalationTimer3"]
    d.advance(HOUR_AND_5S)
    assert case.timers() == []
    assert case.open_tasks() == [("thirdTask", "Third Task")]


def test_timer_on_nesting_of_subprocesses(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerEventTest#testTimerOnNestingOfSubprocesses

    A timer on the outer of two nested sub-processes (neither has an end event) cancels both."""
    case = deploy(INT + "testTimerOnNestingOfSubprocesses.bpmn20.xml").start("timerOnNestedSubprocesses")
    assert case.open_tasks() == [("innerTask1", "Inner subprocess task 1"), ("innerTask2", "Inner subprocess task 2")]
    assert case.timer_ids() == ["boundaryTimer"]
    case.fire_next_timer()
    assert case.open_tasks() == [("taskAfterCatch", "task outside subprocess")]


def test_expression_on_timer(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerEventTest#testExpressionOnTimer

    The duration is ``${duration}``, a process variable: PT1H."""
    d = deploy(INT + "testExpressionOnTimer.bpmn20.xml")
    case = d.start("testExpressionOnTimer", {"duration": "PT1H"})
    assert case.timer_ids() == ["boundaryTimer"]
    d.advance(HOUR_AND_5S)
    assert case.timers() == []
    assert case.ended


def test_timer_in_single_transaction_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerEventTest#testTimerInSingleTransactionProcess
    (ACT-1133): the sub-process the timer sits on ends at once, so no timer is left behind."""
    case = deploy(INT + "testTimerInSingleTransactionProcess.bpmn20.xml").start("timerOnSubprocesses")
    assert case.timers() == []
    assert case.ended


def test_repeating_timer_with_cancel_activity(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerEventTest#testRepeatingTimerWithCancelActivity
    (ACT-1427): an interrupting cron cycle (``0/2 * * * * ?``) whose flow re-enters the task it sits on: after
    it fires there is again one task and one timer."""
    case = deploy(INT + "testRepeatingTimerWithCancelActivity.bpmn20.xml").start("repeatingTimerAndCallActivity")
    assert case.timer_ids() == ["boundarytimer1"]
    assert case.tasks() == ["task"]
    case.fire_next_timer()
    assert case.timer_ids() == ["boundarytimer1"]
    assert case.tasks() == ["task"]


def test_multiple_outgoing_sequence_flows(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerEventTest#testMultipleOutgoingSequenceFlows

    An interrupting timer with two outgoing flows: both are taken."""
    case = deploy(INT + "testMultipleOutgoingSequenceFlows.bpmn20.xml").start("interruptingTimer")
    assert case.timer_ids() == ["timer"]
    case.fire_next_timer()
    assert case.tasks() == ["timerFiredTask1", "timerFiredTask2"]
    case.complete("timerFiredTask1")
    case.complete("timerFiredTask2")
    assert case.ended


def test_multiple_outgoing_sequence_flows_on_subprocess(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerEventTest#testMultipleOutgoingSequenceFlowsOnSubprocess"""  # noqa: E501
    case = deploy(INT + "testMultipleOutgoingSequenceFlowsOnSubprocess.bpmn20.xml").start("interruptingTimer")
    assert case.timer_ids() == ["timer"]
    case.fire_next_timer()
    assert case.tasks() == ["timerFiredTask1", "timerFiredTask2"]
    case.complete("timerFiredTask1")
    case.complete("timerFiredTask2")
    assert case.ended


def test_interrupting_timer_duration(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerEventTest#testInterruptingTimerDuration"""
    case = deploy(INT + "testInterruptingTimerDuration.bpmn20.xml").start("escalationExample")
    assert case.open_tasks() == [("firstLineSupport", "First line support")]
    case.fire_next_timer()
    assert case.open_tasks() == [("handleEscalation", "Handle escalated issue")]


def test_timer_on_call_activity(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.callactivity.CallActivityTest#testTimerOnCallActivity

    An interrupting timer on a call activity cancels the called process's task."""
    d = deploy("boundary_timer/CallActivity.testTimerOnCallActivity.bpmn20.xml",
               "call_activity/simpleSubProcess.bpmn20.xml")
    case = d.start("timerOnCallActivity")
    assert case.open_tasks() == [("task", "Task in subprocess")]
    assert case.timer_ids() == ["timer"]
    case.fire_next_timer()
    assert case.open_tasks() == [("escalatedTask", "Escalated Task")]
    case.complete("escalatedTask")
    assert case.ended


# ------------------------------------------------------------------------------------- non-interrupting

def test_non_interrupting_multiple_timers_on_user_task(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerNonInterruptingEventTest#testMultipleTimersOnUserTask"""  # noqa: E501
    d = deploy(N + "testMultipleTimersOnUserTask.bpmn20.xml")
    case = d.start("nonInterruptingTimersOnUserTask")
    assert case.open_tasks() == [("firstTask", "First Task")]
    assert sorted(case.timer_ids()) == ["escalationTimer1", "escalationTimer2"]

    d.clock.set("2026-02-02T10:00:05+00:00")  # 1 hour and 5 seconds
    d.tick()
    assert case.timer_ids() == ["escalationTimer2"]
    assert case.open_tasks() == [("secondTask", "Escalation Task 1"), ("firstTask", "First Task")]
    case.complete("secondTask")  # ends the forked path
    assert case.open_tasks() == [("firstTask", "First Task")]

    d.clock.set("2026-02-02T11:00:05+00:00")  # 2 hours and 5 seconds
    d.tick()
    assert case.timers() == []
    assert case.open_tasks() == [("thirdTask", "Escalation Task 2"), ("firstTask", "First Task")]
    case.complete("firstTask")
    assert case.open_tasks() == [("thirdTask", "Escalation Task 2")]
    case.complete("thirdTask")
    assert case.ended


def test_non_interrupting_timer_on_mi_user_task(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerNonInterruptingEventTest#testTimerOnMiUserTask

    One timer on a parallel multi-instance task (cardinality 5), for the whole activity."""
    case = deploy(N + "testTimerOnMiUserTask.bpmn20.xml").start("nonInterruptingTimersOnUserTask")
    assert case.task_names() == ["First Task"] * 5
    assert case.timer_ids() == ["escalationTimer1"]
    case.fire_next_timer()
    assert case.task_names() == ["Escalation Task 1"] + ["First Task"] * 5
    case.complete("secondTask")
    assert case.complete_all("firstTask") == 5
    assert case.ended


def test_non_interrupting_join(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerNonInterruptingEventTest#testJoin

    The timer's path and the task's path meet at a parallel join."""
    case = deploy(N + "testJoin.bpmn20.xml").start("testJoin")
    assert case.open_tasks() == [("Main_Task", "Main Task")]
    assert case.timer_ids() == ["IntermediateTimerEvent"]
    case.fire_next_timer()
    assert case.tasks() == ["Escalation_Task", "Main_Task"]
    case.complete("Main_Task")
    assert case.open_tasks() == [("Escalation_Task", "Escalation Task")]
    case.complete("Escalation_Task")
    assert case.ended


def test_non_interrupting_timer_on_concurrent_tasks(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerNonInterruptingEventTest#testTimerOnConcurrentTasks"""  # noqa: E501
    case = deploy(N + "testTimerOnConcurrentTasks.bpmn20.xml").start("nonInterruptingOnConcurrentTasks")
    assert case.tasks() == ["firstTask", "secondTask"]
    case.fire_next_timer()
    assert case.tasks() == ["firstTask", "secondTask", "timerFiredTask"]
    case.complete("timerFiredTask")
    assert case.tasks() == ["firstTask", "secondTask"]
    case.complete("firstTask")
    case.complete("secondTask")
    assert case.ended


def test_non_interrupting_timer_on_concurrent_tasks2(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerNonInterruptingEventTest#testTimerOnConcurrentTasks2

    As before, but the join is reached before the timer's path ends."""  # noqa: E501
    case = deploy(N + "testTimerOnConcurrentTasks.bpmn20.xml").start("nonInterruptingOnConcurrentTasks")
    assert case.tasks() == ["firstTask", "secondTask"]
    case.fire_next_timer()
    assert case.tasks() == ["firstTask", "secondTask", "timerFiredTask"]
    case.complete("firstTask")
    case.complete("secondTask")
    assert case.tasks() == ["timerFiredTask"]
    case.complete("timerFiredTask")
    assert case.ended


def test_non_interrupting_timer_with_cycle(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerNonInterruptingEventTest#testTimerWithCycle

    ``R/PT1H`` on a task: one more timer task every hour while the task is open, none after."""
    d = deploy(N + "testTimerWithCycle.bpmn20.xml")
    case = d.start("nonInterruptingCycle")
    fired = [t for t in case.tasks() if t == "timerFiredTask"]
    assert fired == []
    d.advance(hours=1, seconds=5)
    assert case.tasks().count("timerFiredTask") == 1
    d.advance(hours=1, seconds=5)
    assert case.tasks().count("timerFiredTask") == 2
    case.complete("task")
    d.advance(hours=1, seconds=5)
    assert case.tasks().count("timerFiredTask") == 2


def test_non_interrupting_time_cycle(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerNonInterruptingEventTest#testTimeCycle

    After the cycle fires once there is again one timer, a new one (due an hour later)."""
    case = deploy(N + "testTimerWithCycle.bpmn20.xml").start("nonInterruptingCycle")
    assert case.timer_ids() == ["timer"]
    first_due = case.due_at("timer")
    case.fire_next_timer()
    assert case.timer_ids() == ["timer"]
    assert case.due_at("timer") > first_due


def test_non_interrupting_timer_on_embedded_subprocess(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerNonInterruptingEventTest#testTimerOnEmbeddedSubprocess
    (ACT-1173)"""  # noqa: E501
    case = deploy(N + "testTimerOnEmbeddedSubprocess.bpmn20.xml").start("nonInterruptingTimerOnEmbeddedSubprocess")
    assert case.tasks() == ["UserTask_1"]
    case.fire_next_timer()
    assert case.tasks() == ["UserTask_1", "UserTask_2"]
    case.complete("UserTask_1")
    case.complete("UserTask_2")
    assert case.ended


def test_non_interrupting_timer_on_concurrent_subprocess(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerNonInterruptingEventTest#testTimerOnConcurrentSubprocess"""  # noqa: E501
    case = deploy(N + "testTimerOnConcurrentSubprocess.bpmn20.xml").start("testTimerOnConcurrentSubprocess")
    assert case.tasks() == ["sub1task1", "sub1task2", "sub2task1", "sub2task2"]
    case.fire_next_timer()
    assert len(case.tasks()) == 5
    for task in ("sub1task1", "sub1task2", "sub2task1", "sub2task2"):
        case.complete(task)
    assert case.tasks() == ["timerFiredTask"]
    case.complete("timerFiredTask")
    assert case.ended


def test_non_interrupting_timer_on_concurrent_subprocess2(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerNonInterruptingEventTest#testTimerOnConcurrentSubprocess2

    The timer's path ends while the sub-process it sits on still runs."""  # noqa: E501
    case = deploy(N + "testTimerOnConcurrentSubprocess.bpmn20.xml").start("testTimerOnConcurrentSubprocess")
    assert len(case.tasks()) == 4
    case.fire_next_timer()
    assert len(case.tasks()) == 5
    case.complete("sub1task1")
    case.complete("sub1task2")
    case.complete("timerFiredTask")
    case.complete("sub2task1")
    case.complete("sub2task2")
    assert case.tasks() == []
    assert case.ended


def test_non_interrupting_multiple_outgoing_sequence_flows(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerNonInterruptingEventTest#testMultipleOutgoingSequenceFlows"""  # noqa: E501
    case = deploy(N + "testMultipleOutgoingSequenceFlows.bpmn20.xml").start("nonInterruptingTimer")
    assert case.timer_ids() == ["timer"]
    case.fire_next_timer()
    assert case.tasks() == ["task", "timerFiredTask1", "timerFiredTask2"]
    for task in ("task", "timerFiredTask1", "timerFiredTask2"):
        case.complete(task)
    assert case.ended


def test_non_interrupting_multiple_outgoing_sequence_flows_on_subprocess(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.BoundaryTimerNonInterruptingEventTest#testMultipleOutgoingSequenceFlowsOnSubprocess

    Twice: the sub-process's tasks completed first, then the timer's tasks first."""  # noqa: E501
    d = deploy(N + "testMultipleOutgoingSequenceFlowsOnSubprocess.bpmn20.xml")
    for order in (("innerTask1", "innerTask2", "timerFiredTask1", "timerFiredTask2"),
                  ("timerFiredTask1", "timerFiredTask2", "innerTask1", "innerTask2")):
        case = d.start("nonInterruptingTimer")
        assert case.timer_ids() == ["timer"]
        case.fire_next_timer()
        for task in order:
            case.complete(task)
        assert case.ended, order
