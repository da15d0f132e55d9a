"""A real HTTP proxy in front of an emulator that fails scripted requests, as Google APIs fail.

`FaultyProxy(upstream)` forwards every request to `upstream` (fake-gcs-server or bqemulator)
and back, except those a rule matches (method, path regex, optionally a body substring): for
those it answers itself, never reaching the emulator, with either

- an HTTP error (`fail`): 429 / 503 / 400 ... with the JSON error body Google APIs send, or
- a failed BigQuery job (`fail_job`): a `jobs.insert` answered 200 with a job that is DONE
  with an `errorResult` (what BigQuery returns when a DML statement loses a concurrent-update
  race or a load job hits a backend error); the proxy keeps answering `jobs.get` and
  `jobs.getQueryResults` for that job id as BigQuery would.

Each rule fires `times` times (None: on every matching request). `hold` instead keeps the next
matching request waiting until the test releases it, then forwards it: how a test orders two
runs' calls. Clients reach the proxy the way they reach the emulator (`STORAGE_EMULATOR_HOST`,
`ELT_BQ_API_ENDPOINT`).
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

# Hop-by-hop headers a proxy must not forward (RFC 9110 7.6.1), and the length it recomputes.
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}
STATUS_NAMES = {400: "INVALID_ARGUMENT", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
REASONS = {400: "invalidQuery", 409: "duplicate", 429: "rateLimitExceeded", 500: "backendError", 503: "backendError"}
CONCURRENT_UPDATE = "Could not serialize access to table {table} due to concurrent update"
JOB_PATH = re.compile(r"/projects/[^/]+/(jobs|queries)/([^/?]+)")


@dataclass
class Rule:
    method: str
    path: re.Pattern
    body: bytes | None  # a substring the request body must contain
    times: int | None  # None: every matching request
    status: int
    message: str
    reason: str
    job_failure: bool = False  # answer a jobs.insert with a DONE job carrying this error
    fired: int = 0

    def matches(self, method: str, path: str, body: bytes) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        return method == self.method and bool(self.path.search(path)) and (self.body is None or self.body in body)


@dataclass
class Hold:
    """The next request matching (method, path, body) waits at the proxy until `release()`."""

    method: str
    path: re.Pattern
    body: bytes
    reached: threading.Event = field(default_factory=threading.Event)  # a request is waiting
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    injected: bool


@dataclass
class FaultyProxy:
    upstream: str  # http://host:port of the emulator
    rules: list[Rule] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    failed_jobs: dict[str, dict] = field(default_factory=dict)  # job id -> the failed job resource
    holds: list[Hold] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="faulty-proxy", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FaultyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        for held in self.holds:
            held.release()
        self._server.shutdown()
        self._server.server_close()

    def fail(
        self,
        method: str,
        path: str,
        status: int = 503,
        times: int | None = 1,
        body: str | None = None,
        message: str = "",
    ) -> Rule:
        """Answer the next `times` matching requests with HTTP `status` and Google's error body."""
        rule = Rule(
            method,
            re.compile(path),
            body.encode() if body else None,
            times,
            status,
            message or f"injected by the test proxy: {STATUS_NAMES.get(status, status)}",
            REASONS.get(status, "backendError"),
        )
        with self._lock:
            self.rules.append(rule)
        return rule

    def fail_job(self, body: str, message: str, reason: str = "invalidQuery", times: int | None = 1) -> Rule:
        """Answer the next `times` job inserts whose body contains `body` with a job that failed
        with `message` (the emulator never sees them)."""
        rule = Rule("POST", re.compile(r"/projects/[^/]+/jobs$"), body.encode(), times, 400, message, reason, True)
        with self._lock:
            self.rules.append(rule)
        return rule

    def hold(self, method: str, path: str, body: str) -> Hold:
        """Keep the next matching request waiting until the returned hold is released."""
        held = Hold(method, re.compile(path), body.encode())
        with self._lock:
            self.holds.append(held)
        return held

    def _wait_if_held(self, method: str, path: str, body: bytes) -> None:
        with self._lock:
            held = next((h for h in self.holds if h.method == method and h.path.search(path) and h.body in body), None)
            if held is not None:
                self.holds.remove(held)
        if held is not None:
            held.reached.set()
            held.released.wait()

    def injected(self, rule: Rule | None = None) -> int:
        """How many answers the proxy made up (for one rule, or all)."""
        return rule.fired if rule is not None else sum(1 for exchange in self.exchanges if exchange.injected)

    def _match(self, method: str, path: str, body: bytes) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, path, body):
                    rule.fired += 1
                    return rule
        return None


def error_body(status: int, message: str, reason: str) -> bytes:
    """The JSON error document of Google's JSON APIs."""
    return json.dumps(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": reason}],
                "status": STATUS_NAMES.get(status, "UNKNOWN"),
            }
        }
    ).encode()


def _failed_job(request: dict, rule: Rule) -> dict:
    """The job resource BigQuery returns for a job that failed with the rule's error."""
    error = {"reason": rule.reason, "message": rule.message}
    reference = request.get("jobReference", {})
    return {
        "kind": "bigquery#job",
        "id": f"{reference.get('projectId')}:{reference.get('location', 'US')}.{reference.get('jobId')}",
        "jobReference": reference,
        "configuration": request.get("configuration", {}),
        "status": {"state": "DONE", "errorResult": error, "errors": [error]},
        "statistics": {"creationTime": "0", "startTime": "0", "endTime": "0"},
    }


def _handler(proxy: FaultyProxy) -> type[BaseHTTPRequestHandler]:
    upstream = urlparse(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet: the exchanges list is the log
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = urlparse(self.path).path
            job = JOB_PATH.search(path)
            if job and self.command == "GET" and job.group(2) in proxy.failed_jobs:
                return self._answer_failed_job(path, job.group(1), proxy.failed_jobs[job.group(2)])
            proxy._wait_if_held(self.command, path, body)
            rule = proxy._match(self.command, path, body)
            if rule is not None and rule.job_failure:
                failed = _failed_job(json.loads(body), rule)
                proxy.failed_jobs[failed["jobReference"]["jobId"]] = failed
                return self._reply(path, 200, json.dumps(failed).encode(), injected=True)
            if rule is not None:
                return self._reply(path, rule.status, error_body(rule.status, rule.message, rule.reason), True)
            self._forward(path, body)

        def _answer_failed_job(self, path: str, kind: str, failed: dict) -> None:
            if kind == "jobs":  # jobs.get: the failed job
                return self._reply(path, 200, json.dumps(failed).encode(), injected=True)
            error = failed["status"]["errorResult"]  # getQueryResults: the job's error, as HTTP 400
            self._reply(path, 400, error_body(400, error["message"], error["reason"]), injected=True)

        def _forward(self, path: str, body: bytes) -> None:
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=300)
            headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_HEADERS}
            headers["Host"] = upstream.netloc
            try:
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
                content = response.read()
                forwarded = [(n, v) for n, v in response.getheaders() if n.lower() not in HOP_HEADERS]
            finally:
                connection.close()
            self._reply(path, response.status, content, injected=False, headers=forwarded)

        def _reply(self, path: str, status: int, content: bytes, injected: bool, headers: list | None = None) -> None:
            with proxy._lock:
                proxy.exchanges.append(Exchange(self.command, path, status, injected))
            self.send_response(status)
            for name, value in headers or [("Content-Type", "application/json; charset=UTF-8")]:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    return Handler
