"""Both ways README.rst installs imsupport give a working ``twistd imsupport``.

``pip install /path/to/imsupport`` (a wheel: running it for real) and a plain
``pip install -e .`` (developers, scripts/setup.sh). Each goes into a fresh
virtualenv without pip or packages of its own: a ``.pth`` file there puts this
virtualenv's site-packages (Twisted, tx-xmpp, pip, setuptools) behind it, and pip
runs offline, without build isolation, on a copy of the project, so nothing is
written into the checkout. That site-packages holds no ``imsupport`` package
itself (only this checkout's own editable-install files, which a plain path in a
``.pth`` does not activate), so what the new virtualenv imports is what its own
install gave it; the tests check where ``imsupport`` came from.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
# What a build of the project reads (setup.cfg names README.rst).
_PROJECT = ("setup.py", "setup.cfg", "README.rst", "imsupport", "twisted")

_TWISTD = "import sys; from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; run()"
_WHERE = "import imsupport; print(imsupport.__file__)"


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)


def _virtualenv(tmp_path: Path) -> Path:
    """A virtualenv whose python sees this one's packages, returned as its python."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                tmp_path).stdout.strip()
    Path(site, "zz_imsupport_test_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


def _project(tmp_path: Path) -> Path:
    src = tmp_path / "imsupport-src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "dropin.cache")
    for name in _PROJECT:
        path = _ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    return src


def _install(tmp_path: Path, *how: str) -> tuple[Path, Path]:
    python, src = _virtualenv(tmp_path), _project(tmp_path)
    pip = _run([str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                "--no-index", *how, str(src)], tmp_path)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return python, src


def _assertTwistdImsupport(python: Path, cwd: Path) -> None:
    # Run where neither the checkout nor the copy is the current directory.
    result = _run([str(python), "-c", _TWISTD, "imsupport", "--help"], cwd)
    assert "Unknown command: imsupport" not in result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Usage: twistd [options] imsupport [--config FILE]" in result.stdout


def test_plain_editable_install_gives_twistd_imsupport(tmp_path: Path) -> None:
    python, src = _install(tmp_path, "-e")
    where = _run([str(python), "-c", _WHERE], tmp_path)
    assert where.stdout.strip() == str(src / "imsupport" / "__init__.py"), where.stderr
    _assertTwistdImsupport(python, tmp_path)


def test_wheel_install_gives_twistd_imsupport(tmp_path: Path) -> None:
    python, src = _install(tmp_path)
    shutil.rmtree(src)  # the installed copy must not need the source
    where = _run([str(python), "-c", _WHERE], tmp_path)
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                tmp_path).stdout.strip()
    assert where.stdout.strip() == str(Path(site, "imsupport", "__init__.py")), where.stderr
    assert Path(site, "twisted", "plugins", "imsupport_plugin.py").is_file()
    # the web pages' files and texts are package data (setup.cfg)
    for part in ("web/static/webchat.js", "web/static/widget.js", "web/static/webchat.css",
                 "locale/ru/webchat.toml"):
        assert Path(site, "imsupport", part).is_file(), part
    served = _run([str(python), "-c", "from imsupport.web.static import StaticFiles; "
                   "print(' '.join(sorted(StaticFiles().assets)))"], tmp_path)
    assert {"webchat.js", "widget.js", "redact.js"} <= set(served.stdout.split()), served.stderr
    _assertTwistdImsupport(python, tmp_path)
