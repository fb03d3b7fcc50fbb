"""The safe fetcher: the endpoints that connect only to checked addresses
(the check itself: test_addresscheck.py), and whole fetches over a network
in memory (no sockets; no traffic anywhere)."""
from __future__ import annotations

import hashlib

import pytest
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.web.client import URI
from twisted.web.server import Site

from imsupport.core.files import FetchError, FilesFull
from imsupport.web.fetch import MAX_REDIRECTS, CheckedEndpoints, SafeFetcher
from tests.web.filefakes import DirBlobs
from tests.web.netfakes import Files, Names, Net

PUBLIC_IP = "93.184.216.34"
OTHER_PUBLIC_IP = "151.101.1.69"
LIMIT = 1000


# -- the endpoints ---------------------------------------------------------------------------

class RecordingPolicy:
    def __init__(self):
        self.asked = []

    def creatorForNetloc(self, hostname, port):
        self.asked.append((hostname, port))
        from twisted.internet.ssl import optionsForClientTLS
        return optionsForClientTLS(hostname.decode())


def endpoints(names, allow=(), policy=None, reactor=None):
    reactor = reactor or MemoryReactorClock()
    return reactor, CheckedEndpoints(reactor, names, allow, policy or RecordingPolicy(), 5.0)


def connecting(factory_endpoints, url):
    from twisted.internet.protocol import Factory, Protocol
    endpoint = factory_endpoints.endpointForURI(URI.fromBytes(url.encode()))
    done = []
    endpoint.connect(Factory.forProtocol(Protocol)).addBoth(done.append)
    return done


def refusal(done):
    assert done and isinstance(done[0], Failure), done
    assert done[0].check(FetchError), done[0]
    return str(done[0].value)


def test_a_public_name_connects_to_the_address_it_resolved_to():
    reactor, factory = endpoints(Names({"files.example.com": [PUBLIC_IP]}))
    connecting(factory, "http://files.example.com/a.png")
    assert [(host, port) for host, port, *_ in reactor.tcpClients] == [(PUBLIC_IP, 80)]


def test_a_name_resolving_to_loopback_is_refused_before_connecting():
    reactor, factory = endpoints(Names({"evil.example": ["127.0.0.1"]}))
    reason = refusal(connecting(factory, "http://evil.example/a.png"))
    assert reason == "evil.example resolves to 127.0.0.1, a loopback address"
    assert reactor.tcpClients == []


def test_one_private_address_among_public_ones_refuses_the_name():
    reactor, factory = endpoints(Names({"mixed.example": [PUBLIC_IP, "10.0.0.5"]}))
    reason = refusal(connecting(factory, "https://mixed.example/a.png"))
    assert reason == "mixed.example resolves to 10.0.0.5, a private address"
    assert reactor.tcpClients == []
    reactor, factory = endpoints(Names({"mixed6.example": [PUBLIC_IP, "::ffff:192.168.0.1"]}))
    assert "a private address (inside IPv6)" in refusal(connecting(factory, "http://mixed6.example/"))


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1:8080/x", "127.0.0.1 is a loopback address"),
    ("http://[::1]/x", "::1 is a loopback address"),
    ("http://[::ffff:169.254.169.254]/latest/meta-data",
     "::ffff:169.254.169.254 is a link-local address (inside IPv6)"),
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
])
def test_address_literals_are_checked_without_a_lookup(url, reason):
    names = Names({})
    reactor, factory = endpoints(names)
    assert refusal(connecting(factory, url)) == reason
    assert names.asked == [] and reactor.tcpClients == []


def test_a_name_that_does_not_resolve():
    reactor, factory = endpoints(Names({}))
    assert refusal(connecting(factory, "http://nowhere.example/")) == (
        "nowhere.example does not resolve")


def test_the_name_is_resolved_once_and_the_checked_address_dialed():
    """A rebinding DNS answers a public address first, loopback after."""
    names = Names({"rebind.example": [PUBLIC_IP]}, later={"rebind.example": ["127.0.0.1"]})
    reactor, factory = endpoints(names)
    connecting(factory, "http://rebind.example/")
    assert names.asked == ["rebind.example"]
    assert [host for host, *_ in reactor.tcpClients] == [PUBLIC_IP]


