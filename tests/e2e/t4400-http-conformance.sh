#!/bin/bash
# 'airlock serve' as HTTP clients see it: HEAD, single and suffix ranges, 416,
# 304 by ETag and by date, 404 for unknown and traversing paths (plain,
# percent-encoded, encoded slashes), 405 with Allow, keep-alive; the
# slow-client timeout, the connection limits, draining on SIGTERM; the access
# log (object hashes, reopened on SIGHUP, each closed segment anchored in the
# audit log by its SHA-256).  As root: the switch to an unprivileged user,
# which still serves what is imported after the start, and the anchors'
# fallback when that user cannot write the catalog.
. "$(dirname "$0")/test-lib.sh"

setup_accepted_base
stop_server
SRC=$T/tree1

# serve HOME ARGS...: start_server with more options; ready once it says "serving".
serve() {
	local h=$1 base port i n log
	shift
	stop_server
	base=$((20000 + RANDOM % 30000))
	for ((i = 0; i < 20; i++)); do
		port=$((base + i))
		log=$T/serve-$port.log
		"$AIRLOCK" --home "$h" serve --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 </dev/null &
		SERVER_PID=$! SERVER_URL=http://127.0.0.1:$port SERVER_LOG=$log PORT=$port
		for ((n = 0; n < 100; n++)); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			if grep -qs '^airlock: serving ' "$log"; then
				echo "server $SERVER_PID on $SERVER_URL: airlock serve $*"
				return 0
			fi
			sleep 0.05
		done
		if kill -0 "$SERVER_PID" 2>/dev/null; then
			cat "$log" >&2
			fail "airlock serve on port $port did not start within 5 s"
		fi
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
		grep -qiE 'in use' "$log" || {
			cat "$log" >&2
			fail "airlock serve exited at start"
		}
	done
	fail "no free port found for airlock serve"
}

# wait_for FILE ERE: the server wrote a line matching ERE within 5 s.
wait_for() {
	local n
	for ((n = 0; n < 100; n++)); do
		grep -qE -- "$2" "$1" && return 0
		sleep 0.05
	done
	cat "$1" >&2
	fail "no line matching /$2/ in '$1' within 5 s"
}

# wait_exit: the server exits on its own within 5 s; sets SERVER_RC.
wait_exit() {
	local n
	for ((n = 0; n < 100; n++)); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$SERVER_PID" 2>/dev/null && fail "the server is still running 5 s later"
	SERVER_RC=0
	wait "$SERVER_PID" || SERVER_RC=$?
	SERVER_PID=
}

# req [CURL-ARGS...] PATH: status code; headers (CR removed) in $T/h, body in $T/b.
req() {
	local path=${*: -1}
	curl -s --max-time 20 -D "$T/h.raw" -o "$T/b" -w '%{http_code}' "${@:1:$#-1}" "$SERVER_URL$path" || true
	tr -d '\r' <"$T/h.raw" >"$T/h"
}

expect_status() { # WANT [CURL-ARGS...] PATH
	local want=$1 got
	shift
	got=$(req "$@")
	echo "${*: -1} ${*:1:$#-1} -> $got"
	[ "$got" = "$want" ] || {
		cat "$T/h" >&2
		fail "${*: -1} ${*:1:$#-1}: status $got, expected $want"
	}
}

header() { # NAME: its value in $T/h
	awk -v n="$1" 'BEGIN { FS = ": " } tolower($1) == tolower(n) { sub(/^[^:]*: /, ""); print; exit }' "$T/h"
}

# Raw HTTP where curl hides what matters; the helpers are in $T/rawhttp.py.
cat >"$T/rawhttp.py" <<'EOF'
import http.client, os, signal, socket, sys, time

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=10)

def read_all(s):
    out = b""
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            break
        if not d:
            break
        out += d
    return out

def split(resp):
    head, sep, body = resp.partition(b"\r\n\r\n")
    if not sep:
        fail("no end of headers in %r" % resp[:200])
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return lines[0], hdrs, body

def one(port, data):
    s = connect(port)
    s.sendall(data)
    return read_all(s)

