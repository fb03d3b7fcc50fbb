"""Files through the core (R-CLI-1, R-CMD-5, R-CMD-6, SPEC 16): slots, links
in messages (the service's own and other servers'), one-time pages, the file
commands and shared files; over the memory store, in-memory blobs and a
fetcher that answers from a table."""
from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imsupport.config import WebConfig
from imsupport.core.files import (
    NAME_CHARS,
    Blob,
    FileRefused,
    FilesFull,
    Slot,
    SlotRefusal,
    SlotUrls,
    fileLink,
    safeName,
    safeType,
    servedInline,
    tokenOf,
)
from imsupport.core.journal import Refused
from imsupport.core.model import FILE
from tests.unit.fakes import (
    ALICE,
    BOB,
    BOSS,
    IVAN,
    OLGA,
    FakeFetcher,
    MemoryBlobs,
    makeCore,
    online,
)

PUBLIC = "https://help.shop.test"
OTHER = "https://upload.example.net/abc/photo.jpg"
WEB = WebConfig(public_url=PUBLIC, files_per_chat=3, upload_bytes_per_day=10_000,
                max_upload_bytes=5000)


def results(d):
    out = []
    d.addBoth(out.append)
    assert out, "the Deferred has not fired"
    return out[0]


@pytest.fixture
def files():
    blobs = MemoryBlobs()
    fetcher = FakeFetcher(blobs, {OTHER: ("photo.jpg", "image/jpeg", b"\xff\xd8jpeg")})
    core, clock, transport, store = makeCore(web=WEB, fetcher=fetcher, blobs=blobs)
    return core, clock, transport, store, blobs, fetcher


def active(core, transport):
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "hello")
    transport.clear()
    return core.chats.get(1)


def upload(core, who=ALICE, name="photo.jpg", content=b"\x89PNG....", ctype="image/png"):
    """Ask for a slot and PUT its bytes, as the web side does: the GET URL."""
    urls = results(core.requestSlot(who, name, len(content), ctype))
    assert isinstance(urls, SlotUrls), urls
    slot = core.files.slot(urls.put.rsplit("/", 1)[1])
    blob = results(core.files.blobs.write(io.BytesIO(content), len(content)))
    record = results(core.files.uploaded(slot, blob))
    return urls.get, record


def fileEvents(store, chat_id=1):
    return [e for e in results(store.chatEvents(chat_id)) if e.kind == FILE]


# -- pure rules --------------------------------------------------------------------------

def test_a_message_is_a_file_by_its_oob_url_or_a_body_that_is_one_file_link():
    assert fileLink("look", "https://x.test/a/b.png") == "https://x.test/a/b.png"
    assert fileLink("https://x.test/u/report%20final.pdf", None) == \
        "https://x.test/u/report%20final.pdf"
    assert fileLink("see https://x.test/a.png", None) is None  # words around it: text
    assert fileLink("https://x.test/about", None) is None  # no file name
    own = f"{PUBLIC}/f/{'A' * 32}/README"  # the service's own: no extension needed
    assert fileLink(own, None, PUBLIC) == own and fileLink(own, None) is None
    assert fileLink(f"{PUBLIC}/about", None, PUBLIC) is None
    assert fileLink("ftp://x.test/a.png", None) is None
    assert fileLink("hi", "javascript:alert(1)") is None


def test_own_links_are_known_by_their_token():
    token = "A" * 32
    assert tokenOf(PUBLIC, f"{PUBLIC}/f/{token}/a.png") == token
    assert tokenOf(PUBLIC, f"{PUBLIC}/f/short/a.png") is None
    assert tokenOf(PUBLIC, f"https://evil.test/f/{token}/a.png") is None


@pytest.mark.parametrize("given,shown", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\boot.ini", "boot.ini"),
    ("/etc/shadow", "shadow"),
    ("C:\\Windows\\win.ini", "win.ini"),
    ("%2e%2e%2fsecret", "%2e%2e%2fsecret"),  # never decoded, never a path: just a name
    ("..", "file"), ("", "file"), ("   ", "file"), (".htaccess", "htaccess"),
    ("re\x00port.pdf", "re_port.pdf"), ("a\nb\rc.txt", "a_b_c.txt"),
    ('inv<o>i"ce|?*.pdf', "inv_o_i_ce_.pdf"),
    ("Счёт №5.pdf", "Счёт №5.pdf"),
])
def test_file_names_are_only_names(given, shown):
    assert safeName(given) == shown


