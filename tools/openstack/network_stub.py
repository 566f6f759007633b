"""A read-only stand-in for Neutron (catalog type "network"), for servers booted with "networks": "none".

usage: /usr/bin/python3 network_stub.py PORT

Nova 26 still asks Neutron for the ports of a server on every show, list and delete (GET
/v2.0/ports?device_id=...), and Heat lists its extensions. Every GET of a collection answers an empty list, of an
item 404; writes answer 501. Each request is logged on stderr, so the log shows what was asked.
"""
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

UUID = re.compile(r'^[0-9a-f-]{32,36}$')


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802  (http.server's naming)
        path = urlparse(self.path).path.rstrip('/')
        if path == '':
            link = {'rel': 'self', 'href': 'http://%s/v2.0/' % self.headers['Host']}
            return self.answer(200, {'versions': [{'id': 'v2.0', 'status': 'CURRENT', 'links': [link]}]})
        if path.endswith('/v2.0'):
            return self.answer(200, {'resources': []})
        name = path.split('/')[-1]
        if name.endswith('.json'):
            name = name[:-len('.json')]
        if UUID.match(name) or path.count('/') > 3:
            error = {'type': 'NotFound', 'message': 'network stub: %s not found' % path, 'detail': ''}
            return self.answer(404, {'NeutronError': error})
        return self.answer(200, {name.replace('-', '_'): []})

    def refuse(self):
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        error = {'type': 'NotImplemented', 'message': 'the network stub is read-only', 'detail': ''}
        self.answer(501, {'NeutronError': error})

    do_POST = do_PUT = do_PATCH = do_DELETE = refuse

    def log_message(self, format, *args):  # noqa: A002  (http.server's signature)
        sys.stderr.write('%s\n' % (format % args))
        sys.stderr.flush()


ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
