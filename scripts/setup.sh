# Shared set-up, sourced by scripts/test, scripts/demo and scripts/bench.
#
# On a fresh Debian 12 machine (as root) it installs what they need
# (Prosody; ejabberd when IMSUPPORT_SETUP_EJABBERD=1 and Chromium when
# IMSUPPORT_SETUP_CHROMIUM=1, as scripts/test sets;
# PostgreSQL unless one already listens on 127.0.0.1:5432 or
# IMSUPPORT_SETUP_PG=0; python3-venv), makes sure Debian's own Prosody and
# ejabberd services are not running, and prepares a virtualenv in .venv with
# `pip install -e '.[test]'` (the test extra brings ruff and mypy too). Every
# step is idempotent; apt and pip output goes to $SETUP_LOG.
#
# Environment: PYTHON (interpreter for the venv, default python3, must be
# >= 3.11), SETUP_LOG, IMSUPPORT_SETUP_PG (1 = make sure PostgreSQL runs,
# the default), IMSUPPORT_SETUP_EJABBERD (1 = install ejabberd; default 0),
# IMSUPPORT_SETUP_CHROMIUM (1 = install chromium; default 0),
# IMSUPPORT_TEST_PG (exported; default
# postgresql://postgres:postgres@127.0.0.1:5432/test).

SETUP_LOG=${SETUP_LOG:-${TMPDIR:-/tmp}/imsupport-test-setup.log}
VENV=.venv
: >"$SETUP_LOG"

