#!/usr/bin/env python3
"""A minimal Stage IM client in Python, written from docs/PROTOCOL.md, that runs the conformance kit.

Only the standard library (json, hmac, hashlib, asyncio, urllib) and Debian's python3-websockets
(`apt-get install -y python3-websockets`). It checks the seal vectors, then replays conformance/frames.json
and conformance/conversations/*.json against a hub:

    python3 conformance/python/stage_conformance.py --hub http://127.0.0.1:8080 --kit conformance --secret <hex>

It prints one JSON line {"result": {...}} per item on stdout and exits 0 only if all passed. When a step needs
the hub restarted it prints {"control": "restartHub"} and waits for one line on stdin (runWithHub.ts answers).
The step language is described in conformance/README.md.
"""
import argparse
import asyncio
import glob
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request

from schema_check import SchemaCheck

try:
    import websockets
except ImportError:  # the test that spawns this script looks for this exact line
    print("python3-websockets is missing: install it with `apt-get install -y python3-websockets`", file=sys.stderr)
    sys.exit(3)

WAIT_S = 10.0
# docs/protocol/schema.json, loaded in main(): every frame the hub sends, and this client's hello, ack and chain
# frames, are validated against it, so the published schema is checked from a second language too.
SCHEMA = None
# Errs whose command is not an entry of the chain (the next command reuses its seq); any other answer to a correctly
# sealed frame, a bad_schema body included, leaves the entry in the chain.
NOT_IN_CHAIN = {"rate_limited", "unknown_session"}


# ---------------------------------------------------------------- canonical JSON and seals (PROTOCOL.md §5)

def js_number(value):
    """A number as ECMAScript Number.prototype.toString writes it."""
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("NaN and infinities are not JSON")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, exponent = _shortest_digits(abs(value))  # value = 0.digits × 10^exponent
    k, n = len(digits), exponent
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return sign + mantissa + "e" + ("+" if e >= 0 else "-") + str(abs(e))


def _shortest_digits(x):
    """Shortest round-tripping decimal digits of x and n such that x = 0.d1d2... × 10^n."""
    text = repr(x)  # Python's repr is the shortest round-tripping form
    mantissa, _, exp = text.partition("e")
    exp = int(exp) if exp else 0
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    n = len(whole) + exp - (len(whole + frac) - len((whole + frac).lstrip("0")))
    digits = digits.rstrip("0") or "0"
    return digits, n


def canonical_json(value):
    """No white space; keys sorted by UTF-16 code units; strings as JSON.stringify writes them."""
    if isinstance(value, dict):
        keys = sorted(value.keys(), key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical_json(value[k]) for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"not JSON: {value!r}")


def seal(key_hex, prev_seal_hex, seq, body):
    prev = bytes.fromhex(prev_seal_hex) if prev_seal_hex else bytes(32)
    message = prev + seq.to_bytes(8, "big") + canonical_json(body).encode("utf-8")
    return hmac.new(bytes.fromhex(key_hex), message, hashlib.sha256).hexdigest()


def hub_sealing_secret(hub_secret_hex):
    """HKDF-SHA-256 (RFC 5869), ikm = hub secret, salt "stage-hub", info "stage session-sealing v1", 32 bytes."""
    prk = hmac.new(b"stage-hub", bytes.fromhex(hub_secret_hex), hashlib.sha256).digest()
    return hmac.new(prk, b"stage session-sealing v1\x01", hashlib.sha256).hexdigest()


