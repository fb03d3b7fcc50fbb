"""The dashboard's feed (web/admin/live.py): a state event at once, then one
per change (not per tick of the clock), pings while quiet, and no looking
while no stream is open."""
from __future__ import annotations

from twisted.internet.defer import CancelledError
from twisted.internet.task import Clock
from twisted.web.test.requesthelper import DummyRequest

from imsupport.web.admin.live import LiveFeed, withoutClockwork


def feed(states: list):
    clock = Clock()
    return LiveFeed(lambda: states[-1], clock, every=2, ping=15), clock


def test_state_at_once_then_changes_and_pings():
    states: list = [{"at": 1, "queued": 0}]
    live, clock = feed(states)
    request = DummyRequest([b"live"])
    done = live.open(request)
    assert request.responseHeaders.getRawHeaders(b"content-type") == [
        b"text/event-stream; charset=utf-8"]
    assert request.written == [b"retry: 5000\n\n",
                               b'event: state\ndata: {"at": 1, "queued": 0}\n\n']
    states.append({"at": 3, "queued": 0})
    clock.advance(2)
    assert len(request.written) == 2, "only the clock moved"
    states.append({"at": 5, "queued": 1})
    clock.advance(2)
    assert request.written[-1] == b'event: state\ndata: {"at": 5, "queued": 1}\n\n'
    clock.advance(14)
    assert request.written[-1] == b'event: state\ndata: {"at": 5, "queued": 1}\n\n'
    clock.advance(2)
    assert request.written[-1] == b": ping\n\n"
    done.addErrback(lambda f: f.trap(CancelledError))
    done.cancel()
    assert not live.streams and live._loop is None and not clock.getDelayedCalls()


def test_a_closed_connection_stops_the_looking_and_a_starting_service_says_so():
    states: list = [None]
    live, clock = feed(states)
    first, second = DummyRequest([b"live"]), DummyRequest([b"live"])
    live.open(first)
    live.open(second)
    assert first.written[1] == b'event: state\ndata: {"starting": true}\n\n'
    first.processingFailed(Exception("gone"))  # the browser went away
    assert set(live.streams) == {second}
    states.append({"queued": 2})
    clock.advance(2)
    assert second.written[-1] == b'event: state\ndata: {"queued": 2}\n\n'
    assert len(first.written) == 2
    second.finish()
    assert not live.streams and not clock.getDelayedCalls()


def test_a_stream_that_no_longer_holds_is_ended():
    states: list = [{"queued": 0}]
    live, clock = feed(states)
    holding = [True]
    request = DummyRequest([b"live"])
    ended: list = []
    live.open(request, lambda: holding[0]).addCallback(ended.append)
    clock.advance(2)
    assert not ended
    holding[0] = False
    states.append({"queued": 1})
    clock.advance(2)
    assert ended == [None] and not live.streams and len(request.written) == 2
    assert not clock.getDelayedCalls()


def test_clockwork_is_left_out_of_the_comparison_only():
    state = {"at": 1, "nodes": [{"queued": [{"id": 1, "waited_s": 3.0, "talking_s": 0}]}]}
    assert withoutClockwork(state) == {"nodes": [{"queued": [{"id": 1}]}]}
    assert state["at"] == 1


def test_a_head_gets_the_headers_and_no_stream():
    live, clock = feed([{"at": 1}])
    request = DummyRequest([b"live"])
    request.method = b"HEAD"
    done = []
    live.open(request).addCallback(done.append)
    assert done == [None] and request.written == []
    assert request.responseHeaders.getRawHeaders(b"content-type") == [
        b"text/event-stream; charset=utf-8"]
    assert not live.streams and live._loop is None and not clock.getDelayedCalls()
