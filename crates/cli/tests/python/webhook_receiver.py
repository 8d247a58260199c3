"""A webhook receiver, as a CRM would run one: checks each delivery's
HMAC-SHA256 signature and timestamp (401 when wrong), checks the headers
agree with the body, and appends what it took to a file, one JSON line
each. Run by crates/cli/tests/hooks.rs, which stops and restarts it.

Usage: webhook_receiver.py PORT SECRET OUT_FILE
"""

import hashlib
import hmac
import http.server
import json
import sys
import time

PORT, SECRET, OUT = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        stamp = self.headers.get("X-Hookswitch-Timestamp", "")
        sent = self.headers.get("X-Hookswitch-Signature", "")
        want = "sha256=" + hmac.new(SECRET, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sent) or abs(time.time() - int(stamp or 0)) > 300:
            self.answer(401)
            return
        event = json.loads(body)
        if (
            event["id"] != self.headers.get("X-Hookswitch-Delivery")
            or event["event"] != self.headers.get("X-Hookswitch-Event")
            or self.headers.get("Content-Type") != "application/json"
        ):
            self.answer(400)
            return
        with open(OUT, "a", encoding="utf-8") as f:
            f.write(json.dumps({"delivery": event["id"], "event": event}) + "\n")
        self.answer(200)

    def answer(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Server(http.server.HTTPServer):
    allow_reuse_address = True


server = Server(("127.0.0.1", PORT), Receiver)
print("listening", flush=True)
server.serve_forever()
