# Shared by tests/run and deploy/local/*: make sure the services Tongxin needs are present and
# running on 127.0.0.1, installing Debian packages where they are missing. Say what is done.

_apt_updated=""
apt_install() {
  if [ -z "$_apt_updated" ]; then
    echo "-- apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    _apt_updated=1
  fi
  echo "-- installing $* (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_build_deps() {
  local missing=()
  # openssl (the command) and iproute2 (ss): broker-config/tls-broker, used by the TLS and
  # federation tests.
  for pkg in pkg-config libssl-dev libpq-dev openssl iproute2; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
  command -v cargo >/dev/null || { echo "cargo is not installed: install Rust (rustup) first" >&2; exit 1; }
}

ensure_rabbitmq_package() {
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
}

rabbit_up() { rabbitmqctl -q status >/dev/null 2>&1; }

ensure_rabbitmq() {
  if ! command -v rabbitmq-server >/dev/null; then apt_install rabbitmq-server; fi
  if ! rabbit_up; then
    echo "-- starting RabbitMQ (rabbitmq-server -detached)"
    rabbitmq-server -detached >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do rabbit_up && break; sleep 1; done
    rabbit_up || { echo "RabbitMQ did not start; see /var/log/rabbitmq" >&2; exit 1; }
  fi
  echo "-- RabbitMQ $(rabbitmqctl -q version 2>/dev/null) is running"
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

ensure_postgres() {
  if ! command -v pg_ctlcluster >/dev/null; then apt_install postgresql; fi
  if ! pg_up; then
    local ver
    ver=$(ls /etc/postgresql | sort -V | tail -1)
    echo "-- starting PostgreSQL $ver (pg_ctlcluster $ver main start)"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || pg_ctlcluster "$ver" main start
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
    pg_up || { echo "PostgreSQL did not start" >&2; exit 1; }
  fi
  # Tests connect as postgres over TCP without a password, as on the CI machines.
  if ! psql -h 127.0.0.1 -U postgres -w -c 'select 1' postgres >/dev/null 2>&1; then
    echo "-- PostgreSQL does not accept user postgres on 127.0.0.1 without a password;" \
         "set 'host all all 127.0.0.1/32 trust' in pg_hba.conf for the test cluster" >&2
    exit 1
  fi
  echo "-- PostgreSQL is running on 127.0.0.1:5432"
}

ensure_pyjwt() {
  # schema/vectors/check_with_pyjwt.py: PyJWT, cryptography, and jsonschema >= 4 for the
  # 2020-12 schemas of schema/json/ (Debian 12 ships 4.10). pip only where Debian has no package.
  /usr/bin/python3 -c 'import jwt, cryptography, jsonschema; jsonschema.Draft202012Validator' \
    2>/dev/null && return
  apt_install python3-jwt python3-cryptography
  if apt-cache show python3-jsonschema >/dev/null 2>&1; then
    apt_install python3-jsonschema
  fi
  /usr/bin/python3 -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null ||
    { echo "-- installing jsonschema (pip)"; /usr/bin/python3 -m pip install -q 'jsonschema>=4'; }
}

ensure_chromium() {
  # The web UI test renders pages in a real headless browser; a Chinese font, so that its
  # pages (and screenshots taken for review) show characters rather than boxes.
  command -v chromium >/dev/null || apt_install chromium
  # The sign-in test drives it through WebDriver (fantoccini → chromedriver).
  command -v chromedriver >/dev/null || apt_install chromium-driver
  [ -d /usr/share/fonts/truetype/wqy ] || apt_install fonts-wqy-microhei
}