# A response on an open keep-alive socket: headers, then Content-Length bytes.
def response(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            fail("connection closed before a response")
        buf += d
    status, hdrs, body = split(buf)
    n = int(hdrs["content-length"])
    while len(body) < n:
        d = s.recv(65536)
        if not d:
            fail("connection closed inside a body")
        body += d
    return status, hdrs, body

def get(s, path):
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n")
    return response(s)

# The server closes s (EOF or reset) within limit seconds; how long it took.
def closed_within(s, limit):
    s.settimeout(limit)
    t = time.monotonic()
    try:
        d = s.recv(100)
    except ConnectionResetError:
        d = b""
    except socket.timeout:
        fail("connection still open after %.1f s" % limit)
    if d:
        fail("the server answered %r instead of closing" % d[:60])
    return time.monotonic() - t

def still_open(s):
    s.settimeout(0.3)
    try:
        d = s.recv(1)
    except socket.timeout:
        return True
    except ConnectionResetError:
        return False
    return False

cmd, port = sys.argv[1], int(sys.argv[2])
args = sys.argv[3:]

if cmd == "head":
    path, size, etag = args
    status, hdrs, body = split(one(port, b"HEAD " + path.encode() + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"))
    print(status, hdrs)
    if not status.startswith("HTTP/1.1 200"):
        fail("HEAD status: " + status)
    if hdrs.get("content-length") != size:
        fail("HEAD Content-Length %r, the file has %s bytes" % (hdrs.get("content-length"), size))
    if hdrs.get("etag") != etag:
        fail("HEAD ETag %r, expected %s" % (hdrs.get("etag"), etag))
    if body:
        fail("HEAD sent a body: %r" % body[:60])

elif cmd == "keepalive":
    want = [open(f, "rb").read() for f in args[1::2]]
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    socks = []
    for path, body in zip(args[0::2], want):
        c.request("GET", path)
        r = c.getresponse()
        got = r.read()
        if r.status != 200 or got != body:
            fail("GET %s on the kept connection: %d, %d bytes" % (path, r.status, len(got)))
        if r.will_close:
            fail("the server closes the connection after GET " + path)
        socks.append((id(c.sock), c.sock.getsockname()))
    if len(set(socks)) != 1:
        fail("the requests went over different connections: %r" % socks)
    print("%d requests over one connection from %r" % (len(socks), socks[0][1]))

elif cmd == "slow":
    # a partial request line, then silence: closed after the timeout, not before
    limit = float(args[0])
    s = connect(port)
    s.sendall(b"GET /tools/READ")
    took = closed_within(s, limit + 5)
    print("partial request closed after %.2f s" % took)
    if took < limit - 0.5:
        fail("closed after %.2f s, before the %s s timeout" % (took, args[0]))
    # a slow client that does finish within the timeout is served
    s = connect(port)
    s.sendall(b"GET /tools/READ")
    time.sleep(limit / 2)
    s.sendall(b"ME.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    status, hdrs, body = split(read_all(s))
    if not status.startswith("HTTP/1.1 200") or body != open(args[1], "rb").read():
        fail("the slow but timely request got " + status)

elif cmd == "limit":
    # n connections, each proven accepted by a response; the next is closed at once
    n, path = int(args[0]), args[1]
    held = [connect(port) for _ in range(n)]
    for s in held:
        if not get(s, path)[0].startswith("HTTP/1.1 200"):
            fail("a connection within the limit was not served")
    extra = connect(port)
    took = closed_within(extra, 3)
    print("connection %d closed after %.3f s" % (n + 1, took))
    for i, s in enumerate(held):
        if not still_open(s) or not get(s, path)[0].startswith("HTTP/1.1 200"):
            fail("held connection %d was not kept" % i)
    # freeing one makes room for one
    held.pop().close()
    time.sleep(0.5)
    s = connect(port)
    if not get(s, path)[0].startswith("HTTP/1.1 200"):
        fail("no room after a connection closed")
    print("%d held, the next refused, room again after one closed" % n)

elif cmd == "drain":
    # a request under way (its body not sent yet) when SIGTERM comes
    pid, path, file = int(args[0]), args[1], args[2]
    s = connect(port)
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 4\r\n\r\n")
    idle = connect(port)
    time.sleep(0.5)
    os.kill(pid, signal.SIGTERM)
    time.sleep(1)
    state = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0]
    if state == "Z":
        fail("the server exited with a request under way")
    try:
        connect(port).close()
        fail("a new connection was accepted while draining")
    except ConnectionRefusedError:
        print("draining: new connections refused")
    s.sendall(b"abcd")
    status, hdrs, body = split(read_all(s))
    if not status.startswith("HTTP/1.1 200") or body != open(file, "rb").read():
        fail("the request under way got %s and %d bytes" % (status, len(body)))
    print("the request under way finished: " + status)

else:
    fail("unknown command " + cmd)
EOF
http() { python3 "$T/rawhttp.py" "$@" || fail "rawhttp.py $1 failed"; }

# Anchors reach the audit log only if the server's user may write the catalog
# (as root, the server runs as nobody: let it through $T and own the catalog).
mkdir "$T/logs"
RUN_AS=()
if [ "$(id -u)" = 0 ]; then
	RUN_AS=(--user nobody)
	chown nobody "$T/logs"
	chmod 0711 "$T"
	chown nobody: "$IMP" "$IMP"/catalog.db*
fi
LOG=$T/logs/access.log

say "conformance: HEAD, Range, conditional requests"
serve "$IMP" --access-log "$LOG" ${RUN_AS[@]+"${RUN_AS[@]}"}
f=$SRC/README.txt
size=$(stat -c %s "$f")
sha=$(sha256sum "$f" | cut -d' ' -f1)
http head "$PORT" /tools/README.txt "$size" "\"$sha\""

expect_status 200 /tools/README.txt
cmp -s "$T/b" "$f" || fail "GET body differs from the file"
assert_eq "$(header Content-Length)" "$size" "GET Content-Length"
assert_eq "$(header ETag)" "\"$sha\"" "ETag"
assert_eq "$(header Accept-Ranges)" bytes "Accept-Ranges"
lastmod=$(header Last-Modified)
[ -n "$lastmod" ] || fail "no Last-Modified"

expect_status 206 -r 2-5 /tools/README.txt
cmp -s "$T/b" <(tail -c +3 "$f" | head -c 4) || fail "bytes 2-5 differ from the file's"
assert_eq "$(header Content-Range)" "bytes 2-5/$size" "Content-Range of bytes=2-5"
assert_eq "$(header Content-Length)" 4 "Content-Length of bytes=2-5"

expect_status 206 -H "Range: bytes=-3" /tools/README.txt
cmp -s "$T/b" <(tail -c 3 "$f") || fail "bytes=-3 is not the last 3 bytes"
assert_eq "$(header Content-Range)" "bytes $((size - 3))-$((size - 1))/$size" "Content-Range of bytes=-3"

expect_status 416 -H "Range: bytes=$size-" /tools/README.txt
assert_eq "$(header Content-Range)" "bytes */$size" "Content-Range of a 416"
[ ! -s "$T/b" ] || fail "a 416 carried the file"

expect_status 304 -H "If-None-Match: \"$sha\"" /tools/README.txt
[ ! -s "$T/b" ] || fail "a 304 carried a body"
assert_eq "$(header ETag)" "\"$sha\"" "ETag of a 304"
expect_status 200 -H "If-None-Match: \"$(sha256sum "$SRC/docs/guide.md" | cut -d' ' -f1)\"" /tools/README.txt
expect_status 304 -H "If-Modified-Since: $lastmod" /tools/README.txt
expect_status 200 -H "If-Modified-Since: $(date -u -d "@$(($(date -u -d "$lastmod" +%s) - 86400))" '+%a, %d %b %Y %H:%M:%S GMT')" \
	/tools/README.txt

say "conformance: 404 for what is not served, traversal in every spelling"
expect_status 404 /tools/no-such-file
expect_status 404 /nosuch/README.txt
expect_status 200 /tools/docs%2Fguide.md # an encoded slash separates like a plain one
cmp -s "$T/b" "$SRC/docs/guide.md" || fail "docs%2Fguide.md is not docs/guide.md"
for p in /tools/../tools/README.txt /tools/docs/../README.txt /tools/%2e%2e/tools/README.txt \
	/tools/docs/%2E%2E/README.txt /tools%2F..%2Ftools%2FREADME.txt /tools/docs%2F..%2FREADME.txt \
	/%2e%2e%2Fcatalog.db /tools/..%2F..%2Fcatalog.db /tools/%2e%2e%2f%2e%2e%2fairlock.conf \
	/tools/./README.txt /tools//README.txt; do
	expect_status 404 --path-as-is "$p"
	assert_contains "$T/b" "not found"
done
expect_status 400 /tools/README.txt%00
expect_status 400 /tools/%zz

say "conformance: other methods get 405 with Allow"
for m in POST PUT DELETE; do
	expect_status 405 -X "$m" --data-binary x /tools/README.txt
	assert_eq "$(header Allow)" "GET, HEAD" "Allow on $m"
done

say "keep-alive: two requests, one connection"
http keepalive "$PORT" /tools/README.txt "$f" /tools/docs/guide.md "$SRC/docs/guide.md"

say "the access log names the object served"
[ -f "$LOG" ] || fail "no access log at $LOG"
assert_grep "$LOG" "^[0-9TZ:-]+ 127\.0\.0\.1 GET /tools/README\.txt $sha $size 200\$"
assert_grep "$LOG" "^[0-9TZ:-]+ 127\.0\.0\.1 GET /tools/no-such-file - [0-9]+ 404\$"
assert_grep "$LOG" "^[0-9TZ:-]+ 127\.0\.0\.1 POST /tools/README\.txt - [0-9]+ 405\$"
assert_not_contains "$SERVER_LOG" "/tools/README.txt" # access lines go to the file only

say "SIGHUP reopens a rotated log; the closed segment is anchored in the audit log"
mv "$LOG" "$LOG.1"
kill -HUP "$SERVER_PID"
wait_for "$SERVER_LOG" "^airlock: reopened the access log '$LOG'"
expect_status 200 /tools/docs/CHANGES
[ -f "$LOG" ] || fail "SIGHUP made no new $LOG"
assert_grep "$LOG" " GET /tools/docs/CHANGES [0-9a-f]{64} "
assert_not_contains "$LOG.1" "/tools/docs/CHANGES"
assert_not_contains "$LOG" "/tools/README.txt"
expect_exit 0 airlock --home "$IMP" audit log --json
anchor=$(json_get "$OUT" '[r for r in d if r["action"] == "serve.log"][-1]')
echo "anchor: $anchor"
assert_eq "$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["subject"])' "$anchor")" "$LOG" "serve.log subject"
detail() { python3 -c 'import json, sys; print(json.loads(json.loads(sys.argv[1])["detail"])[sys.argv[2]])' "$anchor" "$1"; }
assert_eq "$(detail sha256)" "$(sha256sum <"$LOG.1" | cut -d' ' -f1)" "serve.log sha256 of the rotated file"
assert_eq "$(detail lines)" "$(wc -l <"$LOG.1")" "serve.log lines"
assert_eq "$(detail bytes)" "$(stat -c %s "$LOG.1")" "serve.log bytes"
json_get "$OUT" '[r["detail"] for r in d if r["action"] == "serve.start"][-1]' >"$T/start"
assert_contains "$T/start" "\"access_log\":\"$LOG\""
assert_contains "$T/start" "\"user\":\"$(if [ ${#RUN_AS[@]} -gt 0 ]; then echo nobody; else id -un; fi)\""

say "SIGTERM drains: the request under way finishes, new connections are refused, exit 0"
http drain "$PORT" "$SERVER_PID" /tools/README.txt "$f"
pid=$SERVER_PID
wait_exit
assert_eq "$SERVER_RC" 0 "exit status after SIGTERM"
assert_grep "$SERVER_LOG" "^airlock: waiting up to [0-9]+ s for 1 requests under way"
[ ! -e "/proc/$pid" ] || fail "server $pid is still there"
expect_exit 0 airlock --home "$IMP" audit log --json
anchor=$(json_get "$OUT" '[r for r in d if r["action"] == "serve.log"][-1]')
assert_eq "$(detail sha256)" "$(sha256sum <"$LOG" | cut -d' ' -f1)" "serve.log sha256 of the last segment"
assert_eq "$(detail lines)" "$(wc -l <"$LOG")" "serve.log lines of the last segment"
assert_eq "$(detail bytes)" "$(stat -c %s "$LOG")" "serve.log bytes of the last segment"
assert_eq "$(wc -l <"$LOG")" 2 "lines in the new log (CHANGES, then README.txt while draining)"
json_get "$OUT" '[r["detail"] for r in d if r["action"] == "serve.stop"][-1]' >"$T/stop"
assert_contains "$T/stop" '"signal":"SIGTERM"'
assert_contains "$T/stop" '"unfinished":0'
expect_exit 0 airlock --home "$IMP" audit verify

say "slow clients: a partial request is closed after --timeout"
serve "$IMP" --timeout 2 --threads 1 ${RUN_AS[@]+"${RUN_AS[@]}"}
http slow "$PORT" 2 "$f"
stop_server
assert_eq "$SERVER_RC" 0 "exit status after SIGTERM"
assert_not_contains "$SERVER_LOG" "airlock: http:" # nothing for MHD to complain about with one thread

say "--max-connections 4: four idle connections stay, the fifth is closed at once"
serve "$IMP" --max-connections 4 --threads 2 ${RUN_AS[@]+"${RUN_AS[@]}"}
http limit "$PORT" 4 /tools/README.txt
stop_server
assert_eq "$SERVER_RC" 0 "exit status after SIGTERM"

say "--max-per-ip 2: a third connection from one address is closed at once"
serve "$IMP" --max-per-ip 2 ${RUN_AS[@]+"${RUN_AS[@]}"}
http limit "$PORT" 2 /tools/README.txt
stop_server

say "option errors"
expect_exit 2 airlock --home "$IMP" serve --threads 0
expect_exit 2 airlock --home "$IMP" serve --timeout soon
expect_exit 2 airlock --home "$IMP" serve --max-connections -1
expect_exit 2 airlock --home "$IMP" serve --user root
expect_exit 2 airlock --home "$IMP" serve --user no-such-user-here
expect_exit 1 airlock --home "$IMP" serve --listen 127.0.0.1:0 --access-log "$T/no/such/dir/a.log"
assert_grep "$ERR" "access log '$T/no/such/dir/a.log'"

if [ "$(id -u)" != 0 ]; then
	echo "not root: the privilege switch is not tested"
	exit 0
fi

say "as root, with no --user: the server runs as 'airlock' or else 'nobody'"
want=nobody
getent passwd airlock >/dev/null && want=airlock
serve "$IMP"
assert_grep "/proc/$SERVER_PID/status" "^Uid:\s+$(id -u "$want")\s+$(id -u "$want")\s+$(id -u "$want")\s+$(id -u "$want")$"
stop_server

say "as root, --user nobody, a catalog nobody cannot write: anchors go to the log and stderr"
chmod 0700 "$T"
chown root: "$IMP" "$IMP"/catalog.db*
LOG=$T/logs/e.log
serve "$IMP" --user nobody --access-log "$LOG"
uid=$(id -u nobody)
gid=$(id -g nobody)
grep -E '^(Uid|Gid|Groups):' "/proc/$SERVER_PID/status"
assert_grep "/proc/$SERVER_PID/status" "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$"
assert_grep "/proc/$SERVER_PID/status" "^Gid:\s+$gid\s+$gid\s+$gid\s+$gid$"
assert_grep "/proc/$SERVER_PID/status" "^Groups:\s*$"
check_served_tree tools "$SRC"
expect_exit 0 airlock --home "$IMP" import "$B2"
check_served_tree tools "$T/tree2"
expect_status 200 /tools/docs/new.txt
assert_grep "$LOG" " GET /tools/docs/new\.txt $(sha256sum "$T/tree2/docs/new.txt" | cut -d' ' -f1) "

before=$(sqlite3 "$IMP/catalog.db" "SELECT count(*) FROM audit WHERE action = 'serve.log'")
mv "$LOG" "$LOG.1"
kill -HUP "$SERVER_PID"
wait_for "$SERVER_LOG" "^airlock: reopened the access log '$LOG'"
line=$(grep "^airlock: serve.log '$LOG' " "$LOG.1" || true)
[ -n "$line" ] || fail "no anchor line at the end of $LOG.1"
assert_eq "$(tail -n 1 "$LOG.1")" "$line" "last line of $LOG.1"
assert_contains "$SERVER_LOG" "$line"
assert_contains "$LOG.1" "not in the audit log"
bytes=$(grep -oE '"bytes":[0-9]+' <<<"$line" | cut -d: -f2)
lines=$(grep -oE '"lines":[0-9]+' <<<"$line" | cut -d: -f2)
hash=$(grep -oE '"sha256":"[0-9a-f]{64}"' <<<"$line" | cut -d'"' -f4)
assert_eq "$(head -c "$bytes" "$LOG.1" | sha256sum | cut -d' ' -f1)" "$hash" "anchored sha256 of $LOG.1"
assert_eq "$(head -c "$bytes" "$LOG.1" | wc -l)" "$lines" "anchored lines of $LOG.1"
assert_eq "$((bytes + ${#line} + 1))" "$(stat -c %s "$LOG.1")" "segment and anchor make up $LOG.1"
assert_eq "$(sqlite3 "$IMP/catalog.db" "SELECT count(*) FROM audit WHERE action = 'serve.log'")" "$before" \
	"serve.log records after a failed anchor"
stop_server
assert_eq "$SERVER_RC" 0 "exit status after SIGTERM"
assert_grep "$SERVER_LOG" "^airlock: serve.stop .*\"user\":\"nobody\".*not in the audit log"

say "as root, a log folder the user cannot write stops the start"
mkdir "$T/rootlogs"
expect_exit 1 airlock --home "$IMP" serve --listen 127.0.0.1:0 --user nobody --access-log "$T/rootlogs/a.log"
assert_grep "$ERR" "cannot open the access log '$T/rootlogs/a.log': permission denied"
expect_exit 0 airlock --home "$IMP" audit verify