SETUP_NAME=${SETUP_NAME:-setup}
trap 'printf "[%s] ERROR: set-up failed at line %s (log: %s)\n" "$SETUP_NAME" "$LINENO" "$SETUP_LOG" >&2' ERR
step() { printf '[%s] %s\n' "$SETUP_NAME" "$*"; }
fail() { printf '[%s] ERROR: %s (log: %s)\n' "$SETUP_NAME" "$*" "$SETUP_LOG" >&2; tail -n 30 "$SETUP_LOG" >&2 || true; exit 2; }
is_root() { [ "$(id -u)" = 0 ]; }
have() { command -v "$1" >/dev/null 2>&1; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

APT_UPDATED=
apt_install() {
    # apt_install PKG...: install the named Debian packages, updating the lists once if needed.
    have apt-get || fail "need $* but this is not a Debian-like system; install them by hand"
    is_root || fail "need $* installed; run as root or: sudo apt-get install $*"
    if [ -z "$APT_UPDATED" ]; then
        local pkg
        for pkg in "$@"; do
            if ! apt-cache policy "$pkg" 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null; then
                step "apt-get update"
                apt-get update >>"$SETUP_LOG" 2>&1 || fail "apt-get update failed"
                APT_UPDATED=1
                break
            fi
        done
    fi
    step "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" </dev/null >>"$SETUP_LOG" 2>&1 \
        || fail "apt-get install $* failed"
}

# -- Prosody ------------------------------------------------------------------
if [ ! -x /usr/bin/prosody ] || ! have prosodyctl; then
    apt_install prosody
fi
# The tests run their own Prosody on free loopback ports; Debian's service (which
# apt may have started) would only hold 5222/5269/5347 and confuse debugging.
if [ -f /run/prosody/prosody.pid ] && kill -0 "$(cat /run/prosody/prosody.pid)" 2>/dev/null; then
    step "stopping Debian's prosody service"
    if is_root; then
        service prosody stop >>"$SETUP_LOG" 2>&1 || kill "$(cat /run/prosody/prosody.pid)" 2>/dev/null || true
    fi
fi

# -- Chromium -----------------------------------------------------------------
# tests/browser/ drive Debian's chromium through Playwright (executable_path,
# so Playwright downloads no browser of its own).
if [ "${IMSUPPORT_SETUP_CHROMIUM:-0}" = 1 ] && [ ! -x /usr/bin/chromium ]; then
    apt_install chromium
fi

# -- ejabberd -----------------------------------------------------------------
# tests/e2e/ejabberd.py runs its own ejabberd (as the ejabberd user, in a
# temporary directory, on free loopback ports, without epmd). Debian's
# service, which apt may have started, would hold 5222/5269/5280 and confuse
# debugging; it runs with the pidfile below (/etc/ejabberd/ejabberdctl.cfg).
if [ "${IMSUPPORT_SETUP_EJABBERD:-0}" = 1 ]; then
    if [ ! -x /usr/sbin/ejabberdctl ]; then
        apt_install ejabberd
    fi
    EJABBERD_PID=/run/ejabberd/ejabberd.pid
    ejabberd_running() { [ -f "$EJABBERD_PID" ] && kill -0 "$(cat "$EJABBERD_PID")" 2>/dev/null; }
    if ejabberd_running; then
        step "stopping Debian's ejabberd service"
        if is_root; then
            # The init script says "done" even when its ejabberdctl did not stop it.
            service ejabberd stop >>"$SETUP_LOG" 2>&1 || true
            ! ejabberd_running || kill "$(cat "$EJABBERD_PID")" 2>/dev/null || true
        fi
    fi
fi

# -- PostgreSQL ---------------------------------------------------------------
if [ "${IMSUPPORT_SETUP_PG:-1}" = 1 ]; then
if ! listening 5432; then
    if ! have pg_ctlcluster || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
        apt_install postgresql
    fi
    if is_root && have pg_ctlcluster; then
        PG_VERSION=$(ls /etc/postgresql | sort -V | tail -n 1)
        step "starting PostgreSQL $PG_VERSION/main"
        pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start >>"$SETUP_LOG" 2>&1 || true
        for _ in $(seq 50); do listening 5432 && break; sleep 0.2; done
    fi
    listening 5432 || step "WARNING: PostgreSQL is not listening on 127.0.0.1:5432; its tests will fail"
fi
export IMSUPPORT_TEST_PG=${IMSUPPORT_TEST_PG:-postgresql://postgres:postgres@127.0.0.1:5432/test}
if listening 5432 && have psql && ! psql "$IMSUPPORT_TEST_PG" -Atqc 'select 1' >/dev/null 2>&1; then
    # Fresh Debian: the postgres role has no password and TCP asks for one.
    if is_root && have runuser; then
        step "preparing PostgreSQL role postgres and database test"
        runuser -u postgres -- psql -q -c "ALTER ROLE postgres PASSWORD 'postgres'" >>"$SETUP_LOG" 2>&1 || true
        if ! runuser -u postgres -- psql -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>>"$SETUP_LOG" | grep 1 >/dev/null; then
            runuser -u postgres -- createdb test >>"$SETUP_LOG" 2>&1 || true
        fi
    fi
    psql "$IMSUPPORT_TEST_PG" -Atqc 'select 1' >/dev/null 2>&1 \
        || step "WARNING: cannot log in to $IMSUPPORT_TEST_PG; PostgreSQL tests will fail"
fi
fi

# -- Python virtualenv --------------------------------------------------------
PYTHON=${PYTHON:-python3}
have "$PYTHON" || PYTHON=/usr/bin/python3
if ! "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    [ -x /usr/bin/python3 ] || apt_install python3
    PYTHON=/usr/bin/python3
fi
if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    step "removing broken $VENV"
    rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        if [ "$PYTHON" = /usr/bin/python3 ] || [ "$(readlink -f "$(command -v "$PYTHON")")" = "$(readlink -f /usr/bin/python3)" ]; then
            apt_install python3-venv
        else
            step "$PYTHON has no venv module; using /usr/bin/python3"
            PYTHON=/usr/bin/python3
            "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
        fi
    fi
    step "creating $VENV with $("$PYTHON" --version 2>&1)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" >>"$SETUP_LOG" 2>&1 || fail "python -m venv failed"
fi

# pip only when the packaging metadata changed since the last successful install.
# A plain editable install: setup.cfg's package_dir makes it put the checkout on
# sys.path (a .pth line), where Twisted's plugin scan finds
# twisted/plugins/imsupport_plugin.py (tests/e2e/test_install.py).
PIP_EDITABLE=(-e '.[test]')
STAMP="$VENV/.imsupport-installed"
WANT=$( { echo "${PIP_EDITABLE[*]}"; cat setup.cfg setup.py pyproject.toml 2>/dev/null || true; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ] || ! "$VENV/bin/python" -c 'import imsupport, pytest, slixmpp, mypy_zope, playwright' 2>/dev/null \
        || [ ! -x "$VENV/bin/ruff" ]; then
    step "pip install -e '.[test]'"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PIP_EDITABLE[@]}" >>"$SETUP_LOG" 2>&1 \
        || fail "pip install -e '.[test]' failed"
    echo "$WANT" >"$STAMP"
fi
trap - ERR
