"""ApiSide.invoke: an operation called in-process (the admin pages) is
validated and answered as over HTTP, without a token."""
from __future__ import annotations

import pytest
import pytest_twisted

from imsupport.web.api.errors import ApiError
from tests.unit.fakes import ALICE
from tests.web.apifakes import Api


@pytest_twisted.ensureDeferred
async def test_invoke_answers_as_the_route_does():
    api = Api()
    api.core.clientSaid("sales", ALICE, "hi")
    found = await api.api.invoke("listChats", query={"client": ALICE, "limit": "5"})
    assert [c["id"] for c in found["items"]] == [1]
    chat = await api.api.invoke("getChat", {"id": "1"})
    assert chat["client"] == ALICE and chat["events"]


@pytest_twisted.ensureDeferred
async def test_invoke_validates_parameters_and_bodies_like_http():
    api = Api()
    with pytest.raises(ApiError) as caught:
        await api.api.invoke("listChats", query={"limit": "0"})
    assert caught.value.status == 400 and caught.value.message.startswith("limit:")
    with pytest.raises(ApiError) as caught:
        await api.api.invoke("putOperator", {"jid": "nina@shop.test"}, body={"colour": "red"})
    assert caught.value.status == 400 and "colour" in caught.value.message
    with pytest.raises(ApiError) as caught:
        await api.api.invoke("getChat", {"id": "7"})
    assert caught.value.status == 404
    answer = await api.api.invoke("switch", body={"target": {"service": True}, "on": False})
    assert answer == {"changed": True, "target": "service"}
