"""The twistd plugin's options and the service tree, without opening ports."""
from __future__ import annotations

from dataclasses import replace

import pytest
import twisted.internet
from twisted.internet.defer import fail
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import Logger
from twisted.python import usage

from imsupport import runner, tap
from imsupport.config import FiltersConfig
from imsupport.runner import ImsupportService
from imsupport.store.interfaces import StoreUnavailable

CONFIG = """
[service]
domain = "support.shop.test"
[xmpp]
secret = "s"
port = 5999
[storage]
url = "memory:"
[web]
endpoint = "tcp:0:interface=127.0.0.1"
[[operators]]
jid = "ivan@shop.test"
[[nodes]]
name = "sales"
  [[nodes.groups]]
  name = "first"
  operators = ["ivan@shop.test"]
"""


def options(tmp_path, text=CONFIG):
    path = tmp_path / "imsupport.toml"
    path.write_text(text)
    opts = tap.Options()
    opts.parseOptions(["--config", str(path)])
    return opts


def test_options_load_the_config(tmp_path):
    opts = options(tmp_path)
    assert opts["loaded"].service.domain == "support.shop.test"


def test_bad_config_is_a_usage_error_naming_the_key(tmp_path):
    with pytest.raises(usage.UsageError, match=r"nodes\[0\]\.ring"):
        options(tmp_path, CONFIG.replace('name = "sales"', 'name = "sales"\nring = "random"'))


def test_missing_config_file(tmp_path):
    opts = tap.Options()
    with pytest.raises(usage.UsageError, match="nothere.toml"):
        opts.parseOptions(["--config", str(tmp_path / "nothere.toml")])


def test_service_tree_starts_on_a_memory_reactor(tmp_path):
    reactor = MemoryReactorClock()
    service = ImsupportService(options(tmp_path)["loaded"], reactor)
    service.startService()
    assert service.store_ready and service.core is not None
    assert [port[0] for port in reactor.tcpServers] == [0]
    assert reactor.tcpClients and reactor.tcpClients[0][:2] == ("127.0.0.1", 5999)
    assert service.core.hasNode("sales") and service.core.isOperator("ivan@shop.test")
    service.stopService()


def test_a_bad_word_list_is_a_usage_error(tmp_path):
    words = tmp_path / "extra.txt"
    words.write_text("[unclosed\n")
    with pytest.raises(usage.UsageError, match="extra.txt"):
        options(tmp_path, CONFIG + f'\n[filters]\nprofanity_files = ["{words}"]\n')


FILTERS = """
[filters]
internal_domains = ["corp.shop.test"]
profanity_allow = ["Dick"]
"""


def counting(monkeypatch):
    """Every MessageFilter made from a config, through FiltersConfig.build."""
    built = []
    original = FiltersConfig.build

    def build(self):
        built.append(original(self))
        return built[-1]
    monkeypatch.setattr(FiltersConfig, "build", build)
    return built


def test_the_message_filter_is_built_once_from_the_filters_table(tmp_path, monkeypatch):
    built = counting(monkeypatch)
    monkeypatch.setattr(twisted.internet, "reactor", MemoryReactorClock(), raising=False)
    opts = options(tmp_path, CONFIG + FILTERS)
    service = tap.makeService(opts)
    assert len(built) == 1 and service.filters is built[0] is opts["filters"]
    assert [f.kind for f in service.filters.check("see https://wiki.corp.shop.test/x")] == [
        "internal_link"]
    assert service.filters.check("Dick called") == []
    assert FiltersConfig().build().check("Dick called") != []  # allowed by the table only


def test_the_service_builds_the_filter_the_same_way_when_given_none(tmp_path, monkeypatch):
    built = counting(monkeypatch)
    service = ImsupportService(options(tmp_path, CONFIG + FILTERS)["loaded"],
                               MemoryReactorClock())
    assert len(built) == 2 and service.filters is built[1]  # the tap's, and the service's


class UnopenableStore:
    kind = "test"

    def open(self):
        return fail(StoreUnavailable("the test keeps it shut"))


def test_a_store_that_cannot_open_is_logged_without_its_password(tmp_path, monkeypatch):
    events = []
    monkeypatch.setattr(runner, "log", Logger(observer=events.append))
    config = options(tmp_path)["loaded"]
    url = "postgresql://imsupport:p@ss@db.shop.test:5432/support"
    service = ImsupportService(replace(config, storage=replace(config.storage, url=url)),
                               MemoryReactorClock())
    service.store = UnopenableStore()
    service.startService()
    assert [e["url"] for e in events] == ["postgresql://imsupport@db.shop.test:5432/support"]
    service.stopService()
    service.reactor.advance(runner.STORE_RETRY)  # the retry loop sees it stopped
    assert len(events) == 1 and service.reactor.getDelayedCalls() == []
