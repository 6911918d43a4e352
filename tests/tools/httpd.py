#!/usr/bin/env python3
"""A small HTTP/1.1 file server for tests, standard library only.

Serves ROOT on 127.0.0.1:PORT.  With --port 0 (the default) the chosen port
is printed as the first line on stdout, so a test can start it and read
where it listens.  Real apt clients fetch test repositories from it, so the
plain path is proper HTTP: Content-Length on every answer, Last-Modified and
ETag, If-Modified-Since (304), single Range requests (206, 416), If-Range,
HEAD, 404, keep-alive.

Hostile behaviour is chosen per URL path, never by query string, so that
the client under test asks for the same URLs it would ask a real mirror:

  --stall PATH:BYTES      send BYTES of the body, then hold the connection
                          open without sending more
  --oversize PATH:EXTRA   append EXTRA junk bytes; Content-Length covers them
  --oversize-nolength PATH:EXTRA
                          the same with no Content-Length (body ends at close)
  --fail PATH:N           answer 500 to the first N requests, then normally
  --redirect FROM:TO      answer 302 with Location TO
  --no-range              ignore Range everywhere and answer 200
  --control FILE          JSON rules, re-read whenever the file changes:
                          {"/path": {"stall": 10, "oversize": 5,
                          "nolength": true, "fail": 2, "redirect": "/x",
                          "no_range": true}}; its rules take precedence

One line per request goes to stderr: client, request line, status, the
Range asked for, and the body bytes sent ("aborted" when the client went
away first), so tests can count requests.  SIGTERM ends the server.
"""

import argparse
import email.utils
import json
import os
import posixpath
import signal
import socketserver
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

CHUNK = 65536
STOP = threading.Event()