def test_https_checks_the_certificate_for_the_name_and_dials_the_address():
    policy = RecordingPolicy()
    reactor, factory = endpoints(Names({"files.example.com": [PUBLIC_IP]}), policy=policy)
    connecting(factory, "https://files.example.com/a.png")
    assert policy.asked == [(b"files.example.com", 443)]
    assert [(host, port) for host, port, *_ in reactor.tcpClients] == [(PUBLIC_IP, 443)]


def test_ipv6_addresses_are_dialed_as_ipv6():
    reactor, factory = endpoints(Names({"six.example": ["2001:4860:4860::8888"]}))
    connecting(factory, "http://six.example/")
    assert [host for host, *_ in reactor.tcpClients] == ["2001:4860:4860::8888"]


def test_an_allowed_host_skips_the_address_check():
    reactor, factory = endpoints(Names({"intranet.example": ["10.1.2.3"]}),
                                 allow=["Intranet.Example"])
    connecting(factory, "http://intranet.example/a.png")
    assert [host for host, *_ in reactor.tcpClients] == ["10.1.2.3"]
    reactor, factory = endpoints(Names({}), allow=["127.0.0.1"])
    connecting(factory, "http://127.0.0.1:8080/a.png")
    assert [(host, port) for host, port, *_ in reactor.tcpClients] == [("127.0.0.1", 8080)]


@pytest.mark.parametrize("scheme", ["ftp", "file", "gopher"])
def test_other_schemes_have_no_endpoint(scheme):
    reactor, factory = endpoints(Names({"files.example.com": [PUBLIC_IP]}))
    with pytest.raises(FetchError, match="only http and https"):
        factory.endpointForURI(URI.fromBytes(f"{scheme}://files.example.com/a".encode()))


# -- whole fetches ---------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


@pytest.fixture
def blobs(tmp_path):
    return DirBlobs(tmp_path)


def network(routes, names=None, at=(PUBLIC_IP, 80)):
    files = Files(routes)
    net = Net({at: Site(files, reactor=MemoryReactorClock())})
    table = Names(names if names is not None else {"files.example.com": [PUBLIC_IP]})
    return net, files, table


def fetcher(net, names, blobs, allow=()):
    return SafeFetcher(net, blobs, allow, resolver=names, timeout=30)


def fetched(net, names, blobs, url, allow=(), limit=LIMIT):
    return net.run(fetcher(net, names, blobs, allow).fetch(url, limit))


def failedWith(result):
    assert isinstance(result, Failure), result
    assert result.check(FetchError), result
    return str(result.value)


def test_a_file_is_fetched_into_the_blob_store(blobs):
    net, files, names = network({"/media/photo.png": (200, {"Content-Type": "image/png"},
                                                      [PNG])})
    blob, name, content_type = fetched(net, names, blobs,
                                       "http://files.example.com/media/photo.png")
    assert (blob.digest, blob.size) == (hashlib.sha256(PNG).hexdigest(), len(PNG))
    assert open(blobs.path(blob.digest), "rb").read() == PNG
    assert (name, content_type) == ("photo.png", "image/png")
    assert net.dialed == [(PUBLIC_IP, 80)]
    [(uri, headers)] = files.seen
    assert headers[b"Host"] == [b"files.example.com"]
    assert headers[b"User-Agent"][0].startswith(b"imsupport/")


def test_the_name_from_content_disposition_and_the_url(blobs):
    net, _, names = network({
        "/dl": (200, {"Content-Type": "application/pdf; charset=binary",
                      "Content-Disposition": "attachment; filename=\"report.pdf\"; "
                      "filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf"}, [b"%PDF"]),
        "/a/%D1%84%D0%B0%D0%B9%D0%BB%20one.txt": (200, {}, [b"text"]),
    })
    _, name, content_type = fetched(net, names, blobs, "http://files.example.com/dl")
    assert (name, content_type) == ("отчёт.pdf", "application/pdf")
    _, name, content_type = fetched(net, names, blobs,
                                    "http://files.example.com/a/%D1%84%D0%B0%D0%B9%D0%BB%20one.txt")
    assert name == "файл one.txt"
    assert content_type == "text/html", "twisted.web's default type, as the server said"


