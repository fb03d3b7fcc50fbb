"""
Fetching a file another server holds (issue 9, SPEC 16): a client's own
server's upload service, a gateway's media URL. The service keeps a copy
and the chat gets the service's own link.

The URL comes from a client, so it must not reach into the service's own
network (SSRF): http and https only; the host name is resolved once and
every address it has is checked (``addressRefusal``), and the connection
goes to a checked address itself, so a second lookup (DNS rebinding) cannot
swap it; TLS is still checked against the host name. Redirects (at most 5)
go through the same check. Hosts in ``[web] fetch_allow`` skip the address
check. The body streams to a temporary file, never past ``limit`` bytes
(counted after a gzip transfer encoding is undone), then into the blob
store. Every refusal is a FetchError with a short reason
for the operator's note.
"""
from __future__ import annotations

import email.message
import email.utils
import tempfile
from ipaddress import ip_address
from typing import Any, BinaryIO, Generator, Iterable
from urllib.parse import unquote, urljoin, urlsplit

import treq
from treq.client import HTTPClient
from twisted.internet.defer import CancelledError, Deferred, inlineCallbacks
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP6ClientEndpoint, wrapClientTLS
from twisted.internet.error import ConnectError, DNSLookupError
from twisted.internet.interfaces import (
    IHostnameResolver,
    IOpenSSLClientConnectionCreator,
    IProtocol,
    IProtocolFactory,
    IResolutionReceiver,
    IStreamClientEndpoint,
)
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.client import (
    URI,
    Agent,
    BrowserLikePolicyForHTTPS,
    HTTPConnectionPool,
    ResponseFailed,
    ResponseNeverReceived,
)
from twisted.web.http_headers import Headers
from twisted.web.iweb import UNKNOWN_LENGTH, IAgentEndpointFactory, IPolicyForHTTPS
from zope.interface import implementer

from imsupport import __version__
from imsupport.core.files import Blob, Blobs, FetchError, FilesFull, safeType
from imsupport.web.addresscheck import addressRefusal, hostKey, isAddress

log = Logger()

SCHEMES = ("http", "https")
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})


# -- connecting only to checked addresses ---------------------------------------------------

