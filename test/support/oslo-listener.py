"""A real oslo.messaging notification listener, as Ceilometer's notification agent runs one.

Run with the system Python (Debian's python3-oslo.messaging):

    /usr/bin/python3 test/support/oslo-listener.py --exchange climate --topic notifications

It listens on Target(topic=<topic>, exchange=<exchange>) with the threading executor and writes one JSON
line per notification received to stdout:

    {"priority": "INFO", "publisher_id": ..., "event_type": ..., "payload": {...}, "metadata": {...}}

Its first line is {"ready": true}, written once the exchange, the queues and their bindings exist (the
listener declares them, as every oslo.messaging consumer does). It stops when its standard input closes
or on SIGTERM/SIGINT; with --cleanup it then deletes its queues (<topic>.<priority>) and the exchange so a
test leaves nothing on the broker.
"""

import argparse
import json
import signal
import sys
import threading

import oslo_messaging
from oslo_config import cfg

PRIORITIES = ('audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample')
_out_lock = threading.Lock()


def emit(record):
    with _out_lock:
        sys.stdout.write(json.dumps(record, sort_keys=True) + '\n')
        sys.stdout.flush()


class Endpoint(object):
    """One method per priority: oslo.messaging binds a queue for each priority an endpoint handles."""


def _make_handler(priority):
    def handler(self, ctxt, publisher_id, event_type, payload, metadata):
        emit({
            'priority': priority.upper(),
            'publisher_id': publisher_id,
            'event_type': event_type,
            'payload': payload,
            'metadata': metadata,
        })
        return oslo_messaging.NotificationResult.HANDLED
    return handler


for _priority in PRIORITIES:
    setattr(Endpoint, _priority, _make_handler(_priority))


def cleanup(url, exchange, topic):
    """Deletes the queues and the exchange this listener declared (kombu ships with oslo.messaging)."""
    import kombu
    amqp_url = url.replace('rabbit://', 'amqp://', 1)
    with kombu.Connection(amqp_url, connect_timeout=5) as conn:
        channel = conn.channel()
        for priority in PRIORITIES:
            try:
                channel.queue_delete('%s.%s' % (topic, priority))
            except Exception:  # noqa: BLE001 - best effort; a later delete on a closed channel fails too
                channel = conn.channel()
        try:
            channel.exchange_delete(exchange)
        except Exception:  # noqa: BLE001
            pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--url', default='rabbit://guest:guest@127.0.0.1:5672/')
    parser.add_argument('--exchange', default='climate')
    parser.add_argument('--topic', default='notifications')
    parser.add_argument('--durable', action='store_true',
                        help='declare a durable exchange and durable queues (amqp_durable_queues = true)')
    parser.add_argument('--cleanup', action='store_true',
                        help='delete the queues and the exchange when stopping')
    args = parser.parse_args()

    conf = cfg.ConfigOpts()
    conf([], project='climate-test-listener')
    transport = oslo_messaging.get_notification_transport(conf, url=args.url)
    if args.durable:
        conf.set_override('amqp_durable_queues', True, group='oslo_messaging_rabbit')
    # Tests stop and start the broker: come back within a couple of seconds (the default backs off to 30 s).
    conf.set_override('rabbit_retry_interval', 1, group='oslo_messaging_rabbit')
    conf.set_override('rabbit_retry_backoff', 1, group='oslo_messaging_rabbit')
    conf.set_override('rabbit_interval_max', 2, group='oslo_messaging_rabbit')
    targets = [oslo_messaging.Target(topic=args.topic, exchange=args.exchange)]
    listener = oslo_messaging.get_notification_listener(
        transport, targets, [Endpoint()], executor='threading')
    # One worker thread, so that the lines come out in the order the broker delivered the messages (with the
    # default pool of threads a burst of notifications would be handled, and printed, in any order).
    conf.set_override('executor_thread_pool_size', 1)

    stopped = threading.Event()

    def stop(*_):
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watch_stdin():
        # The test holds our stdin open; when it closes (the test ended, or died) we stop too.
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            stopped.set()

    threading.Thread(target=watch_stdin, daemon=True).start()

    listener.start()
    emit({'ready': True})
    stopped.wait()
    listener.stop()
    listener.wait()
    transport.cleanup()
    if args.cleanup:
        cleanup(args.url, args.exchange, args.topic)
    return 0


if __name__ == '__main__':
    sys.exit(main())
