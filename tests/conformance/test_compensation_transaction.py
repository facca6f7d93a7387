"""Camunda 7's TransactionSubProcessTest and CompensateEventTest on sedflow, as refusals: sedflow runs no
transaction sub-processes, cancel events or compensation, and refuses such diagrams when they are
loaded, naming the file and the element (Camunda's own parse errors included: a cancel event outside a
transaction)."""

from __future__ import annotations

from .harness import assert_refused

TX = "compensation_transaction/TransactionSubProcessTest."
COMP = "compensation_transaction/CompensateEventTest."


def test_simple_case_tx_successful_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.transaction.TransactionSubProcessTest#testSimpleCaseTxSuccessful

    As a refusal: a transaction sub-process (``tx``) with compensation handlers and a cancel end event."""  # noqa: E501
    assert_refused(TX + "testSimpleCase.bpmn20.xml", element="tx", match="transaction")


def test_parse_with_di_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.transaction.TransactionSubProcessTest#testParseWithDI

    As a refusal: a transaction sub-process drawn in a modeller (with DI)."""
    assert_refused(TX + "testParseWithDI.bpmn20.xml", element="Transaction_1", match="transaction")


def test_cancel_end_no_transaction_fails():
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.transaction.TransactionSubProcessTest#testCancelEndNoTransactionFails

    A cancel end event outside a transaction: refused at the end event."""  # noqa: E501
    assert_refused(TX + "testCancelEndNoTransactionFails.bpmn20.xml", element="failure", match="cancel")


def test_cancel_boundary_no_transaction_fails():
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.transaction.TransactionSubProcessTest#testCancelBoundaryNoTransactionFails

    A cancel boundary event on a plain sub-process: refused at the boundary event."""  # noqa: E501
    assert_refused(TX + "testCancelBoundaryNoTransactionFails.bpmn20.xml", element="catchCancelTx", match="cancel")


def test_compensate_subprocess_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.compensate.CompensateEventTest#testCompensateSubprocess

    As a refusal: a compensation boundary event and a compensation throw event."""
    assert_refused(COMP + "testCompensateSubprocess.bpmn20.xml", element="compensateBookHotelEvt", match="compensat")


def test_compensation_event_sub_process_with_activity_ref_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.compensate.CompensateEventTest#testCompensationEventSubProcessWithActivityRef

    As a refusal: compensation event sub-processes, triggered by a compensation end event naming an
    activity (user tasks only, no Java)."""  # noqa: E501
    assert_refused(COMP + "testCompensationEventSubProcessWithActivityRef.bpmn20.xml", element="throwCompensation",
                   match="compensat")
