"""sedflow's ISO 8601 durations agree with SpiffWorkflow's timer arithmetic (calendar months and years)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sedflow.clock import add_duration
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

DURATIONS = ["P1M", "P1Y", "P13M", "P2Y3M", "P1D", "PT1H", "P1W", "P3W", "P1Y2M3DT4H5M6S", "PT1.5H", "P0.5D",
             "PT90M", "P1MT12H", "PT0S", "P12M", "P36M", "p1m", "P1DT1.25S", "PT1H30M", "P1Y1D", "P2,5D", "P1WT2H"]


def spiffworkflow(start: datetime, duration: str) -> datetime:
    parsed = TimerEventDefinition.parse_iso_duration(duration)
    return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)


@pytest.mark.parametrize("duration", DURATIONS)
def test_add_duration_agrees_with_spiffworkflow(duration):
    rng = random.Random(duration)
    starts = [datetime(2000, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(12000), seconds=rng.randrange(86400))
              for _ in range(200)]
    starts += [datetime(2024, m, d, 9, tzinfo=UTC) for m in (1, 2, 3, 12) for d in (1, 28, 29)]
    starts += [datetime(2026, 1, 31, tzinfo=UTC), datetime(2024, 2, 29, tzinfo=UTC)]
    for start in starts:
        assert add_duration(start, duration) == spiffworkflow(start, duration), (start, duration)


def test_a_month_is_the_length_of_the_month_it_starts_in():
    assert add_duration(datetime(2026, 1, 31, tzinfo=UTC), "P1M") == datetime(2026, 3, 3, tzinfo=UTC)
    assert add_duration(datetime(2024, 2, 29, tzinfo=UTC), "P1Y") == datetime(2025, 3, 1, tzinfo=UTC)  # 366 days
    assert add_duration(datetime(2026, 2, 1, tzinfo=UTC), "P1M") == datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["P1.5M", "P1.5Y", "P1W1D", "PT", "P", "X", "P1H", "P1DT", "1D", "P-1D",
                                 "P1.5DT1H"])  # SpiffWorkflow silently drops the 1.5 days of the last one
def test_malformed_durations_are_refused(bad):
    with pytest.raises(ValueError, match="duration"):
        add_duration(datetime(2026, 1, 1, tzinfo=UTC), bad)
