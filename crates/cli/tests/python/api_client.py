"""A CRM-style client of the Hookswitch API, run by crates/cli/tests/api.rs.

It follows the phone's events over a WebSocket and over Server-Sent Events,
prints READY once both streams have their snapshot (the test then has sipp
call the phone), answers the ringing call through the API, works the call
(mute, volume, DTMF, stats), hangs it up, and checks that both streams saw
incoming_call, established and ended for it, in that order. Then it walks
the other routes. Any failure exits 1 with what was wrong.

Environment: HOOKSWITCH_API (http://127.0.0.1:PORT), HOOKSWITCH_TOKEN,
MESSAGE_TARGET (a SIP URI that accepts MESSAGE).
"""

import asyncio
import json
import os
import re
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

import websockets

API = os.environ["HOOKSWITCH_API"]
TOKEN = os.environ["HOOKSWITCH_TOKEN"]
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
WANTED = ["incoming_call", "established", "ended"]


def fail(why):
    print(f"FAIL: {why}", flush=True)
    sys.exit(1)


ASKED = set()


def template_of(method, path):
    """The document's route for a concrete path."""
    path = path.split("?")[0]
    for template, ops in DOC["paths"].items():
        if method.lower() not in ops:
            continue
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            return template
    fail(f"{method} {path} is no route of the document")


def documented(method, template, status):
    """Whether /openapi.json lists `status` for the operation."""
    return str(status) in DOC["paths"][template][method.lower()]["responses"]


