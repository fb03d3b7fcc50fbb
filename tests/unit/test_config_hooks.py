"""[hooks] and [[webhooks]] (SPEC 13, 15): defaults, and every mistake named
by its key path."""
from __future__ import annotations

import pytest

from imsupport.config import parseConfig
from imsupport.configvalues import ConfigError
from imsupport.core.events import Webhook

BASE = '[service]\ndomain = "support.example.org"\n[xmpp]\nsecret = "s"\n'
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def hook(**fields: str) -> str:
    values = {"id": '"crm"', "url": '"https://crm.example.org/hooks"', "secret": f'"{SECRET}"',
              "events": '["chat.*", "file.stored"]', **fields}
    return "[[webhooks]]\n" + "".join(f"{k} = {v}\n" for k, v in values.items() if v)


class TestHooksConfig:
    def test_defaults(self) -> None:
        config = parseConfig(BASE)
        assert config.hooks.retry_delays == (5, 300, 1800, 7200, 18000, 36000)
        assert config.webhooks == ()

    def test_webhooks_and_delays(self) -> None:
        config = parseConfig(BASE + "[hooks]\nretry_delays = [0, 1.5, 1.5]\n" + hook()
                             + hook(id='"erp"', events='["*"]'))
        assert config.hooks.retry_delays == (0.0, 1.5, 1.5)
        assert config.webhooks == (
            Webhook("crm", "https://crm.example.org/hooks", SECRET, ("chat.*", "file.stored")),
            Webhook("erp", "https://crm.example.org/hooks", SECRET, ("*",)))

    @pytest.mark.parametrize(("text", "message"), [
        ("[hooks]\nretry_delays = [1, -2]\n",
         "hooks.retry_delays[1] must be a non-negative number of seconds, got -2"),
        ("[hooks]\nretry_delays = 5\n", "hooks.retry_delays must be a list of seconds, got 5"),
        ('[hooks]\nretry_delays = [true]\n', "hooks.retry_delays[0] must be a non-negative"),
        ("[hooks]\nretries = [5]\n", "unknown key hooks.retries"),
        (hook(url='"ftp://crm.example.org"'), "webhooks[0].url must be an http:// or https://"),
        (hook(url=""), "webhooks[0].url"),
        (hook(secret='"abc"'), "webhooks[0].secret must be a secret like whsec_<base64 key> "
                               "(value not shown)"),
        (hook(secret='"whsec_***"'), "webhooks[0].secret must be whsec_ followed by base64"),
        (hook(secret='"whsec_AAAA"'), "webhooks[0].secret must hold a key of at least 16"),
        (hook(events='["nope.*"]'), "webhooks[0].events[0] matches no event type"),
        (hook(events='["Chat.Queued"]'), "webhooks[0].events[0] must be an event type"),
        (hook(events="[]"), "webhooks[0].events must be a non-empty list"),
        (hook(id='"a b"'), "webhooks[0].id must be an id of letters"),
        (hook(colour='"red"'), "unknown key webhooks[0].colour"),
        (hook() + hook(url='"https://other.example.org"'),
         'webhooks[1].id "crm" is already used by webhooks[0]'),
    ])
    def test_mistakes_name_the_key(self, text: str, message: str) -> None:
        with pytest.raises(ConfigError) as caught:
            parseConfig(BASE + text, "/etc/imsupport/imsupport.toml")
        assert str(caught.value).startswith("/etc/imsupport/imsupport.toml: ")
        assert message in str(caught.value)
        assert "MfKQ9r8" not in str(caught.value) and "abc" not in str(caught.value)


def test_stats_answer_target() -> None:
    """[stats] answer_target (R-STAT-1): the SLA target, 60 s unless set."""
    assert parseConfig(BASE).stats.answer_target == 60.0
    assert parseConfig(BASE + "[stats]\nanswer_target = 30\n").stats.answer_target == 30.0
    for bad, message in [("0", "stats.answer_target must be a positive number"),
                         ('"soon"', "stats.answer_target must be a positive number"),
                         ("30\nsla = 1", "unknown key stats.sla")]:
        with pytest.raises(ConfigError, match=message):
            parseConfig(BASE + f"[stats]\nanswer_target = {bad}\n")