def test_redirects_are_followed_and_each_checked(blobs):
    net, files, names = network({
        "/r1": (302, {"Location": "/r2"}, [b""]),
        "/r2": (301, {"Location": "http://files.example.com/final.png"}, [b""]),
        "/final.png": (200, {"Content-Type": "image/png"}, [PNG]),
    })
    blob, name, _ = fetched(net, names, blobs, "http://files.example.com/r1")
    assert blob.size == len(PNG) and name == "final.png"
    assert [uri for uri, _ in files.seen] == [b"/r1", b"/r2", b"/final.png"]
    assert names.asked == ["files.example.com"] * 3


@pytest.mark.parametrize("location, reason", [
    ("http://10.0.0.1/x", "10.0.0.1 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://internal.example/x", "internal.example resolves to 127.0.0.1, a loopback address"),
    ("http://[::ffff:127.0.0.1]:8080/", "::ffff:127.0.0.1 is a loopback address (inside IPv6)"),
    ("file:///etc/passwd", "file links are not fetched, only http and https"),
    ("ftp://files.example.com/x", "ftp links are not fetched, only http and https"),
])
def test_a_redirect_to_where_the_service_may_not_go_is_refused(blobs, location, reason):
    net, files, names = network({"/go": (302, {"Location": location}, [b""])},
                                names={"files.example.com": [PUBLIC_IP],
                                       "internal.example": ["127.0.0.1"]})
    assert failedWith(fetched(net, names, blobs, "http://files.example.com/go")) == reason
    assert net.dialed == [(PUBLIC_IP, 80)], "nothing else was dialed"
    assert blobs.stored() == []


def test_more_than_five_redirects_are_refused(blobs):
    net, files, names = network({"/loop": (307, {"Location": "/loop"}, [b""])})
    reason = failedWith(fetched(net, names, blobs, "http://files.example.com/loop"))
    assert reason == f"more than {MAX_REDIRECTS} redirects"
    assert len(files.seen) == MAX_REDIRECTS + 1


def test_a_redirect_without_location(blobs):
    net, _, names = network({"/r": (302, {}, [b""])})
    assert failedWith(fetched(net, names, blobs, "http://files.example.com/r")) == (
        "files.example.com redirected without saying where")


def test_a_declared_length_over_the_limit_is_refused_unread(blobs):
    body = b"x" * (LIMIT + 1)
    net, _, names = network({"/big": (200, {"Content-Length": str(len(body))}, [body])})
    reason = failedWith(fetched(net, names, blobs, "http://files.example.com/big"))
    assert reason == f"the file is larger than the limit of {LIMIT} bytes ({LIMIT + 1})"
    assert blobs.stored() == [] and blobs.writes == 0


def test_a_body_without_length_is_cut_at_the_limit(blobs):
    chunks = [b"y" * 400] * 5
    net, _, names = network({"/stream": (200, {}, chunks)})
    reason = failedWith(fetched(net, names, blobs, "http://files.example.com/stream"))
    assert reason == f"the file is larger than the limit of {LIMIT} bytes"
    assert blobs.stored() == [] and blobs.writes == 0


def test_a_body_at_the_limit_is_kept(blobs):
    net, _, names = network({"/stream": (200, {}, [b"y" * 500, b"z" * 500])})
    blob, _, _ = fetched(net, names, blobs, "http://files.example.com/stream")
    assert blob.size == LIMIT


def test_http_errors(blobs):
    net, _, names = network({"/gone": (410, {}, [b"gone"])})
    assert failedWith(fetched(net, names, blobs, "http://files.example.com/gone")) == (
        "files.example.com answered 410 Gone")
    assert failedWith(fetched(net, names, blobs, "http://files.example.com/nothing")) == (
        "files.example.com answered 404 Not Found")


