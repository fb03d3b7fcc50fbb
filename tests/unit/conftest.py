import pytest

from tests.unit.fakes import ORDER_VIOLATIONS


@pytest.fixture(autouse=True)
def eventsAppendedInOrder():
    ORDER_VIOLATIONS.clear()
    yield
    assert not ORDER_VIOLATIONS, ORDER_VIOLATIONS
