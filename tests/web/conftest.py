import pytest

from tests.web.filefakes import PRODUCERS, DirBlobs, FakeUploads


@pytest.fixture(autouse=True)
def steppedProducers(monkeypatch):
    PRODUCERS.install(monkeypatch)


@pytest.fixture
def blobs(tmp_path):
    """The file routes' bytes, in a directory of the test's."""
    return DirBlobs(tmp_path)


@pytest.fixture
def uploads():
    """The core's side of the file routes, as a fake."""
    return FakeUploads()
