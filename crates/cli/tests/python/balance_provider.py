"""A prepaid provider's balance page, run by crates/cli/tests/balance.rs.
What it answers is in MODE_FILE, read at each request: `json AMOUNT`,
`xml AMOUNT`, `error` (503) or `slow` (answers after 5 s). The `key`
parameter must be the account's password (401 otherwise).

Usage: balance_provider.py PORT PASSWORD MODE_FILE
"""

import http.server
import sys
import time
import urllib.parse

PORT, PASSWORD, MODE = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Provider(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if query.get("key") != [PASSWORD]:
            self.answer(401, "text/plain", b"bad key")
            return
        with open(MODE, encoding="utf-8") as f:
            mode = f.read().split()
        if mode[0] == "json":
            body = ('{"data": {"credit": "%s", "currency": "EUR"}}' % mode[1]).encode()
            self.answer(200, "application/json", body)
        elif mode[0] == "xml":
            body = ('<?xml version="1.0"?><balance><credit>%s</credit></balance>' % mode[1]).encode()
            self.answer(200, "application/xml", body)
        elif mode[0] == "slow":
            time.sleep(5)
            self.answer(200, "application/json", b'{"data": {"credit": "1"}}')
        else:
            self.answer(503, "text/plain", b"maintenance")

    def answer(self, status, kind, body):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except BrokenPipeError:
            pass

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", PORT), Provider).serve_forever() if print("listening", flush=True) is None else None
