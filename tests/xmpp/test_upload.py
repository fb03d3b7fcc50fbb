"""XEP-0363 slot requests and the upload service's disco#info, over the
in-memory component stream (SPEC 16)."""
from __future__ import annotations

import pytest

from imsupport.config import WebConfig
from tests.unit.fakes import ALICE
from tests.xmpp.stream import DOMAIN, InMemoryComponent

NS_UPLOAD = "urn:xmpp:http:upload:0"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
LIMIT = 20_000_000  # WebConfig's default max_upload_bytes


@pytest.fixture
def comp():
    c = InMemoryComponent()
    c.handshake()
    c.pump()
    return c


def request(filename="photo.jpg", size="1234", ctype="image/jpeg", to=DOMAIN, iq_id="s1"):
    attrs = "".join(f" {k}='{v}'" for k, v in
                    (("filename", filename), ("size", size), ("content-type", ctype))
                    if v is not None)
    return (f"<iq type='get' id='{iq_id}' from='{ALICE}/phone' to='{to}'>"
            f"<request xmlns='{NS_UPLOAD}'{attrs}/></iq>")


def child(element, name, uri=None):
    for c in element.elements():
        if c.name == name and (uri is None or c.uri == uri):
            return c
    return None


def errorOf(stanza):
    assert stanza["type"] == "error"
    err = child(stanza, "error")
    names = [c.name for c in err.elements() if c.uri == NS_STANZAS and c.name != "text"]
    return err, names[0]


def test_disco_info_of_the_domain_names_the_upload_service_and_its_limit(comp):
    out = comp.exchange(f"<iq type='get' id='d1' from='{ALICE}/r' to='{DOMAIN}'>"
                        f"<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
    xml = out[0].toXml()
    assert f"var='{NS_UPLOAD}'" in xml
    assert "category='store'" in xml and "type='file'" in xml
    query = child(out[0], "query")
    form = child(query, "x", "jabber:x:data")
    fields = {f["var"]: str(child(f, "value")) for f in form.elements() if f.name == "field"}
    assert fields == {"FORM_TYPE": NS_UPLOAD, "max-file-size": str(LIMIT)}
    # a node's disco#info is a bot's, not the upload service
    out = comp.exchange(f"<iq type='get' id='d2' from='{ALICE}/r' to='sales@{DOMAIN}'>"
                        f"<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
    assert NS_UPLOAD not in out[0].toXml()


def test_a_slot_has_put_and_get_urls_under_public_url(comp):
    out = comp.exchange(request())
    assert len(out) == 1 and out[0]["type"] == "result" and out[0]["id"] == "s1"
    assert out[0]["to"] == f"{ALICE}/phone" and out[0]["from"] == DOMAIN
    slot = child(out[0], "slot", NS_UPLOAD)
    put, get = child(slot, "put")["url"], child(slot, "get")["url"]
    assert put.startswith("http://127.0.0.1:8080/upload/")
    assert get.startswith("http://127.0.0.1:8080/f/") and get.endswith("/photo.jpg")
    token = put.rsplit("/", 1)[1]
    given = comp.core.files.slot(token)
    assert given is not None and given.owner == ALICE and given.size == 1234
    assert given.content_type == "image/jpeg"
    # every slot is its own
    again = child(child(comp.exchange(request(iq_id="s2"))[0], "slot", NS_UPLOAD), "put")
    assert again["url"] != put


def test_a_hostile_file_name_is_only_a_name(comp):
    out = comp.exchange(request(filename="../../etc/pass&amp;wd"))
    get = child(child(out[0], "slot", NS_UPLOAD), "get")["url"]
    assert get.endswith("/pass%26wd") and "/../" not in get


def test_a_file_over_the_limit_is_refused_with_the_limit(comp):
    out = comp.exchange(request(size=str(LIMIT + 1)))
    err, name = errorOf(out[0])
    assert name == "not-acceptable" and err["type"] == "modify"
    too_large = child(err, "file-too-large", NS_UPLOAD)
    assert str(child(too_large, "max-file-size")) == str(LIMIT)


@pytest.mark.parametrize("size,filename", [
    (None, "a.txt"), ("-5", "a.txt"), ("12kb", "a.txt"), ("0", "a.txt"),
    ("99999999999999999999", "a.txt"), ("10", None), ("10", " "),
])
def test_malformed_requests_are_bad_requests(comp, size, filename):
    out = comp.exchange(request(size=size, filename=filename))
    err, name = errorOf(out[0])
    assert name == "bad-request" and err["type"] == "modify"


def test_slots_are_asked_of_the_domain_only(comp):
    out = comp.exchange(request(to=f"sales@{DOMAIN}"))
    err, name = errorOf(out[0])
    assert name == "feature-not-implemented"


def test_a_day_quota_refuses_with_when_to_retry():
    comp = InMemoryComponent(web=WebConfig(upload_bytes_per_day=3000))
    comp.handshake()
    comp.pump()
    assert child(comp.exchange(request(size="2000"))[0], "slot", NS_UPLOAD) is not None
    out = comp.exchange(request(size="2000", iq_id="s2"))
    err, name = errorOf(out[0])
    assert name == "resource-constraint" and err["type"] == "wait"
    assert child(err, "retry", NS_UPLOAD)["stamp"].endswith("Z")