def test_a_name_of_a_thousand_characters_keeps_its_extension():
    name = safeName("x" * 1000 + ".tar.gz")
    assert len(name) == NAME_CHARS and name.endswith("x.gz")
    assert len(safeName("y" * 1000)) == NAME_CHARS


@given(st.text(max_size=400))
def test_no_name_can_reach_outside_its_place(raw):
    name = safeName(raw)
    assert 0 < len(name) <= NAME_CHARS
    assert not any(c in name for c in '/\\\x00') and not name.startswith(".")
    assert all(ord(c) >= 32 and c != "\x7f" for c in name)


def test_declared_types_are_kept_plain_and_only_safe_ones_shown_inline():
    assert safeType("Image/PNG; charset=binary") == "image/png"
    assert safeType("text/html\r\nSet-Cookie: x=1") == "application/octet-stream"
    assert safeType(None) == safeType("nonsense") == "application/octet-stream"
    assert servedInline("image/png") and servedInline("text/plain") and servedInline("audio/ogg")
    for risky in ("text/html", "image/svg+xml", "application/xhtml+xml", "application/pdf",
                  "application/javascript", "application/octet-stream"):
        assert not servedInline(risky)


# -- slots -------------------------------------------------------------------------------

def test_a_slot_is_used_once_and_expires(files):
    core, clock, *_ = files
    urls = results(core.requestSlot(ALICE, "a.txt", 10, "text/plain; charset=utf-8"))
    token = urls.put.rsplit("/", 1)[1]
    slot = core.files.slot(token)
    assert isinstance(slot, Slot) and slot.content_type == "text/plain"
    assert urls.put == f"{PUBLIC}/upload/{token}"
    assert urls.get == f"{PUBLIC}/f/{slot.get_token}/a.txt"
    record = results(core.files.uploaded(slot, Blob("d" * 64, 10)))
    assert record.token == slot.get_token and record.uploader == ALICE
    assert record.chat_id is None
    assert core.files.slot(token) is None  # used up
    later = results(core.requestSlot(ALICE, "b.txt", 10, None))
    clock.advance(WEB.slot_lifetime + 1)
    assert core.files.slot(later.put.rsplit("/", 1)[1]) is None  # expired


def test_slots_are_refused_over_the_size_and_the_days_bytes(files):
    core, clock, *_ = files
    refusal = results(core.requestSlot(ALICE, "big.iso", 5001, None))
    assert isinstance(refusal, SlotRefusal) and refusal.condition == "file-too-large"
    assert refusal.max_size == 5000 and "5000" in refusal.text
    assert results(core.requestSlot(ALICE, "e", 0, None)).condition == "bad-request"
    upload(core, content=b"x" * 4000)
    upload(core, content=b"y" * 4000)
    # 8000 used, a 4000 more would pass the 10000 of a day; others are not counted
    refusal = results(core.requestSlot(ALICE, "c.bin", 4000, None))
    assert refusal.condition == "quota" and refusal.retry_at > clock.seconds()
    assert isinstance(results(core.requestSlot(IVAN, "c.bin", 4000, None)), SlotUrls)
    clock.advance(86400)
    assert isinstance(results(core.requestSlot(ALICE, "c.bin", 4000, None)), SlotUrls)


# -- links in messages -------------------------------------------------------------------

