"""The twistd plugin's options and the service tree, without opening ports."""
from __future__ import annotations

import pytest
from twisted.internet.testing import MemoryReactorClock
from twisted.python import usage

from imsupport import tap
from imsupport.runner import ImsupportService

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