@implementer(IResolutionReceiver)
class _Addresses:
    def __init__(self) -> None:
        self.found: list[str] = []
        self.done: Deferred[list[str]] = Deferred()

    def resolutionBegan(self, resolutionInProgress: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.found.append(address.host)

    def resolutionComplete(self) -> None:
        self.done.callback(self.found)


@implementer(IStreamClientEndpoint)
class CheckedEndpoint:
    """Resolves the host once, refuses it if any of its addresses is not
    public (unless it is allowed), and connects TCP to a checked address,
    with TLS to the host name when ``tls`` is given."""

    def __init__(self, reactor: Any, resolver: IHostnameResolver, host: str, port: int,
                 tls: IOpenSSLClientConnectionCreator | None, allowed: bool,
                 timeout: float) -> None:
        self.reactor = reactor
        self.resolver = resolver
        self.host = host
        self.port = port
        self.tls = tls
        self.allowed = allowed
        self.timeout = timeout

    def connect(self, protocolFactory: IProtocolFactory) -> Deferred[IProtocol]:
        addresses = self.addresses()
        addresses.addCallback(self.checked)
        return addresses.addCallback(self._connectFirst, protocolFactory)

    def addresses(self) -> Deferred[list[str]]:
        try:
            literal = str(ip_address(self.host))
        except ValueError:
            receiver = _Addresses()
            self.resolver.resolveHostName(receiver, self.host, self.port)
            return receiver.done
        done: Deferred[list[str]] = Deferred()
        done.callback([literal])
        return done

    def checked(self, addresses: list[str]) -> list[str]:
        if not addresses:
            raise FetchError(f"{self.host} does not resolve")
        if not self.allowed:
            for address in addresses:
                reason = addressRefusal(address)
                if reason is None:
                    continue
                if isAddress(self.host):
                    raise FetchError(f"{self.host} is {reason}")
                raise FetchError(f"{self.host} resolves to {address}, {reason}")
        return addresses

    @inlineCallbacks
    def _connectFirst(self, addresses: list[str], factory: IProtocolFactory
                      ) -> Generator[Deferred[Any], Any, IProtocol]:
        failure: BaseException | None = None
        for address in addresses:
            kind = TCP6ClientEndpoint if ":" in address else TCP4ClientEndpoint
            endpoint: IStreamClientEndpoint = kind(self.reactor, address, self.port,
                                                   timeout=self.timeout)
            if self.tls is not None:
                endpoint = wrapClientTLS(self.tls, endpoint)
            try:
                protocol: IProtocol = yield endpoint.connect(factory)
            except (ConnectError, OSError) as e:
                failure = e
                continue
            return protocol
        raise FetchError(f"could not connect to {self.host}: {failure}")


@implementer(IAgentEndpointFactory)
class CheckedEndpoints:
    """The Agent's endpoints: http and https only, each a CheckedEndpoint."""

    def __init__(self, reactor: Any, resolver: IHostnameResolver, allow: Iterable[str],
                 tls: IPolicyForHTTPS, timeout: float) -> None:
        self.reactor = reactor
        self.resolver = resolver
        self.allow = frozenset(hostKey(host) for host in allow)
        self.tls = tls
        self.timeout = timeout

    def endpointForURI(self, uri: URI) -> IStreamClientEndpoint:
        scheme = uri.scheme.decode("ascii", "replace").lower()
        if scheme not in SCHEMES:
            raise FetchError(f"{scheme} links are not fetched, only http and https")
        host = uri.host.decode("ascii", "replace")
        tls = self.tls.creatorForNetloc(uri.host, uri.port) if scheme == "https" else None
        return CheckedEndpoint(self.reactor, self.resolver, host, uri.port, tls,
                               hostKey(host) in self.allow, self.timeout)


# -- fetching -------------------------------------------------------------------------------

class TooLarge(Exception):
    pass


class SafeFetcher:
    """The Fetcher of core/files.py over treq; ``reactor`` gives the time,
    the connections and (unless ``resolver``) the name lookups."""

    def __init__(self, reactor: Any, blobs: Blobs, allow: Iterable[str] = (), *,
                 resolver: IHostnameResolver | None = None,
                 tls: IPolicyForHTTPS | None = None, timeout: float = 120.0,
                 connect_timeout: float = 15.0) -> None:
        self.reactor = reactor
        self.blobs = blobs
        self.timeout = timeout
        self.endpoints = CheckedEndpoints(
            reactor, resolver if resolver is not None else reactor.nameResolver, allow,
            tls if tls is not None else BrowserLikePolicyForHTTPS(), connect_timeout)
        self.agent = Agent.usingEndpointFactory(
            reactor, self.endpoints, pool=HTTPConnectionPool(reactor, persistent=False))
        self.headers = Headers({"User-Agent": [f"imsupport/{__version__}"]})

    def fetch(self, url: str, limit: int) -> Deferred[tuple[Blob, str, str]]:
        """(blob, name, content type); FetchError saying why not. FilesFull
        (the blob store's) passes through."""
        fetching = self._fetch(url, limit)
        timer = self.reactor.callLater(self.timeout, fetching.cancel)

        def settled(result: Any) -> Any:
            if timer.active():
                timer.cancel()
            return result

        fetching.addBoth(settled)
        return fetching.addErrback(self._explain, url)

    @inlineCallbacks
    def _fetch(self, url: str, limit: int
               ) -> Generator[Deferred[Any], Any, tuple[Blob, str, str]]:
        http = HTTPClient(self.agent)  # its own cookies: nothing carries over between fetches
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            host = checkedUrl(current)
            if isAddress(host) and hostKey(host) not in self.endpoints.allow:
                reason = addressRefusal(host)  # before treq: it cannot encode every form
                if reason is not None:
                    raise FetchError(f"{host} is {reason}")
            response = yield http.get(current, headers=self.headers,
                                           allow_redirects=False, unbuffered=True)
            if response.code in REDIRECTS:
                location = response.headers.getRawHeaders("location")
                drop(response)
                if not location:
                    raise FetchError(f"{host} redirected without saying where")
                current = urljoin(current, location[0])
                continue
            if not 200 <= response.code < 300:
                drop(response)
                raise FetchError(f"{host} answered {response.code} "
                                 f"{response.phrase.decode('latin-1', 'replace')}")
            if response.length is not UNKNOWN_LENGTH and response.length > limit:
                drop(response)
                raise FetchError(f"the file is larger than the limit of {limit} bytes "
                                 f"({response.length})")
            spool = yield receive(response, limit)
            try:
                spool.seek(0)
                blob: Blob = yield self.blobs.write(spool, limit)
            finally:
                spool.close()
            return blob, fileName(response.headers, current), safeType(
                (response.headers.getRawHeaders("content-type") or [""])[0])
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def _explain(self, failure: Failure, url: str) -> Failure:
        """Every failure but the blob store's as a FetchError with a reason."""
        reason = explanation(failure, self.timeout)
        if reason is None:
            return failure
        if not failure.check(FetchError):
            log.info("Could not fetch {url}: {reason}", url=url, reason=reason)
        return Failure(FetchError(reason))


def checkedUrl(url: str) -> str:
    """The URL's host, or FetchError for a URL that is not http(s) with one."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError as e:
        raise FetchError(f"not a usable link: {e}") from e
    if parts.scheme.lower() not in SCHEMES:
        raise FetchError(f"{parts.scheme or 'scheme-less'} links are not fetched, "
                         "only http and https")
    if not host:
        raise FetchError("the link names no host")
    return host


def explanation(failure: Failure, timeout: float) -> str | None:
    """The short reason for a failed fetch; None for what is not a fetch's
    failure (the blob store's FilesFull, which the caller handles)."""
    error = failure.value
    if isinstance(error, FetchError):
        return str(error)
    if isinstance(error, CancelledError):
        return f"no complete answer within {timeout:g} s"
    if isinstance(error, (ResponseFailed, ResponseNeverReceived)):
        for inner in error.reasons:
            if isinstance(inner.value, FetchError):
                return str(inner.value)
            if isinstance(inner.value, CancelledError):
                return f"no complete answer within {timeout:g} s"
        inner_text = "; ".join(type(inner.value).__name__ for inner in error.reasons)
        return f"the transfer failed ({inner_text})"
    if isinstance(error, DNSLookupError):
        return "the host name does not resolve"
    if isinstance(error, ConnectError):
        return f"could not connect: {error}"
    if isinstance(error, TooLarge):
        return str(error)
    if isinstance(error, FilesFull):
        return None
    if isinstance(error, ValueError):  # hyperlink's and idna's, for a URL they cannot encode
        return f"not a usable link: {error}"
    log.failure("Fetching a file failed unexpectedly", failure)
    return f"the fetch failed ({type(error).__name__})"


def receive(response: Any, limit: int) -> Deferred[BinaryIO]:
    """The body into a temporary file; past ``limit`` bytes the connection
    is dropped and nothing is kept."""
    spool = tempfile.TemporaryFile()
    received = 0

    def write(data: bytes) -> None:
        nonlocal received
        received += len(data)
        if received > limit:
            raise TooLarge(f"the file is larger than the limit of {limit} bytes")
        spool.write(data)

    def failed(failure: Failure) -> Failure:
        spool.close()
        return failure

    def done(_: None) -> BinaryIO:
        return spool

    collected: Deferred[None] = treq.collect(response, write)
    return collected.addCallbacks(done, failed)


def drop(response: Any) -> None:
    """Stop a response's body unread (the connection is not kept)."""
    response.deliverBody(_Drop())


class _Drop:
    def makeConnection(self, transport: Any) -> None:
        transport.stopProducing()

    def dataReceived(self, data: bytes) -> None:
        pass

    def connectionLost(self, reason: Failure) -> None:
        pass


def fileName(headers: Any, url: str) -> str:
    """The name the server gives (Content-Disposition, RFC 6266 and 5987),
    else the URL's last path segment; the core makes it safe to show."""
    disposition = headers.getRawHeaders("content-disposition")
    if disposition:
        message = email.message.Message()
        message["content-disposition"] = disposition[0]
        params = message.get_params(header="content-disposition") or []
        names = [value for key, value in params[1:] if key == "filename" and value]
        # filename* (RFC 5987, a (charset, language, text) here) before filename
        names.sort(key=lambda value: not isinstance(value, tuple))
        if names:
            return email.utils.collapse_rfc2231_value(names[0])
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