def request(method, path, body=None, expect=200, template=None):
    """`expect`: the status wanted; None: any the document lists for
    `template` (the route as the document names it)."""
    data = None
    headers = dict(HEADERS)
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    ASKED.add((method.lower(), template or template_of(method, path)))
    req = urllib.request.Request(API + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    if expect is None:
        if not documented(method, template or path, status):
            fail(f"{method} {path} {body}: {status} {text} is not in the document")
    elif status != expect:
        fail(f"{method} {path} {body}: {status} {text}, wanted {expect}")
    return json.loads(text) if text else None


def call_events(items, call):
    """The kinds of `call`'s events among WANTED, in order."""
    return [i["event"] for i in items if i.get("event") in WANTED and i.get("call") == call]


class Sse(threading.Thread):
    """Reads /v1/events as Server-Sent Events (token in the query, as a
    browser's EventSource must give it)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.items = []
        self.snapshot = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        url = API + "/v1/events?access_token=" + urllib.parse.quote(TOKEN)
        req = urllib.request.Request(url, headers={"Accept": "text/event-stream"})
        with urllib.request.urlopen(req, timeout=60) as r:
            kind, data = None, []
            for raw in r:
                line = raw.decode().rstrip("\n")
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    item = json.loads("\n".join(data))
                    if item["event"] != kind:
                        fail(f"SSE event {kind} carries {item['event']}")
                    with self.lock:
                        self.items.append(item)
                    if kind == "snapshot":
                        self.snapshot.set()
                    kind, data = None, []


DOC = None


async def main():
    global DOC
    with urllib.request.urlopen(API + "/openapi.json", timeout=20) as r:
        DOC = json.loads(r.read())
    sse = Sse()
    sse.start()
    ws_url = API.replace("http://", "ws://") + "/v1/events"
    async with websockets.connect(ws_url, additional_headers=HEADERS) as ws:
        first = json.loads(await ws.recv())
        if first["event"] != "snapshot" or "calls" not in first["state"]:
            fail(f"the stream did not start with a snapshot: {first}")
        if not sse.snapshot.wait(20):
            fail("no SSE snapshot")
        print("READY", flush=True)

        seen = []
        call = None
        while True:
            item = json.loads(await asyncio.wait_for(ws.recv(), 30))
            seen.append(item)
            kind = item["event"]
            if kind == "incoming_call" and call is None:
                call = item["call"]
                # The call as the API lists it.
                listed = request("GET", "/v1/calls")
                if [c["id"] for c in listed] != [call] or listed[0]["phase"] != "incoming":
                    fail(f"/v1/calls: {listed}")
                if request("POST", f"/v1/calls/{call}/answer") != "done":
                    fail("answer did not say done")
            elif kind == "established" and item["call"] == call:
                one = request("GET", f"/v1/calls/{call}")
                if one["phase"] != "connected":
                    fail(f"/v1/calls/{call}: {one}")
                request("POST", f"/v1/calls/{call}/mute")
                if not request("GET", f"/v1/calls/{call}")["muted"]:
                    fail("mute did not show in the call")
                request("POST", f"/v1/calls/{call}/unmute")
                request("POST", f"/v1/calls/{call}/volume", {"speaker": 150})
                request("POST", f"/v1/calls/{call}/dtmf", {"keys": "12#"})
                request("POST", f"/v1/calls/{call}/dtmf", {"keys": "1x"}, expect=422)
                stats = request("GET", f"/v1/calls/{call}/stats")
                if "packets_sent" not in stats:
                    fail(f"stats: {stats}")
                request("DELETE", f"/v1/calls/{call}")
            elif kind == "ended" and item["call"] == call:
                break
        if call_events(seen, call) != WANTED:
            fail(f"WebSocket order: {call_events(seen, call)}")

    # The SSE stream saw the same, in the same order.
    for _ in range(200):
        with sse.lock:
            got = call_events(sse.items, call)
        if got == WANTED:
            break
        await asyncio.sleep(0.05)
    else:
        fail(f"SSE order: {got}")

    # After the call: its history entry, and 404 for the call itself.
    request("GET", f"/v1/calls/{call}", expect=404)
    history = request("GET", "/v1/history?limit=5")
    if not history or history[0]["answered"] is not True or history[0]["outgoing"]:
        fail(f"history: {history}")
    request("GET", "/v1/history?limit=x", expect=400)

    # The rest of the phone.
    state = request("GET", "/v1/state")
    if state["calls"]:
        fail(f"calls left: {state['calls']}")
    accounts = request("GET", "/v1/accounts")
    if [a["name"] for a in accounts] != ["office"]:
        fail(f"accounts: {accounts}")
    request("PUT", "/v1/dnd", {"on": True})
    if not request("GET", "/v1/handling")[0]["dnd"]:
        fail("dnd did not show")
    request("PUT", "/v1/dnd", {"on": False})
    request("PUT", "/v1/forwarding", {"when": "busy", "target": "sip:desk@127.0.0.1"})
    if request("GET", "/v1/handling")[0]["forward_busy"] != "sip:desk@127.0.0.1":
        fail("forwarding did not show")
    request("PUT", "/v1/forwarding", {"when": "always", "target": 5}, expect=400)
    request("PUT", "/v1/presence", {"availability": "away", "note": "at lunch"})
    presence = request("GET", "/v1/presence")
    if presence["chosen"] != "away" or presence["note"] != "at lunch":
        fail(f"presence: {presence}")
    request("GET", "/v1/lamps")
    request("GET", "/v1/devices")
    # No device 999: a test of it is refused.
    request("POST", "/v1/devices/999/test", expect=422)
    found = request("GET", "/v1/contacts?q=ozt")
    if [h["contact"]["name"] for h in found["hits"]] != ["Ayşe Öztürk"]:
        fail(f"contacts: {found}")
    request("GET", "/v1/contacts", expect=400)

    # A message, delivered to sipp; then the conversation.
    target = os.environ["MESSAGE_TARGET"]
    reply = request("POST", "/v1/messages", {"target": target, "text": "Ticket 4711 updated"})
    if "message" not in reply:
        fail(f"message reply: {reply}")
    conversations = request("GET", "/v1/messages")
    if not conversations or conversations[0]["last_text"] != "Ticket 4711 updated":
        fail(f"conversations: {conversations}")
    peer = urllib.parse.quote(conversations[0]["peer"], safe="")
    texts = [m["text"] for m in request("GET", f"/v1/messages/{peer}")]
    if texts != ["Ticket 4711 updated"]:
        fail(f"conversation: {texts}")
    request("POST", f"/v1/messages/{peer}/read")

    # The vocabulary itself, and what it refuses.
    if request("POST", "/v1/actions", {"cmd": "state"}).get("state") is None:
        fail("the state action")
    request("POST", "/v1/actions", {"cmd": "hold", "call": 999, "held": True}, expect=404)
    request("POST", "/v1/actions", {"cmd": "call", "target": "echo", "audio": {}}, expect=400)
    request("POST", "/v1/calls/999/answer", expect=404)
    request("POST", "/v1/calls/999/reject", {"status": 200}, expect=422)
    request("POST", "/v1/calls/999/reject", {"status": 603}, expect=404)

    # A call to the built-in echo test: held, resumed, recorded, hung up.
    echo = request("POST", "/v1/calls", {"target": "echo"}, expect=201)["call"]
    for _ in range(200):
        if request("GET", f"/v1/calls/{echo}")["phase"] == "connected":
            break
        await asyncio.sleep(0.05)
    else:
        fail("the echo call did not connect")
    request("POST", f"/v1/calls/{echo}/hold")
    request("POST", f"/v1/calls/{echo}/resume")
    request("POST", f"/v1/calls/{echo}/record", {"on": True})
    request("POST", f"/v1/calls/{echo}/record", {"on": False})
    request("POST", f"/v1/calls/{echo}/transfer", {"target": "1", "to_call": 2}, expect=400)
    request("POST", "/v1/calls/999/transfer", {"target": "sip:x@127.0.0.1"}, expect=404)
    # One call is no conference; there is none to leave.
    request("POST", "/v1/conference", {}, expect=None)
    request("DELETE", "/v1/conference", expect=None)
    request("POST", f"/v1/calls/{echo}/hangup")
    request("DELETE", "/v1/calls")

    # What this phone has none of, said as the document says.
    request("POST", "/v1/pickup", {}, expect=None)
    watched = urllib.parse.quote("sip:bob@127.0.0.1", safe="")
    request("POST", "/v1/presence/watched", {"target": "sip:bob@127.0.0.1"}, expect=None)
    request("DELETE", f"/v1/presence/watched/{watched}", expect=None,
            template="/v1/presence/watched/{target}")
    if request("GET", "/v1/balances") != []:
        fail("balances without a balance URL")
    request("POST", "/v1/balances/check", {}, expect=None)
    if request("GET", "/v1/hooks/deliveries?limit=5") != []:
        fail("deliveries without hooks")

    # Every route of the document was asked at least once.
    ASKED.update({("get", "/v1/events"), ("get", "/openapi.json")})
    every = {(m, t) for t, ops in DOC["paths"].items() for m in ops}
    if every - ASKED:
        fail(f"routes not asked: {sorted(every - ASKED)}")
    print("OK", flush=True)


asyncio.run(main())