def test_a_clients_upload_is_a_file_of_the_chat_and_reaches_the_operator(files):
    core, clock, transport, store, *_ = files
    active(core, transport)
    url, record = upload(core)
    assert results(core.clientSaid("sales", ALICE, url, oob=url)) is None
    [event] = fileEvents(store)
    assert event.author == "client" and event.text == "photo.jpg"
    assert event.data["url"] == url and event.data["file_id"] == record.id
    assert event.data["size"] == len(b"\x89PNG....")
    sent = transport.last(IVAN)
    assert sent.body == url and sent.extra["oob"] == url
    kept = results(store.getFile(record.id))
    assert kept.chat_id == 1 and kept.client == ALICE
    online(core, OLGA)  # one who joins later reads of the file in the chat so far
    core.operatorSaid("sales", 1, IVAN, "!invite Olga")
    core.operatorSaid("sales", 1, OLGA, "!accept")
    so_far = [b for b in transport.bodies(OLGA) if b.startswith("Chat #1 so far")][0]
    assert f"Client sent a file: photo.jpg {url}" in so_far


def test_an_own_link_without_an_extension_in_a_plain_body_is_a_file_too(files):
    core, clock, transport, store, *_ = files
    active(core, transport)
    url, record = upload(core, name="README", ctype="text/plain")
    assert url.endswith("/README")
    assert results(core.clientSaid("sales", ALICE, url)) is None  # no OOB: the body only
    [event] = fileEvents(store)
    assert event.text == "README" and event.data["file_id"] == record.id


def test_a_link_to_another_server_is_fetched_and_the_chat_gets_the_services_own(files):
    core, clock, transport, store, blobs, fetcher = files
    active(core, transport)
    core.clientSaid("sales", ALICE, "", oob=OTHER)
    assert fetcher.asked == [(OTHER, 5000)]
    [event] = fileEvents(store)
    own = event.data["url"]
    assert own.startswith(f"{PUBLIC}/f/") and own.endswith("/photo.jpg")
    assert transport.last(IVAN).body == own
    record = results(store.getFile(event.data["file_id"]))
    assert record.source == OTHER and blobs.data[record.digest] == b"\xff\xd8jpeg"


def test_a_link_that_cannot_be_fetched_goes_as_text_with_a_note(files):
    core, clock, transport, store, *_ = files
    active(core, transport)
    broken = "https://upload.example.net/gone/file.zip"
    core.clientSaid("sales", ALICE, broken)
    assert not fileEvents(store)
    bodies = transport.bodies(IVAN)
    assert broken in bodies
    assert any("could not be kept" in b and "404" in b for b in bodies)


def test_a_full_disk_keeps_nothing_and_tells_the_operator(files):
    core, clock, transport, store, blobs, fetcher = files
    active(core, transport)
    fetcher.failure = FilesFull("No space left on device (errno 28)")
    core.clientSaid("sales", ALICE, OTHER)
    assert not fileEvents(store) and not blobs.data
    assert OTHER in transport.bodies(IVAN)
    assert any("could not be kept" in b and "No space left" in b
               for b in transport.bodies(IVAN))


def test_an_upload_the_disk_refused_is_noted_in_the_chat_for_its_operators(files):
    core, clock, transport, store, *_ = files
    chat = active(core, transport)
    core.files.notStored(ALICE, None, "../scan.pdf", "No space left on device (errno 28)")
    note = transport.last(IVAN).body
    assert "scan.pdf" in note and "No space left" in note and "../" not in note
    assert not fileEvents(store)
    transport.clear()
    core.files.notStored(IVAN, chat.id, "x.png", "Disk quota exceeded")
    assert "Disk quota exceeded" in transport.last(IVAN).body
    core.files.notStored(BOB, None, "y.png", "full")  # no chat of Bob's: nobody to tell
    assert not any("y.png" in b for b in transport.bodies(IVAN))


def test_an_unknown_own_link_is_only_text(files):
    core, clock, transport, store, *_ = files
    active(core, transport)
    fake = f"{PUBLIC}/f/{'Q' * 32}/x.png"
    core.clientSaid("sales", ALICE, fake)
    assert not fileEvents(store) and transport.last(IVAN).body == fake


def test_a_chat_holds_at_most_files_per_chat(files):
    core, clock, transport, store, *_ = files
    active(core, transport)
    for n in range(3):
        url, _ = upload(core, content=bytes([n]) * 10)
        assert results(core.clientSaid("sales", ALICE, url)) is None
    url, _ = upload(core, content=b"z" * 10)
    refused = results(core.clientSaid("sales", ALICE, url))
    assert isinstance(refused, Refused) and "3 files" in refused.text
    assert len(fileEvents(store)) == 3