def session_key(secret_hex, session_id):
    info = ("stage/session-key/v1\u0000" + session_id).encode("utf-8")
    return hmac.new(bytes.fromhex(secret_hex), info, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- patterns (conformance/README.md)

class Failure(Exception):
    pass


WHOLE = re.compile(r"^\$\{([^}]+)\}$")
INNER = re.compile(r"\$\{([^}]+)\}")


def lookup(variables, path):
    head, *rest = path.split(".")
    if head not in variables:
        raise Failure(f"unknown variable ${{{path}}}")
    value = variables[head]
    for key in rest:
        if isinstance(value, list):
            value = value[int(key)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            raise Failure(f"${{{path}}}: no {key!r}")
    return value


def substitute(value, variables):
    if isinstance(value, str):
        m = WHOLE.match(value)
        if m:
            return lookup(variables, m.group(1))
        return INNER.sub(lambda m: (lambda v: v if isinstance(v, str) else json.dumps(v))(lookup(variables, m.group(1))), value)
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {substitute(k, variables): substitute(v, variables) for k, v in value.items()}
    return value


MISSING = object()


def mismatch(actual, expected, at="$"):
    if expected == "$any":
        return f"{at}: missing" if actual is MISSING else None
    if expected == "$string":
        return None if isinstance(actual, str) else f"{at}: expected a string, got {actual!r}"
    if expected == "$integer":
        return None if isinstance(actual, int) and not isinstance(actual, bool) else f"{at}: expected an integer, got {actual!r}"
    if expected == "$hex64":
        return None if isinstance(actual, str) and re.fullmatch(r"[0-9a-f]{64}", actual) else f"{at}: expected 64 hex digits, got {actual!r}"
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{at}: expected an array, got {actual!r}"
        if len(actual) != len(expected):
            return f"{at}: expected {len(expected)} items, got {len(actual)}: {actual!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            m = mismatch(a, e, f"{at}[{i}]")
            if m:
                return m
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{at}: expected an object, got {actual!r}"
        for key, value in expected.items():
            if value == "$absent":
                if key in actual:
                    return f"{at}.{key}: expected absent, got {actual[key]!r}"
                continue
            if key not in actual:
                return f"{at}.{key}: missing (got {actual!r})"
            m = mismatch(actual[key], value, f"{at}.{key}")
            if m:
                return m
        return None
    same = actual == expected and type(actual) is type(expected) if isinstance(expected, bool) or isinstance(actual, bool) else actual == expected
    return None if same else f"{at}: expected {expected!r}, got {actual!r}"


def check(actual, expected, what):
    m = mismatch(actual, expected)
    if m:
        raise Failure(f"{what}: {m}")


# ---------------------------------------------------------------- one device

class Device:
    """A device keeps its chain, session and last processed outcome id across connections, like client storage."""

    def __init__(self, name, device_id):
        self.name = name
        self.device_id = device_id
        self.session_id = None
        self.key = None
        self.chain = []  # [{"seq", "body", "seal"}]
        self.last_outcome_id = 0
        self.acked = 0
        self.ws = None
        self.frames = []
        self.pushes = []
        self.close_code = None
        self.reader = None
        self.changed = asyncio.Event()
        self.violations = []

    def _notify(self):
        self.changed.set()

    async def until(self, what, probe, timeout=WAIT_S):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = probe()
            if found is not None:
                return found
            left = deadline - loop.time()
            if left <= 0:
                raise Failure(f"{self.name}: timed out waiting for {what}; last frames: {json.dumps(self.frames[-3:])[:600]}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def open(self, url, protocols):
        self.frames = []
        self.close_code = None
        self.ws = await websockets.connect(url, subprotocols=protocols, max_size=None, ping_interval=None, close_timeout=2)
        self.reader = asyncio.ensure_future(self._read(self.ws))

    async def _read(self, ws):
        try:
            async for message in ws:
                self._on_frame(json.loads(message))
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            self.close_code = ws.close_code if ws.close_code is not None else 1006
            if self.close_code == 4005:  # the chain was refused: start a fresh one next time
                self.session_id = None
                self.chain = []
            self._notify()

    def _on_frame(self, frame):
        self.frames.append(frame)
        if SCHEMA is not None:
            self.violations += [f"hub frame {json.dumps(frame)[:300]}: {e}" for e in SCHEMA.errors(frame, "HubFrame")[:3]]
        kind = frame.get("kind")
        if kind == "push":
            oid = frame["outcomeId"]
            if oid <= self.last_outcome_id:
                if oid <= self.acked:
                    self.send_frame({"kind": "ack", "outcomeId": self.acked})
            else:
                self.last_outcome_id = oid
                self.pushes.append(frame)
        elif kind == "recall":
            self._answer_recall(frame)
        elif kind == "welcome":
            self.session_id = frame["sessionId"]
            self.key = frame["key"]
            if not frame["resumed"]:
                self.chain = []
        self._notify()

    def _answer_recall(self, recall):
        base = {"kind": "chain", "recallId": recall["recallId"], "sessionId": recall["sessionId"]}
        lo, hi = recall["fromSeq"], recall["toSeq"]
        if recall["sessionId"] != self.session_id or lo < 0 or hi > len(self.chain):
            return self.send_frame({**base, "entries": [], "done": True, "missing": True})
        entries = self.chain[lo:hi]
        if not entries:
            return self.send_frame({**base, "entries": [], "done": True})
        for i in range(0, len(entries), 256):
            self.send_frame({**base, "entries": entries[i:i + 256], "done": i + 256 >= len(entries)})

    def send_frame(self, frame):
        # Commands are the kit's test input (some are invalid on purpose); the client's own framing is checked.
        if SCHEMA is not None and frame.get("kind") != "command":
            self.violations += [f"own frame {json.dumps(frame)[:300]}: {e}" for e in SCHEMA.errors(frame, "ClientFrame")[:3]]
        self.send_text(json.dumps(frame, ensure_ascii=False, separators=(",", ":")))

    def send_text(self, text, binary=False):
        if self.ws is not None and self.close_code is None:
            asyncio.ensure_future(self._send(text.encode("utf-8") if binary else text))

    async def _send(self, data):
        try:
            await self.ws.send(data)
        except websockets.exceptions.ConnectionClosed:
            pass

    async def command(self, command, tamper=None):
        if not self.session_id:
            raise Failure(f"{self.name}: not welcomed")
        seq = len(self.chain)
        prev = self.chain[seq - 1]["seal"] if seq else None
        entry = {"seq": seq, "body": command, "seal": seal(self.key, prev, seq, command)}
        if tamper != "sessionId":
            self.chain.append(entry)
        frame_seal = entry["seal"]
        if tamper == "seal":
            frame_seal = ("1" if frame_seal[0] == "0" else "0") + frame_seal[1:]
        session = self.session_id + ".not-mine" if tamper == "sessionId" else self.session_id
        start = len(self.frames)
        self.send_frame({"kind": "command", "sessionId": session, "seq": seq, "seal": frame_seal, "command": command})

        def probe():
            for f in self.frames[start:]:
                if f.get("kind") == "reply" and f.get("traceId") == command["traceId"]:
                    return f
            return {"close": self.close_code} if self.close_code is not None else None

        answer = await self.until(f"the reply to {command['traceId']}", probe)
        if answer.get("ok") is False and answer["error"]["code"] in NOT_IN_CHAIN and tamper != "sessionId":
            if self.chain and self.chain[-1] is entry:
                self.chain.pop()
        return answer

    def ack(self):
        self.acked = self.last_outcome_id
        self.send_frame({"kind": "ack", "outcomeId": self.last_outcome_id})

    async def close(self):
        if self.ws is None or self.close_code is not None:
            return
        await self.ws.close(1000)
        await self.until("the close", lambda: self.close_code)


# ---------------------------------------------------------------- the step interpreter

class Run:
    def __init__(self, hub, secret_hex):
        self.hub = hub
        self.secret_hex = secret_hex
        self.run = secrets.token_hex(4)
        self.vars = {"run": self.run}
        self.devices = {}
        self.traces = 0

    def device(self, name):
        if name not in self.devices:
            actor, _, device_id = name.partition("/")
            if not device_id:
                raise Failure(f'device names are "actor/deviceId", got {name!r}')
            self.devices[name] = Device(name, device_id)
        return self.devices[name]

    def actor(self, name):
        if name not in self.vars:
            raise Failure(f"actor {name!r} is not registered")
        return self.vars[name]

    async def http(self, method, path, body):
        def call():
            data = body.encode("utf-8") if body is not None else None
            request = urllib.request.Request(self.hub["url"] + path, data=data, method=method)
            if body is not None:
                request.add_header("content-type", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=WAIT_S) as res:
                    return res.status, res.read().decode("utf-8")
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode("utf-8")

        status, text = await asyncio.get_running_loop().run_in_executor(None, call)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        return {"status": status, "body": parsed}

    async def refused_upgrade(self, path, protocols):
        """The HTTP answer to a WebSocket upgrade the hub refuses (status and JSON body)."""
        url = urllib.parse.urlparse(self.hub["url"])
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        writer.write((f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Protocol: {', '.join(protocols)}\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode("ascii"))
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), WAIT_S)
        writer.close()
        head, _, body = raw.decode("utf-8", "replace").partition("\r\n\r\n")
        status = int(head.split(" ")[1])
        try:
            return {"status": status, "body": json.loads(body)}
        except ValueError:
            return {"status": status, "body": body}

    async def step(self, step):
        expect = step.get("expect")
        if "register" in step:
            name = step["register"]
            username, password = f"{name}-{self.run}", "password-123"
            res = await self.http("POST", "/api/register", json.dumps({"username": username, "password": password}))
            check(res, {"status": 201}, f"register {name}")
            self.vars[name] = {"userId": res["body"]["userId"], "username": username, "token": res["body"]["token"], "password": password}
            return
        if "login" in step:
            a = self.actor(step["login"])
            res = await self.http("POST", "/api/login", json.dumps({"username": a["username"], "password": step.get("password", a["password"])}))
            check(res, substitute(expect if expect is not None else {"status": 200}, self.vars), f"login {step['login']}")
            if res["status"] == 200:
                a["token"] = res["body"]["token"]
            return
        if "http" in step:
            req = substitute(step["http"], self.vars)
            body = req.get("text", json.dumps(req["body"]) if "body" in req else None)
            check(await self.http(req["method"], req["path"], body), substitute(expect, self.vars), f"http {req['method']} {req['path']}")
            return
        if "restartHub" in step:
            print(json.dumps({"control": "restartHub"}), flush=True)
            line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            answer = json.loads(line) if line.strip() else {}
            if answer.get("control") != "restarted":
                raise Failure(f"the hub was not restarted: {line!r}")
            self.hub["url"] = answer.get("url", self.hub["url"])
            return
        for action in ("connect", "send", "burst", "push", "ack", "disconnect", "expectClose", "raw", "received", "quiet"):
            if action in step:
                device = self.device(step[action])
                await getattr(self, "do_" + action)(device, step, expect)
                if device.violations:
                    raise Failure("schema.json: " + "; ".join(device.violations[:3]))
                return
        raise Failure(f"unknown step {json.dumps(step)}")

    async def do_connect(self, device, step, expect):
        if step.get("fresh"):
            device.session_id, device.chain = None, []
        if isinstance(step.get("lastOutcomeId"), int):
            device.last_outcome_id = device.acked = step["lastOutcomeId"]
        actor = device.name.split("/")[0]
        token = step.get("token") or self.actor(actor)["token"]
        device_id = step.get("deviceId", device.device_id)
        # The token travels in the subprotocols (PROTOCOL.md section 1), never in the URL.
        path = f"/ws/{urllib.parse.quote(device_id, safe='')}"
        protocols = ["stage.v1", f"stage.token.{token}"]
        want = substitute(expect if expect is not None else {"welcome": {}}, self.vars)
        if "status" in want:
            check(await self.refused_upgrade(path, protocols), want, f"connect {device.name}")
            return
        await device.open(self.hub["url"].replace("http", "ws", 1) + path, protocols)
        if step.get("hello") is False:
            return
        hello = {"kind": "hello", "protocol": 1, "lastOutcomeId": device.last_outcome_id}
        if device.session_id:
            hello["sessionId"] = device.session_id
            hello["chainLength"] = len(device.chain)
        for k, v in substitute(step.get("hello") or {}, self.vars).items():
            if v is None:
                hello.pop(k, None)
            else:
                hello[k] = v
        device.send_frame(hello)
        if "close" in want:
            check(await device.until("the close", lambda: device.close_code), want["close"], f"connect {device.name}: close code")
            return
        welcome = await device.until("welcome", lambda: next((f for f in device.frames if f.get("kind") == "welcome"), None)
                                     or ({"close": device.close_code} if device.close_code is not None else None))
        check(welcome, {"kind": "welcome", **want["welcome"]}, f"connect {device.name}: welcome")
        self.vars[device.name] = {"sessionId": welcome["sessionId"], "deviceId": device_id, "key": welcome["key"], "latestOutcomeId": welcome["latestOutcomeId"]}
        check(welcome["key"], session_key(hub_sealing_secret(self.secret_hex), welcome["sessionId"]), f"connect {device.name}: welcome.key derived from the hub secret")
        if "resync" in want:
            resync = await device.until("resync", lambda: next((f for f in device.frames if f.get("kind") == "resync"), None))
            check(resync, want["resync"], f"connect {device.name}: resync")
            device.last_outcome_id = resync["lastOutcomeId"]
            device.pushes = []
            device.ack()

    def next_trace(self):
        self.traces += 1
        return f"{self.run}-{self.traces}"

    async def do_send(self, device, step, expect):
        command = substitute(step["command"], self.vars)
        command.setdefault("traceId", self.next_trace())
        tamper = step.get("tamper")
        reply = await device.command(command, tamper)
        for _ in range(100):  # a client resends a rate_limited entry after retryAfterMs
            if not (reply.get("ok") is False and reply["error"]["code"] == "rate_limited"):
                break
            await asyncio.sleep(reply["error"]["retryAfterMs"] / 1000)
            reply = await device.command(command, tamper)
        want = substitute(expect if expect is not None else {"ok": True}, self.vars)
        if "close" in want:
            if "kind" in reply and "reply" in want:
                check(reply, want["reply"], f"send {device.name} {command['type']}")
            check(await device.until("the close", lambda: device.close_code), want["close"], f"send {device.name}: close code")
        else:
            check(reply, want, f"send {device.name} {command['type']} ({command['traceId']})")
        if step.get("save"):
            self.vars[step["save"]] = {"traceId": command["traceId"], **reply}

    async def do_burst(self, device, step, expect):
        template = substitute(step["command"], self.vars)
        commands = [{**template, "traceId": self.next_trace()} for _ in range(step["count"])]
        base = len(device.chain)
        first = await asyncio.gather(*(device.command(c) for c in commands))
        want = expect or {}
        refused = [i for i, r in enumerate(first) if r.get("ok") is False]
        others = [r for r in first if not (r.get("ok") is True or (r.get("ok") is False and r["error"]["code"] == "rate_limited"))]
        if others:
            raise Failure(f"burst: answers other than ok and rate_limited: {others[0]!r}")
        accepted = len(first) - len(refused)
        if accepted < want.get("minAccepted", 0):
            raise Failure(f"burst: {accepted} accepted at first, expected at least {want['minAccepted']}")
        if len(refused) < want.get("minRateLimited", 0):
            raise Failure(f"burst: {len(refused)} rate_limited, expected at least {want['minRateLimited']}")
        if refused:
            if any(i > refused[0] and first[i].get("ok") is True for i in range(len(first))):
                raise Failure("burst: the hub accepted a seq after refusing an earlier one")
            del device.chain[base + refused[0]:]
        for i in refused:
            check(first[i], {"error": {"retryAfterMs": "$integer"}}, "burst: rate_limited carries retryAfterMs")
            for _ in range(len(commands) * 20):
                reply = await device.command(commands[i])
                if reply.get("ok") is True:
                    break
                check(reply, {"ok": False, "error": {"code": "rate_limited"}}, "burst: resend")
                await asyncio.sleep(reply["error"]["retryAfterMs"] / 1000)
            else:
                raise Failure("burst: the hub kept refusing the resends")

    async def do_push(self, device, step, expect):
        push = await device.until("a push", lambda: device.pushes.pop(0) if device.pushes else None)
        want = {"outcome": substitute(step["outcome"], self.vars)}
        if "outcomeId" in step:
            want["outcomeId"] = substitute(step["outcomeId"], self.vars)
        check(push, want, f"push to {device.name}")
        if step.get("save"):
            self.vars[step["save"]] = push

    async def do_ack(self, device, step, expect):
        device.ack()

    async def do_disconnect(self, device, step, expect):
        await device.close()

    async def do_expectClose(self, device, step, expect):
        # an idle close (4010) may take idleTimeoutMs + heartbeatMs with a hub's default limits
        check(await device.until("the close", lambda: device.close_code, timeout=90.0), step.get("code"), f"close of {device.name}")

    async def do_quiet(self, device, step, expect):
        """Sends nothing for idleTimeoutMs + heartbeatMs + 0.5 s; only the library's automatic pongs answer pings."""
        welcome = next((f for f in device.frames if f.get("kind") == "welcome"), None)
        if welcome is None:
            raise Failure(f"quiet: {device.name} was not welcomed")
        await asyncio.sleep((welcome["limits"]["idleTimeoutMs"] + welcome["limits"]["heartbeatMs"] + 500) / 1000)

    async def do_received(self, device, step, expect):
        want = substitute(step["frame"], self.vars)
        if not any(mismatch(f, want) is None for f in device.frames):
            raise Failure(f"{device.name}: no frame matching {json.dumps(want)}; got kinds {[f.get('kind') for f in device.frames]}")

    async def do_raw(self, device, step, expect):
        self.vars["self"] = {"sessionId": device.session_id or "", "nextSeq": len(device.chain), "deviceId": device.device_id,
                             **self.vars.get(device.name, {})}
        if "text" in step:
            text = step["text"]
        elif "repeat" in step:
            r = step["repeat"]
            text = r.get("prefix", "") + r["text"] * r["count"] + r.get("suffix", "")
        else:
            frame = substitute(step["frame"], self.vars)
            if step.get("seal"):
                seq = frame["seq"]
                frame["seal"] = seal(device.key, device.chain[seq - 1]["seal"] if seq else None, seq, frame["command"])
            text = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
        start = len(device.frames)
        device.send_text(text, step.get("binary", False))
        want = substitute(expect, self.vars)
        if "close" in want:
            if "reply" in want:
                reply = await device.until("a reply", lambda: next((f for f in device.frames[start:] if f.get("kind") == "reply"), None)
                                           or ({"close": device.close_code} if device.close_code is not None else None))
                check(reply, {"kind": "reply", **want["reply"]}, f"raw on {device.name}: reply before the close")
            check(await device.until("the close", lambda: device.close_code), want["close"], f"raw on {device.name}: close code")
            return
        pattern = {"kind": "reply", **want["reply"]} if "reply" in want else want["frame"]
        found = await device.until(f"a frame matching {json.dumps(pattern)}",
                                   lambda: next((f for f in device.frames[start:] if mismatch(f, pattern) is None), None)
                                   or ({"close": device.close_code} if device.close_code is not None else None))
        check(found, pattern, f"raw on {device.name}")

    async def close(self):
        for d in self.devices.values():
            try:
                await d.close()
            except Exception:  # noqa: BLE001 - closing is best effort at the end of a run
                pass


# ---------------------------------------------------------------- the kit

def report(kind, name, error=None):
    result = {"kind": kind, "name": name, "ok": error is None}
    if error is not None:
        result["error"] = error
    print(json.dumps({"result": result}, ensure_ascii=False), flush=True)
    return error is None


def check_vectors(kit_dir):
    errors = []
    with open(os.path.join(kit_dir, "vectors", "protocol-seals.json"), encoding="utf-8") as f:
        v = json.load(f)
    if session_key(v["secretHex"], v["sessionId"]) != v["keyHex"]:
        errors.append("protocol-seals: session key")
    prev = None
    for e in v["chain"]:
        if canonical_json(e["command"]) != e["canonical"]:
            errors.append(f"protocol-seals: canonical form of seq {e['seq']}: {canonical_json(e['command'])!r}")
        s = seal(v["keyHex"], prev, e["seq"], e["command"])
        if s != e["seal"]:
            errors.append(f"protocol-seals: seal of seq {e['seq']}")
        prev = s
    sdk = os.path.join(kit_dir, "..", "sdk", "test-vectors", "seal.json")
    if os.path.exists(sdk):
        with open(sdk, encoding="utf-8") as f:
            g = json.load(f)
        kd = g["keyDerivation"]
        if session_key(kd["secretHex"], kd["sessionId"]) != kd["keyHex"]:
            errors.append("seal.json: key derivation")
        for c in g["canonical"]:
            got = canonical_json(json.loads(c["json"]))
            if got != c["canonical"]:
                errors.append(f"seal.json canonical {c['json']!r}: got {got!r}")
        prev = g["chain"]["genesisSealHex"]
        for e in g["chain"]["entries"]:
            s = seal(g["chain"]["keyHex"], prev, e["seq"], e["body"])
            if s != e["seal"]:
                errors.append(f"seal.json chain seq {e['seq']}")
            prev = s
        big = g["largeSeq"]
        if seal(big["keyHex"], big["prevSealHex"], big["seq"], json.loads(big["canonical"])) != big["seal"]:
            errors.append("seal.json largeSeq")
    return report("vectors", "protocol-seals", "; ".join(errors) if errors else None)


async def run_kit(hub_url, kit_dir, secret_hex, only):
    hub = {"url": hub_url}
    passed = check_vectors(kit_dir)
    with open(os.path.join(kit_dir, "frames.json"), encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    frames_run = Run(hub, secret_hex)
    await frames_run.step({"register": "mallory"})
    for i, case in enumerate(cases):
        if only and only not in case["name"]:
            continue
        name = f"mallory/frame-{i}"
        steps = [{"connect": name, **({"hello": False} if case.get("after") == "hello" else {})},
                 {"raw": name, "expect": case["expect"], **{k: case[k] for k in ("frame", "text", "repeat", "binary", "seal") if k in case}}]
        error = None
        try:
            for s in steps:
                await frames_run.step(s)
        except Exception as e:  # noqa: BLE001 - every failure is reported, the run goes on
            error = f"{type(e).__name__}: {e}"
        finally:
            await frames_run.device(name).close()
        passed &= report("frame", case["name"], error)
    for path in sorted(glob.glob(os.path.join(kit_dir, "conversations", "*.json"))):
        with open(path, encoding="utf-8") as f:
            conversation = json.load(f)
        if only and only not in conversation["name"]:
            continue
        run = Run(hub, secret_hex)
        error = None
        at = 0
        try:
            for at, s in enumerate(conversation["steps"]):
                await run.step(s)
        except Exception as e:  # noqa: BLE001
            error = f"step {at} {json.dumps(conversation['steps'][at], ensure_ascii=False)}: {type(e).__name__}: {e}"
        finally:
            await run.close()
        passed &= report("conversation", conversation["name"], error)
    return passed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hub", required=True, help="the hub's http://host:port")
    parser.add_argument("--kit", required=True, help="the conformance/ directory")
    parser.add_argument("--secret", required=True, help="the hub secret (hex), to check welcome.key")
    parser.add_argument("--only", help="run only the items whose name contains this")
    args = parser.parse_args()
    global SCHEMA
    schema_path = os.path.join(args.kit, "..", "docs", "protocol", "schema.json")
    with open(schema_path, encoding="utf-8") as f:
        SCHEMA = SchemaCheck(json.load(f))
    ok = asyncio.run(run_kit(args.hub.rstrip("/"), args.kit, args.secret, args.only))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
