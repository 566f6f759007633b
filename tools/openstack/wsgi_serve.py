"""Serves an OpenStack WSGI application on 127.0.0.1:PORT from one process with a thread per request.

usage: /usr/bin/python3 wsgi_serve.py PORT module:factory [ARG...]

The *-wsgi scripts of the Debian packages serve with single-threaded wsgiref; Keystone, Placement and the Nova
API need no more than threads here. The application is imported before wsgiref and socketserver because
nova.api.openstack monkey-patches with eventlet on import, and they must see the patched modules. The ARGs are left in sys.argv for the factory (cinder's reads --config-file).
"""
import importlib
import sys

PORT = int(sys.argv[1])
MODULE, FACTORY = sys.argv[2].split(':')
sys.argv = sys.argv[:1] + sys.argv[3:]
APP = getattr(importlib.import_module(MODULE), FACTORY)()

import socketserver  # noqa: E402  (after the application, see above)
from wsgiref import simple_server  # noqa: E402


class ThreadingServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class OneLineHandler(simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002  (wsgiref's signature)
        sys.stderr.write('%s\n' % (format % args))


simple_server.make_server('127.0.0.1', PORT, APP, ThreadingServer, OneLineHandler).serve_forever()
