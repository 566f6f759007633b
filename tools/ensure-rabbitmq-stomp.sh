#!/usr/bin/env bash
# Makes sure the notification tests have what they need, and fails loudly when it cannot:
#   - RabbitMQ answering on 127.0.0.1:5672 (started with `rabbitmq-server -detached` when down),
#   - its STOMP plugin enabled and listening on 127.0.0.1:61613,
#   - oslo.messaging for the system Python (/usr/bin/python3), from Debian's python3-oslo.messaging.
# Idempotent and quiet when everything is already there.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"

readonly PYTHON=/usr/bin/python3
readonly STOMP_PORT=61613
readonly AMQP_PORT=5672

fail() {
  echo "ensure-rabbitmq-stomp: $*" >&2
  exit 1
}

say() {
  echo "ensure-rabbitmq-stomp: $*" >&2
}

# True when something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp, no extra tools needed).
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1
}

wait_port() {
  local port=$1 seconds=$2
  for _ in $(seq 1 $((seconds * 4))); do
    if port_open "$port"; then return 0; fi
    sleep 0.25
  done
  return 1
}

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 && SUDO=(sudo -n)
fi

python_ready() {
  [[ -x "$PYTHON" ]] && "$PYTHON" -c 'import oslo_messaging' >/dev/null 2>&1
}

# Fast path: everything already there.
if port_open "$AMQP_PORT" && port_open "$STOMP_PORT" && python_ready; then
  exit 0
fi

# 1. The broker.
if ! command -v rabbitmqctl >/dev/null 2>&1; then
  apt_install ensure-rabbitmq-stomp rabbitmq-server
fi
if ! port_open "$AMQP_PORT"; then
  if "${SUDO[@]}" rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
    # The node runs but its application was stopped (rabbitmqctl stop_app).
    say "RabbitMQ's node is up but does not answer on 127.0.0.1:$AMQP_PORT; running rabbitmqctl start_app"
    "${SUDO[@]}" rabbitmqctl -q start_app >&2 || fail "'rabbitmqctl start_app' failed."
  else
    say "RabbitMQ does not answer on 127.0.0.1:$AMQP_PORT; starting it (rabbitmq-server -detached)"
    "${SUDO[@]}" rabbitmq-server -detached >&2 || fail "'rabbitmq-server -detached' failed."
  fi
  wait_port "$AMQP_PORT" 90 \
    || fail "RabbitMQ does not answer on 127.0.0.1:$AMQP_PORT (see 'rabbitmqctl status' and its logs)."
fi

# 2. The STOMP plugin.
if ! port_open "$STOMP_PORT"; then
  if ! "${SUDO[@]}" rabbitmq-plugins -q is_enabled rabbitmq_stomp >/dev/null 2>&1; then
    say "enabling RabbitMQ's STOMP plugin (rabbitmq-plugins enable rabbitmq_stomp)"
    "${SUDO[@]}" rabbitmq-plugins -q enable rabbitmq_stomp >&2 \
      || fail "'rabbitmq-plugins enable rabbitmq_stomp' failed."
  fi
  wait_port "$STOMP_PORT" 60 \
    || fail "rabbitmq_stomp is enabled but nothing listens on 127.0.0.1:$STOMP_PORT (check stomp.listeners in rabbitmq.conf)."
fi

# 3. oslo.messaging for the system Python: the real notification listener the tests receive with.
if ! python_ready; then
  apt_install ensure-rabbitmq-stomp python3-oslo.messaging
  python_ready \
    || fail "python3-oslo.messaging installed, but $PYTHON still cannot import oslo_messaging."
fi
exit 0
