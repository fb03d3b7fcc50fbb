import re

import pytest

from imsupport.core.i18n import Translator, formatDuration, loadCatalogs


def test_every_language_has_every_message_with_the_same_fields():
    catalogs = loadCatalogs()
    assert {"en", "ru"} <= set(catalogs)
    fields = re.compile(r"{(\w+)}")
    for lang, catalog in catalogs.items():
        assert set(catalog) == set(catalogs["en"]), lang
        for key, text in catalog.items():
            assert set(fields.findall(text)) == set(fields.findall(catalogs["en"][key])), \
                (lang, key)


@pytest.mark.parametrize("languages, expected", [
    (["ru", "en"], "ru"), (["de", "ru"], "ru"), (["pt-BR"], "en"), ([], "en"), (["RU"], "ru")])
def test_first_known_language_wins(languages, expected):
    assert Translator(default="en").language(languages) == expected


def test_default_language_of_the_service():
    assert Translator(default="ru").language(["de"]) == "ru"


@pytest.mark.parametrize("seconds, text", [(0, "0:00"), (42, "0:42"), (725, "12:05"),
                                           (3723, "1:02:03"), (-5, "0:00")])
def test_durations(seconds, text):
    assert formatDuration(seconds) == text