def test_a_queued_chats_file_is_quoted_in_the_invitation(files):
    core, clock, transport, store, *_ = files
    url, _ = upload(core)
    core.clientSaid("sales", ALICE, url)
    online(core, IVAN)
    assert any(url in b for b in transport.bodies(IVAN))
    assert len(fileEvents(store)) == 1


def test_an_operators_file_goes_to_the_client_and_signed_to_the_others(files):
    core, clock, transport, store, *_ = files
    active(core, transport)
    online(core, OLGA)
    core.operatorSaid("sales", 1, IVAN, "!invite Olga")
    core.operatorSaid("sales", 1, OLGA, "!accept")
    assert core.chats.get(1).record.operators == (IVAN, OLGA)
    url, _ = upload(core, who=IVAN, name="manual.pdf", ctype="application/pdf")
    core.operatorSaid("sales", 1, IVAN, url, oob=url)
    client = transport.last(ALICE)
    assert client.body == url and client.extra["oob"] == url
    assert transport.last(OLGA).body.endswith(url) and transport.last(OLGA).body != url
    [event] = fileEvents(store)
    assert event.author == IVAN and event.text == "manual.pdf"


# -- one-time pages ----------------------------------------------------------------------

def test_file_without_id_gives_a_page_whose_upload_goes_to_the_client(files):
    core, clock, transport, store, blobs, _ = files
    active(core, transport)
    core.operatorSaid("sales", 1, IVAN, "!file")
    note = transport.last(IVAN).body
    assert f"{PUBLIC}/u/" in note and "60 minutes" in note
    token = note.rsplit("/u/", 1)[1].split()[0].rstrip(".")
    page = core.files.page(token)
    assert page is not None and page.owner == IVAN and page.chat_id == 1
    assert "Ivan" not in core.files.pageText(page, "file_chat_closed")  # a text, in English
    blob = results(blobs.write(io.BytesIO(b"%PDF-1.4"), 100))
    record = results(core.files.pageUploaded(page, "../secret/inv.pdf", "application/pdf",
                                             blob))
    assert record.name == "inv.pdf" and record.chat_id == 1
    assert transport.last(ALICE).body == core.files.urlOf(record)
    assert core.files.page(token) is None  # used once
    [event] = fileEvents(store)
    assert event.author == IVAN


def test_a_clients_upload_command_gives_a_page_whose_file_reaches_the_operator(files):
    core, clock, transport, store, blobs, _ = files
    core.clientSaid("sales", ALICE, "!upload")
    assert "Write your question first" in transport.last(ALICE).body
    active(core, transport)
    core.clientSaid("sales", ALICE, "!upload")
    note = transport.last(ALICE).body
    token = note.rsplit("/u/", 1)[1].split()[0]
    page = core.files.page(token)
    blob = results(blobs.write(io.BytesIO(b"GIF89a"), 100))
    record = results(core.files.pageUploaded(page, "cat.gif", "image/gif", blob))
    assert transport.last(IVAN).body == core.files.urlOf(record)
    assert [e.author for e in fileEvents(store)] == ["client"]


def test_a_pages_upload_counts_in_its_owners_day_quota(files):
    core, clock, transport, store, blobs, _ = files
    chat = active(core, transport)
    upload(core, content=b"x" * 4000)
    upload(core, content=b"y" * 4000)
    page, _ = core.files.openPage(chat, ALICE)
    blob = results(blobs.write(io.BytesIO(b"z" * 4000), 5000))
    refused = results(core.files.pageUploaded(page, "scan.png", "image/png", blob))
    assert refused.check(FileRefused), refused
    assert "10000" in str(refused.value)  # the day's limit, in the owner's language
    refused.trap(FileRefused)
    assert fileEvents(store) == [] and transport.bodies(IVAN) == []
    # an operator's page is the operator's quota, not the client's
    page, _ = core.files.openPage(chat, IVAN)
    record = results(core.files.pageUploaded(page, "scan.png", "image/png", blob))
    assert record.chat_id == 1 and record.uploader == IVAN


