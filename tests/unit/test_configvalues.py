"""
The readers the configuration loader is built from: ``Table.fields`` and
``Table.build`` take every missing key's default from the dataclass field it
fills, so that a default is written in one place only.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import imsupport.configvalues as configvalues
from imsupport.configvalues import (
    REQUIRED,
    ConfigError,
    Table,
    fieldDefault,
    listOf,
    nonEmpty,
    positive,
)


@dataclass(frozen=True)
class Double:
    name: str
    size: int = 3
    tags: tuple[str, ...] = ("a",)
    extra: list[str] = field(default_factory=lambda: ["fresh"])


@dataclass(frozen=True)
class Bigger(Double):
    size: int = 30  # the same key, another default


def table(**data: object) -> Table:
    return Table("x.toml", "part", dict(data))


CHECKS = {"name": nonEmpty, "size": positive, "tags": listOf(nonEmpty),
          "extra": listOf(nonEmpty)}


def test_missingKeysTakeTheFieldDefaults() -> None:
    assert table(name="n").fields(Double, **CHECKS) == {
        "name": "n", "size": 3, "tags": ("a",), "extra": ["fresh"]}
    assert table(name="n").fields(Bigger, **CHECKS)["size"] == 30
    assert table(name="n", size=5).fields(Double, **CHECKS)["size"] == 5


def test_aDefaultFactoryGivesAFreshValueEachTime() -> None:
    first, second = fieldDefault(Double, "extra"), fieldDefault(Double, "extra")
    assert first == second == ["fresh"] and first is not second


def test_aFieldWithoutADefaultIsRequired() -> None:
    assert fieldDefault(Double, "name") is REQUIRED
    with pytest.raises(ConfigError, match=r'^x\.toml: part\.name is required \(is "nmae" a '
                                          r'misspelling\?\)$'):
        table(nmae="n").fields(Double, **CHECKS)


def test_givenDefaultsWinOverTheFieldsAndRequiredMakesAKeyRequired() -> None:
    assert table(name="n").fields(Double, {"size": 9}, **CHECKS)["size"] == 9
    with pytest.raises(ConfigError, match=r"^x\.toml: part\.size is required$"):
        table(name="n").fields(Double, {"size": REQUIRED}, **CHECKS)


def test_keysAreReadInTheOrderGivenAndErrorsNameThem() -> None:
    with pytest.raises(ConfigError, match=r"^x\.toml: part\.size must be a positive integer"):
        table(name="", size=0).fields(Double, size=positive, name=nonEmpty)
    with pytest.raises(ConfigError, match=r'^x\.toml: part\.tags\[1\] must be a non-empty'):
        table(name="n", tags=["a", ""]).fields(Double, **CHECKS)


def test_aKeyThatIsNoFieldIsAProgrammingError() -> None:
    with pytest.raises(TypeError, match="Double has no field 'colour'"):
        table().fields(Double, colour=nonEmpty)


def test_buildMakesTheDataclassAndFinishesTheTable() -> None:
    assert table(name="n").build(Double, **CHECKS) == Double("n")
    with pytest.raises(ConfigError, match=r'^x\.toml: unknown key part\.sise '
                                          r'\(did you mean "size"\?\)$'):
        table(name="n", sise=4).build(Double, **CHECKS)


def test_theReadersArePublic() -> None:
    assert configvalues.__all__ and all(not n.startswith("_") for n in configvalues.__all__)
    for name in configvalues.__all__:
        assert hasattr(configvalues, name), name


def test_theConfigModulesUseOnlyPublicReaders() -> None:
    package = Path(configvalues.__file__).parent
    for module in ("config.py", "configdirectory.py"):
        tree = ast.parse((package / module).read_text(encoding="utf-8"))
        used = [a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "imsupport.configvalues" for a in node.names]
        assert used, module
        assert [n for n in used if n not in configvalues.__all__] == [], module
