from tests.unit.conftest import eventsAppendedInOrder  # noqa: F401
