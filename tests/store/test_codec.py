"""
The codec every store shares: whatever the directory and chat records hold,
what is loaded equals what was stored (tuples stay tuples).
"""
from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from imsupport.core.model import (
    ChatEvent,
    ChatRecord,
    FaqEntry,
    FileRecord,
    Group,
    Node,
    Operator,
)
from imsupport.store import codec

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
texts = st.lists(text, max_size=4).map(tuple)
optionalText = st.none() | text
seconds = st.floats(min_value=0, max_value=4e9, allow_nan=False)
jsonValue = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.floats(allow_nan=False,
                                                                       allow_infinity=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=10)

operators = st.builds(Operator, jid=text, name=text, languages=texts, max_chats=st.integers(0, 99),
                      schedule=optionalText, timezone=text, exceptions=texts)
groups = st.builds(Group, name=text, operators=texts, wave=st.integers(1, 9), auto=st.booleans(),
                   escalate_after=st.integers(0, 9999), max_declines=st.integers(0, 9))
nodes = st.builds(Node, name=text, title=text, languages=texts, schedule=optionalText,
                  exceptions=texts, active_from=optionalText, active_until=optionalText,
                  groups=st.lists(groups, max_size=3).map(tuple))
faqs = st.builds(FaqEntry, id=text, question=text, answer=text, tags=texts)


@given(operators)
def test_operator_round_trip(operator: Operator) -> None:
    assert codec.operatorFromJson(codec.itemToJson(operator)) == operator


@given(nodes)
def test_node_round_trip(node: Node) -> None:
    loaded = codec.nodeFromJson(codec.itemToJson(node))
    assert loaded == node
    assert all(isinstance(g, Group) for g in loaded.groups)


@given(faqs)
def test_faq_round_trip(entry: FaqEntry) -> None:
    assert codec.faqFromJson(json.loads(codec.itemToJson(entry))) == entry  # jsonb comes parsed


@given(st.builds(ChatRecord, id=st.integers(1, 2**62), node=text, client=text, state=text,
                 languages=texts, operators=texts, created_at=seconds,
                 accepted_at=st.none() | seconds, closed_at=st.none() | seconds,
                 close_reason=optionalText, first_line=text))
def test_chat_round_trip(record: ChatRecord) -> None:
    assert codec.chatFromRow(codec.chatToRow(record)) == record


@given(st.builds(ChatEvent, chat_id=st.integers(1, 2**62), seq=st.integers(1, 2**31 - 1),
                 at=seconds, kind=text, author=text, text=text,
                 data=st.dictionaries(text, jsonValue, max_size=4)))
def test_event_round_trip(event: ChatEvent) -> None:
    assert codec.eventFromRow(codec.eventToRow(event)) == event


@given(st.builds(FileRecord, id=st.text("abcdefghijkmnpqrstuvwxyz23456789", min_size=1,
                                        max_size=8),
                 token=text, name=text, size=st.integers(0, 2**62), content_type=text,
                 digest=st.text("0123456789abcdef", min_size=64, max_size=64),
                 created_at=seconds, uploader=text, client=optionalText,
                 chat_id=st.none() | st.integers(1, 2**62), shared=st.booleans(), source=text))
def test_file_round_trip(record: FileRecord) -> None:
    assert codec.fileFromRow(codec.fileToRow(record)) == record


def test_file_ids_are_kept_lower_case() -> None:
    row = codec.fileToRow(FileRecord(id="AbC2", token="T", name="N", size=1, content_type="x/y",
                                     digest="d", created_at=1.0, uploader="u"))
    assert row[0] == "abc2" and row[1] == "T" and row[2] == "N"


def test_unknown_keys_from_an_older_schema_are_ignored() -> None:
    stored = '{"jid": "a@x", "name": "A", "languages": ["ru"], "retired_field": 1}'
    assert codec.operatorFromJson(stored) == Operator(jid="a@x", name="A", languages=("ru",))
