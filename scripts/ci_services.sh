#!/usr/bin/env bash
# Installs the servers the end-to-end tests (tests/e2e/) start for themselves, from Debian's packages:
# PostgreSQL (Airflow's metadata database in every e2e suite: one cluster per test session, one database
# per suite; tests/e2e/deployment.py), Redis (the Celery broker of tests/e2e/test_celery.py) and
# Chromium (the browser the UI test drives with Playwright; Playwright's own download cannot work offline).
#
# Idempotent and quick when both are there already. It never starts them as system services: the tests
# run their own instances, as unprivileged users, in temporary directories on free ports of 127.0.0.1.
set -euo pipefail

have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; }
have_redis() { command -v redis-server >/dev/null 2>&1; }
have_chromium() { [ -x /usr/bin/chromium ]; }

if have_postgres && have_redis && have_chromium; then
    echo "ci_services: postgresql, redis-server and chromium already installed"
    exit 0
fi

missing=()
have_postgres || missing+=(postgresql)
have_redis || missing+=(redis-server)
have_chromium || missing+=(chromium)

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
fi

# Keep package scripts from starting the services (the Docker convention: policy-rc.d says 101).
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    own_policy=1
fi
cleanup() {
    if [ "$own_policy" -eq 1 ]; then
        "${sudo[@]}" rm -f "$policy"
    fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
echo "ci_services: installing ${missing[*]}"
if ! "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/ci_services_apt.log 2>&1; then
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/ci_services_apt.log 2>&1 \
        || { tail -n 40 /tmp/ci_services_apt.log; exit 1; }
fi

# Debian's postgresql package creates a cluster and, where services run, starts it; stop anything
# that got started anyway so only the test's own instances listen.
if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _port status _rest; do
        if [ "$status" = "online" ]; then
            "${sudo[@]}" pg_ctlcluster "$version" "$cluster" stop || true
        fi
    done
fi

have_postgres && have_redis && have_chromium
echo "ci_services: installed ${missing[*]}"