@pytest.mark.parametrize("url, reason", [
    ("ftp://files.example.com/a", "ftp links are not fetched, only http and https"),
    ("file:///etc/passwd", "file links are not fetched, only http and https"),
    ("javascript:alert(1)", "javascript links are not fetched, only http and https"),
    ("files.example.com/a.png", "scheme-less links are not fetched, only http and https"),
    ("http:///a.png", "the link names no host"),
    ("http://files.example.com:99999/a", "not a usable link: Port out of range 0-65535"),
    ("http://localhost/a", "localhost resolves to 127.0.0.1, a loopback address"),
])
def test_links_that_are_not_fetched(blobs, url, reason):
    net, _, names = network({}, names={"localhost": ["127.0.0.1"]})
    assert failedWith(fetched(net, names, blobs, url)) == reason
    assert net.dialed == []


def test_a_server_that_stalls_runs_into_the_time_limit(blobs):
    net, _, names = network({"/slow": (200, {}, None)})
    fetching = fetcher(net, names, blobs).fetch("http://files.example.com/slow", LIMIT)
    for _ in range(10):
        net._wire()
        for pump in net.pumps:
            pump.flush()
    assert not fetching.called
    net.advance(30)
    assert failedWith(net.run(fetching)) == "no complete answer within 30 s"
    assert blobs.stored() == []


def test_a_refused_connection(blobs):
    net, _, names = network({}, names={"down.example": [OTHER_PUBLIC_IP]})
    reason = failedWith(fetched(net, names, blobs, "http://down.example/a"))
    assert reason.startswith("could not connect to down.example: ")


def test_a_full_disk_is_the_blob_stores_error(blobs):
    blobs.full = True
    net, _, names = network({"/a.png": (200, {"Content-Type": "image/png"}, [PNG])})
    result = fetched(net, names, blobs, "http://files.example.com/a.png")
    assert isinstance(result, Failure) and result.check(FilesFull)


def test_the_allow_list_permits_a_local_server(blobs):
    net, _, names = network({"/a.png": (200, {"Content-Type": "image/png"}, [PNG])},
                            names={}, at=("127.0.0.1", 5280))
    url = "http://127.0.0.1:5280/a.png"
    assert failedWith(fetched(net, names, blobs, url)) == "127.0.0.1 is a loopback address"
    blob, name, _ = fetched(net, names, blobs, url, allow=["127.0.0.1"])
    assert blob.size == len(PNG) and name == "a.png"


def test_a_gzip_body_is_counted_as_it_unpacks(blobs):
    import gzip
    small, bomb = gzip.compress(b"a" * 800), gzip.compress(b"a" * 50_000)
    assert len(bomb) < LIMIT
    net, _, names = network({
        "/small.txt": (200, {"Content-Encoding": "gzip", "Content-Length": str(len(small))},
                       [small]),
        "/bomb.txt": (200, {"Content-Encoding": "gzip", "Content-Length": str(len(bomb))},
                      [bomb]),
    })
    blob, _, _ = fetched(net, names, blobs, "http://files.example.com/small.txt")
    assert open(blobs.path(blob.digest), "rb").read() == b"a" * 800
    reason = failedWith(fetched(net, names, blobs, "http://files.example.com/bomb.txt"))
    assert reason == f"the file is larger than the limit of {LIMIT} bytes"
    assert blobs.stored() == [blob.digest]


def test_cookies_do_not_carry_over_between_fetches(blobs):
    net, files, names = network({"/a.png": (200, {"Set-Cookie": "who=first; Path=/"}, [PNG])})
    fetch = fetcher(net, names, blobs)
    for _ in range(2):
        assert not isinstance(net.run(fetch.fetch("http://files.example.com/a.png", LIMIT)),
                              Failure)
    assert [b"Cookie" in headers for _, headers in files.seen] == [False, False]