class Rules:
    """Per-path behaviour from the command line and the control file."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.cli = {}
        self.no_range = args.no_range
        self.control = args.control
        self.control_mtime = None
        self.control_rules = {}
        self.served = {}  # path -> requests seen, for --fail
        for spec in args.stall or []:
            p, v = split_rule(spec)
            self.rule(p)["stall"] = int(v)
        for spec in args.oversize or []:
            p, v = split_rule(spec)
            self.rule(p)["oversize"] = int(v)
        for spec in args.oversize_nolength or []:
            p, v = split_rule(spec)
            r = self.rule(p)
            r["oversize"] = int(v)
            r["nolength"] = True
        for spec in args.fail or []:
            p, v = split_rule(spec)
            self.rule(p)["fail"] = int(v)
        for spec in args.redirect or []:
            p, v = split_rule(spec, first=True)
            self.rule(p)["redirect"] = v

    def rule(self, path):
        return self.cli.setdefault(norm(path), {})

    def _reload(self):
        if not self.control:
            return
        try:
            m = os.stat(self.control).st_mtime_ns
        except FileNotFoundError:
            self.control_rules = {}
            return
        if m == self.control_mtime:
            return
        with open(self.control, encoding="utf-8") as f:
            data = json.load(f)
        self.control_rules = {norm(k): v for k, v in data.items()}
        self.control_mtime = m

    def lookup(self, path):
        """The rule for path and how many requests for it came before."""
        with self.lock:
            self._reload()
            r = dict(self.cli.get(path, {}))
            r.update(self.control_rules.get(path, {}))
            n = self.served.get(path, 0)
            self.served[path] = n + 1
        if self.no_range:
            r.setdefault("no_range", True)
        return r, n


def norm(path):
    return path if path.startswith("/") else "/" + path


def split_rule(spec, first=False):
    # paths hold no colon; a redirect target may (it can be a whole URL)
    path, sep, val = spec.partition(":") if first else spec.rpartition(":")
    if not sep or not path:
        raise SystemExit("httpd.py: bad rule '%s' (want PATH:VALUE)" % spec)
    return path, val


def parse_range(value, size):
    """(start, end) inclusive for one satisfiable range; None to ignore the
    header (malformed or several ranges, answer 200); 'unsatisfiable' for 416."""
    if not value.startswith("bytes=") or "," in value:
        return None
    first, sep, last = value[6:].strip().partition("-")
    if not sep:
        return None
    try:
        if first == "":
            n = int(last)
            if n <= 0:
                return "unsatisfiable"
            return max(0, size - n), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size:
        return "unsatisfiable"
    if end < start:
        return None
    return start, min(end, size - 1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "airlock-test-httpd/1"
    sent = 0
    aborted = False

    def log_message(self, fmt, *args):  # replaced by log_done
        pass

    def log_done(self, code):
        rng = self.headers.get("Range", "-") if self.headers else "-"
        sys.stderr.write('%s "%s" %s range=%s sent=%d%s\n' % (
            self.client_address[0], self.requestline, code, rng, self.sent,
            " aborted" if self.aborted else ""))
        sys.stderr.flush()

    def do_GET(self):
        self.serve(body=True)

    def do_HEAD(self):
        self.serve(body=False)

    def simple(self, code, text, extra=None):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.write(data)
        self.log_done(code)

    def write(self, data):
        try:
            self.wfile.write(data)
            self.sent += len(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            self.aborted = True
            self.close_connection = True
            return False

    def fspath(self, urlpath):
        parts = [p for p in urlpath.split("/") if p]
        if any(p in (".", "..") or "\0" in p for p in parts):
            return None
        return os.path.join(self.server.root, *parts)

    def serve(self, body):
        self.sent = 0
        self.aborted = False
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        path = norm(posixpath.normpath(path)) if path else "/"
        rule, seen = self.server.rules.lookup(path)

        if "redirect" in rule:
            return self.simple(302, "moved\n", {"Location": rule["redirect"]})
        if seen < int(rule.get("fail", 0)):
            return self.simple(500, "failing on purpose\n")

        fp = self.fspath(path)
        if fp is None or not os.path.isfile(fp):
            return self.simple(404, "not found\n")
        try:
            f = open(fp, "rb")
        except OSError:
            return self.simple(404, "not found\n")
        with f:
            st = os.fstat(f.fileno())
            self.send_file(f, st, body, rule)

    def send_file(self, f, st, body, rule):
        size = st.st_size
        lastmod = email.utils.formatdate(st.st_mtime, usegmt=True)
        etag = '"%x-%x"' % (size, st.st_mtime_ns)
        ims = self.headers.get("If-Modified-Since")
        if ims and "Range" not in self.headers:
            try:
                t = email.utils.parsedate_to_datetime(ims).timestamp()
                if int(st.st_mtime) <= t:
                    self.send_response(304)
                    self.send_header("Last-Modified", lastmod)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return self.log_done(304)
            except (TypeError, ValueError, IndexError, OverflowError):
                pass

        extra = int(rule.get("oversize", 0))
        rng = None
        if "Range" in self.headers and not rule.get("no_range") and not extra:
            ifr = self.headers.get("If-Range")
            if ifr is None or ifr in (lastmod, etag):
                rng = parse_range(self.headers["Range"], size)
        if rng == "unsatisfiable":
            return self.simple(416, "range not satisfiable\n",
                               {"Content-Range": "bytes */%d" % size})

        start, end = rng if rng else (0, size - 1)
        length = end - start + 1 if size else 0
        code = 206 if rng else 200
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Last-Modified", lastmod)
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "none" if rule.get("no_range") else "bytes")
        if rng:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
        if extra and rule.get("nolength"):
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(length + extra))
        self.end_headers()
        if body:
            self.send_body(f, start, length, extra, rule)
        self.log_done(code)

    def send_body(self, f, start, length, extra, rule):
        stall = rule.get("stall")
        stall = int(stall) if stall is not None else None
        f.seek(start)
        left = length
        while left > 0:
            n = min(CHUNK, left)
            if stall is not None:
                n = min(n, stall - self.sent)
                if n <= 0:
                    return self.stall()
            data = f.read(n)
            if not data or not self.write(data):
                return
            left -= len(data)
        junk = b"J" * CHUNK
        while extra > 0:
            if not self.write(junk[:min(CHUNK, extra)]):
                return
            extra -= min(CHUNK, extra)
        if stall is not None and self.sent >= stall:
            self.stall()

    def stall(self):
        # hold the connection open, sending nothing, until the client gives
        # up or the server stops
        try:
            self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True
        while not STOP.wait(0.2):
            try:
                # a closed peer makes the socket readable with EOF
                self.connection.setblocking(False)
                if self.connection.recv(1) == b"":
                    self.aborted = True
                    return
            except BlockingIOError:
                pass
            except OSError:
                self.aborted = True
                return
            finally:
                try:
                    self.connection.setblocking(True)
                except OSError:
                    return


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description="test HTTP server")
    ap.add_argument("root", help="folder to serve")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--stall", action="append", metavar="PATH:BYTES")
    ap.add_argument("--oversize", action="append", metavar="PATH:EXTRA")
    ap.add_argument("--oversize-nolength", action="append", metavar="PATH:EXTRA")
    ap.add_argument("--fail", action="append", metavar="PATH:N")
    ap.add_argument("--redirect", action="append", metavar="FROM:TO")
    ap.add_argument("--no-range", action="store_true")
    ap.add_argument("--control", metavar="FILE")
    args = ap.parse_args()

    srv = Server((args.bind, args.port), Handler)
    srv.root = os.path.abspath(args.root)
    srv.rules = Rules(args)

    def on_term(signum, frame):
        STOP.set()
        # shutdown() waits for serve_forever, so it must run on another thread
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        STOP.set()
        srv.server_close()


if __name__ == "__main__":
    main()
