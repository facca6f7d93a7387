"""Camunda 7's MultiInstanceTest on sedflow: parallel and sequential instances of tasks, sub-processes and
call activities; cardinality, collections, completion conditions and the built-in variables
(``loopCounter``, ``nrOfInstances``, ``nrOfCompletedInstances``).

Where Camunda checks ``camunda:assignee="kermit_${loopCounter}"`` (sedflow has no assignees), the port
checks the ``loopCounter`` the task sees, which is what the assignee expression reads.
"""

from __future__ import annotations

from .harness import assert_refused

M = "multi_instance/MultiInstanceTest."


# ----------------------------------------------------------------------------------------- user tasks

def test_sequential_user_tasks(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testSequentialUserTasks

    Cardinality ``${nrOfLoops}`` = 3, one instance at a time; each sees its ``loopCounter``."""
    case = deploy(M + "sequentialUserTasks.bpmn20.xml").start("miSequentialUserTasks", {"nrOfLoops": 3})
    for i in range(3):
        task = case.task("miTasks")
        assert task.name == "My Task"
        assert case.variables(task=task.task_id).get("loopCounter") == i
        case.complete(task.task_id)
    assert case.tasks() == []
    assert case.ended


def test_sequential_user_tasks_with_timer(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testSequentialUserTasksWithTimer

    The timer on the multi-instance activity interrupts it as a whole."""
    case = deploy(M + "sequentialUserTasks.bpmn20.xml").start("miSequentialUserTasks", {"nrOfLoops": 3})
    case.complete("miTasks")
    assert case.timer_ids() == ["timer"]
    case.fire_next_timer()
    assert case.tasks() == ["taskAfterTimer"]
    case.complete("taskAfterTimer")
    assert case.ended


def test_sequential_user_tasks_completion_condition(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testSequentialUserTasksCompletionCondition

    Ten loops, ``${nrOfCompletedInstances == 5}``: the activity ends after the fifth."""
    case = deploy(M + "sequentialUserTasks.bpmn20.xml").start("miSequentialUserTasks", {"nrOfLoops": 10})
    for _ in range(5):
        assert case.tasks() == ["miTasks"]
        case.complete("miTasks")
    assert case.tasks() == []
    assert case.ended


def test_nested_sequential_user_tasks(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testNestedSequentialUserTasks

    A sequential multi-instance task three sub-processes deep: one instance at a time, three in all."""
    case = deploy(M + "testNestedSequentialUserTasks.bpmn20.xml").start("miNestedSequentialUserTasks")
    for _ in range(3):
        assert case.open_tasks() == [("miTasks", "My Task")]
        case.complete("miTasks")
    assert case.ended


def test_parallel_user_tasks(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testParallelUserTasks

    Cardinality ``${5-2}``, all at once; the name ``My Task ${loopCounter}`` reads each instance's counter.
    A stated difference: sedflow shows names as written (Camunda evaluates expressions in them); each
    instance's ``loopCounter`` is what the name would read."""
    case = deploy(M + "testParallelUserTasks.bpmn20.xml").start("miParallelUserTasks")
    assert case.task_names() == ["My Task ${loopCounter}"] * 3
    assert sorted(case.variables(task=v.task_id)["loopCounter"] for v in case.task_views()) == [0, 1, 2]
    by_name = sorted(case.task_views(), key=lambda t: t.name)
    for left, view in zip((2, 1, 0), by_name, strict=True):
        case.complete(view.task_id)
        assert len(case.tasks()) == left
    assert case.ended


def test_parallel_user_tasks_with_timer(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testParallelUserTasksWithTimer"""
    case = deploy(M + "testParallelUserTasksWithTimer.bpmn20.xml").start("miParallelUserTasksWithTimer")
    assert len(case.tasks()) == 3
    case.complete(case.task_views()[0].task_id)
    case.fire_next_timer()
    assert case.tasks() == ["taskAfterTimer"]
    case.complete("taskAfterTimer")
    assert case.ended


def test_parallel_user_tasks_completion_condition(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testParallelUserTasksCompletionCondition

    Five instances, ``${nrOfCompletedInstances/nrOfInstances >= 0.5}``: the third completion ends them all."""
    case = deploy(M + "testParallelUserTasksCompletionCondition.bpmn20.xml").start(
        "miParallelUserTasksCompletionCondition")
    views = case.task_views()
    assert len(views) == 5
    for i in range(3):
        assert len(case.tasks()) == 5 - i
        case.complete(views[i].task_id)
    assert case.ended


def test_parallel_user_tasks_based_on_collection(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testParallelUserTasksBasedOnCollection

    ``loopDataInputRef`` assigneeList with ``inputDataItem`` assignee: one instance per element, each seeing
    its element; three of five completed meet ``>= 0.6``."""
    assignees = ["kermit", "gonzo", "mispiggy", "fozzie", "bubba"]
    case = deploy(M + "testParallelUserTasksBasedOnCollection.bpmn20.xml").start(
        "miParallelUserTasksBasedOnCollection", {"assigneeList": assignees})
    views = case.task_views()
    assert len(views) == 5
    seen = sorted(case.variables(task=v.task_id).get("assignee") for v in views)
    assert seen == ["bubba", "fozzie", "gonzo", "kermit", "mispiggy"]
    for view in views[:3]:
        case.complete(view.task_id)
    assert case.tasks() == []
    assert case.ended


def test_empty_collection_in_mi(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testEmptyCollectionInMI

    An empty collection: no instance, and the case runs on to its end."""
    case = deploy(M + "testParallelUserTasksBasedOnCollection.bpmn20.xml").start(
        "miParallelUserTasksBasedOnCollection", {"assigneeList": []})
    assert case.tasks() == []
    assert case.ended
    assert case.end_event() == "theEnd"


def test_nested_parallel_user_tasks(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testNestedParallelUserTasks"""
    case = deploy(M + "testNestedParallelUserTasks.bpmn20.xml").start("miNestedParallelUserTasks")
    assert case.open_tasks() == [("miTasks", "My Task")] * 4
    assert case.complete_all("miTasks") == 4
    assert case.ended


def test_parallel_user_tasks_based_on_collection_expression_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testParallelUserTasksBasedOnCollectionExpression

    As a refusal: the collection is a method call on a Java bean (``${myBean.resolveCollection(execution)}``)."""  # noqa: E501
    assert_refused(M + "testParallelUserTasksBasedOnCollectionExpression.bpmn20.xml", element="miTasks")


def test_sequential_script_tasks_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testSequentialScriptTasks

    As a refusal: a sequential multi-instance Groovy script task."""
    assert_refused(M + "testSequentialScriptTasks.bpmn20.xml", element="miScriptTask", match="script task")


# ------------------------------------------------------------------------------------------ sub-processes

def test_sequential_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testSequentialSubProcess

    Four sequential instances of a sub-process that forks into two tasks."""
    case = deploy(M + "testSequentialSubProcess.bpmn20.xml").start("miSequentialSubprocess")
    for _ in range(4):
        assert case.open_tasks() == [("subProcessTask1", "task one"), ("subProcessTask2", "task two")]
        case.complete("subProcessTask1")
        case.complete("subProcessTask2")
    assert case.ended


def test_sequential_sub_process_end_event(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testSequentialSubProcessEndEvent"""
    case = deploy(M + "testSequentialSubProcessEndEvent.bpmn20.xml").start("miSequentialSubprocess")
    for _ in range(4):
        assert case.open_tasks() == [("subProcessTask1", "task one")]
        case.complete("subProcessTask1")
    assert case.ended


def test_sequential_sub_process_with_timer_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testSequentialSubProcessWithTimer

    Refused by design: SpiffWorkflow loses the instances' sub-processes when a boundary event interrupts a
    multi-instance sub-process; sedflow asks for a sub-process around it instead."""
    assert_refused(M + "testSequentialSubProcessWithTimer.bpmn20.xml", element="timer", match="multi-instance")


def test_sequential_sub_process_completion_condition(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testSequentialSubProcessCompletionCondition

    Four loops, ``${nrOfCompletedInstances == 3}``: three instances run."""  # noqa: E501
    case = deploy(M + "testSequentialSubProcessCompletionCondition.bpmn20.xml").start(
        "miSequentialSubprocessCompletionCondition")
    for _ in range(3):
        assert case.open_tasks() == [("subProcessTask1", "task one"), ("subProcessTask2", "task two")]
        case.complete("subProcessTask1")
        case.complete("subProcessTask2")
    assert case.ended


def test_parallel_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testParallelSubProcess"""
    case = deploy(M + "testParallelSubProcess.bpmn20.xml").start("miParallelSubprocess")
    views = case.task_views()
    assert sorted(v.element_id for v in views) == ["subProcessTask1", "subProcessTask1", "subProcessTask2",
                                                   "subProcessTask2"]
    for view in views:
        case.complete(view.task_id)
    assert case.ended


def test_parallel_sub_process_with_timer_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testParallelSubProcessWithTimer

    Refused by design: SpiffWorkflow loses the instances' sub-processes when a boundary event interrupts a
    multi-instance sub-process; sedflow asks for a sub-process around it instead."""
    assert_refused(M + "testParallelSubProcessWithTimer.bpmn20.xml", element="timer", match="multi-instance")


def test_parallel_sub_process_completion_condition(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testParallelSubProcessCompletionCondition

    Two instances, ``${nrOfCompletedInstances == 1}``: completing the first instance's two tasks ends both."""
    case = deploy(M + "testParallelSubProcessCompletionCondition.bpmn20.xml").start(
        "miParallelSubprocessCompletionCondition")
    assert len(case.tasks()) == 4
    # The tasks of one sub-process instance share its loopCounter (Camunda: the instance's child activities).
    first = [v for v in case.task_views() if case.variables(task=v.task_id).get("loopCounter") == 0]
    assert sorted(v.element_id for v in first) == ["subProcessTask1", "subProcessTask2"]
    for view in first:
        case.complete(view.task_id)
    assert case.ended


def test_nested_parallel_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testNestedParallelSubProcess"""
    case = deploy(M + "testNestedParallelSubProcess.bpmn20.xml").start("miNestedParallelSubProcess")
    views = case.task_views()
    assert len(views) == 8
    for view in views:
        case.complete(view.task_id)
    assert case.ended


def test_act901_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testAct901

    Five parallel sub-process instances, each with an interrupting timer (PT1M) on its task: a minute on,
    all five fire, and every instance leaves through a plain task to its end.

    Refused by design: sedflow shows generated task forms only (``camunda:formKey`` names an external form)."""
    assert_refused(M + "testAct901.bpmn20.xml", element="subprocess1usertask2", match="formKey")


def test_parallel_call_activity(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testParallelCallActivity

    Six parallel calls of a process with two tasks: twelve tasks."""
    d = deploy(M + "testParallelCallActivity.bpmn20.xml", M + "externalSubProcess.bpmn20.xml")
    case = d.start("miParallelCallActivity")
    views = case.task_views()
    assert len(views) == 12
    for view in views:
        case.complete(view.task_id)
    assert case.ended


def test_nested_multi_instance_tasks(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.multiinstance.MultiInstanceTest#testNestedMultiInstanceTasks

    A parallel multi-instance task over ``camunda:collection="assignees"`` inside a parallel multi-instance
    sub-process over ``subProcesses``: 2 × 2 tasks, each seeing its elements."""
    processes, assignees = ["process A", "process B"], ["kermit", "gonzo"]
    case = deploy(M + "testNestedMultiInstanceTasks.bpmn20.xml").start(
        "miNestedMultiInstanceTasks", {"subProcesses": processes, "assignees": assignees})
    views = case.task_views()
    assert len(views) == len(processes) * len(assignees)
    pairs = sorted((case.variables(task=v.task_id).get("subProcess"), case.variables(task=v.task_id).get("assignee"))
                   for v in views)
    assert pairs == sorted((p, a) for p in processes for a in assignees)
    for view in views:
        case.complete(view.task_id)
    assert case.ended