def test_a_page_dies_with_its_chat_and_with_time(files):
    core, clock, transport, store, *_ = files
    chat = active(core, transport)
    page, _ = core.files.openPage(chat, ALICE)
    other, _ = core.files.openPage(chat, ALICE)
    clock.advance(WEB.upload_page_lifetime + 1)
    assert core.files.page(page.token) is None
    fresh, _ = core.files.openPage(chat, ALICE)
    core.clientSaid("sales", ALICE, "!end")
    assert core.files.page(fresh.token) is None and core.files.page(other.token) is None


# -- the file commands -------------------------------------------------------------------

def test_sfile_finds_this_clients_files_and_file_id_sends_one(files):
    core, clock, transport, store, *_ = files
    active(core, transport)
    url, record = upload(core, name="invoice-2026.pdf", ctype="application/pdf")
    core.clientSaid("sales", ALICE, url)
    core.operatorSaid("sales", 1, IVAN, "!sfile INVOICE")
    hits = transport.last(IVAN).body
    assert record.id in hits and "invoice-2026.pdf" in hits and "!file ID" in hits
    core.operatorSaid("sales", 1, IVAN, "!sfile nothing-like-it")
    assert "No file matches" in transport.last(IVAN).body
    transport.clear()
    core.operatorSaid("sales", 1, IVAN, f"!file {record.id.upper()}")
    assert transport.last(ALICE).body == url
    assert "Sent to the client" in transport.last(IVAN).body
    core.operatorSaid("sales", 1, IVAN, "!file nosuchid")
    assert "There is no file nosuchid" in transport.last(IVAN).body


def test_admins_share_files_and_every_chat_finds_them(files):
    core, clock, transport, store, *_ = files
    _, record = upload(core, who=BOSS, name="price-list.pdf")
    core.consoleSaid(IVAN, f"!share {record.id}")
    assert not results(store.getFile(record.id)).shared  # not an admin
    core.consoleSaid(BOSS, f"!share {record.id}")
    assert "shared file now" in transport.last(BOSS).body
    assert results(store.getFile(record.id)).shared
    active(core, transport)
    core.operatorSaid("sales", 1, IVAN, "!sfile price")
    assert record.id in transport.last(IVAN).body
    core.operatorSaid("sales", 1, IVAN, f"!file {record.id}")
    assert transport.last(ALICE).body.endswith("/price-list.pdf")


def test_shared_dir_files_are_imported_once_and_bad_ones_left_out(files, tmp_path):
    core, clock, transport, store, blobs, _ = files
    (tmp_path / "terms.pdf").write_bytes(b"%PDF terms")
    (tmp_path / "huge.bin").write_bytes(b"x" * 6000)  # over max_upload_bytes
    (tmp_path / ".hidden").write_bytes(b"no")
    (tmp_path / "sub").mkdir()
    assert results(core.files.importShared(str(tmp_path), BOSS)) == 1
    assert results(core.files.importShared(str(tmp_path), BOSS)) == 0  # known already
    [shared] = results(store.findFiles(shared=True))
    assert shared.name == "terms.pdf" and shared.content_type == "application/pdf"
    assert results(core.files.importShared(str(tmp_path / "missing"), BOSS)) == 0


def test_the_file_commands_are_in_help_where_they_work(files):
    core, clock, transport, store, *_ = files
    active(core, transport)
    core.operatorSaid("sales", 1, IVAN, "!help")
    chat_help = transport.last(IVAN).body
    assert "!file" in chat_help and "!sfile" in chat_help and "!share" not in chat_help
    core.consoleSaid(BOSS, "!help")
    console_help = transport.last(BOSS).body
    assert "!sfile" in console_help and "!share" in console_help
    assert "!file " not in console_help.replace("!sfile", "")
    core.consoleSaid(IVAN, "!help")
    assert "!share" not in transport.last(IVAN).body  # admins only
    core.clientSaid("sales", ALICE, "!help")
    assert "!upload" in transport.last(ALICE).body
