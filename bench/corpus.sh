#!/bin/sh
# bench/corpus.sh DIR [SIZE_MB]
#
# Generate the benchmark corpus: a deterministic tree of about SIZE_MB
# megabytes (10^6 bytes; default 300) that looks like what Airlock carries:
#
#   ~24%  many small source-like text files (200 B .. 64 KB; C, Python,
#         shell, Markdown, JSON, Makefiles), a few empty files, and the same
#         LICENSE and .gitignore in every project (duplicate contents)
#   ~14%  medium text (logs, CSV, JSON, SQL dumps: 64 KB .. 2 MB)
#   ~16%  medium binary that compresses about 2:1 (.so/.bin/.a-like)
#   ~16%  two large compressible files (a text dump, a binary image)
#   ~30%  already-compressed data (.deb/.xz/.gz/.zst/.rpm/.jpg-like: an AES-CTR
#         keystream behind the right magic bytes, one of them large, plus
#         some real zlib-compressed .gz files)
#
# Everything comes from fixed seeds: Python's random.Random with a constant
# seed for structure and text, and `openssl enc -aes-128-ctr` with a fixed key
# over /dev/zero for incompressible bytes.  The same SIZE_MB gives the same
# bytes, names, modes and mtimes on every run (on the same zlib for the few
# real .gz files).  DIR must not exist or be empty.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: bench/corpus.sh DIR [SIZE_MB]" >&2
	exit 2
fi
dir=$1
size=${2:-300}
case $size in '' | *[!0-9]*) echo "corpus.sh: SIZE_MB must be a whole number" >&2; exit 2 ;; esac
[ "$size" -ge 10 ] || { echo "corpus.sh: SIZE_MB must be at least 10" >&2; exit 2; }
if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
	echo "corpus.sh: $dir exists and is not empty" >&2
	exit 1
fi
for t in python3 openssl; do
	command -v "$t" >/dev/null || { echo "corpus.sh: needs $t" >&2; exit 1; }
done
mkdir -p "$dir"

exec python3 - "$dir" "$size" <<'PYEOF'
import math, os, random, subprocess, sys, zlib

root, size_mb = sys.argv[1], int(sys.argv[2])
TOTAL = size_mb * 1000 * 1000
MTIME = 1700000000  # fixed mtimes keep `tar` output reproducible too

# ---- incompressible bytes: AES-128-CTR keystream with a fixed key ----
ks = subprocess.Popen(
    ["openssl", "enc", "-aes-128-ctr", "-nosalt",
     "-K", "000102030405060708090a0b0c0d0e0f",
     "-iv", "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", "-in", "/dev/zero"],
    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)

def noise(n):
    out = bytearray()
    while len(out) < n:
        b = ks.stdout.read(min(n - len(out), 1 << 20))
        if not b:
            sys.exit("corpus.sh: openssl keystream ended")
        out += b
    return bytes(out)

R = random.Random(20240611)

stats = {"files": 0, "bytes": 0}
kinds = {}

def put(rel, data, kind, mode=0o644):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    os.chmod(p, mode)
    os.utime(p, (MTIME, MTIME))
    stats["files"] += 1
    stats["bytes"] += len(data)
    k = kinds.setdefault(kind, [0, 0])
    k[0] += 1
    k[1] += len(data)

def logsize(lo, hi):
    # log-uniform: many small, a few big
    return int(math.exp(R.uniform(math.log(lo), math.log(hi))))

# ---- text generation: identifiers from syllables, lines from templates ----
SYL = ["al", "be", "cor", "da", "el", "fa", "gri", "ho", "in", "ju", "ka", "lo", "mi", "nu",
       "or", "pa", "qui", "ra", "so", "ti", "un", "ve", "wa", "xe", "yo", "ze", "str", "buf",
       "ctx", "len", "pos", "req", "res", "tmp", "cfg", "io", "net", "pkt", "hdr", "obj"]
def ident():
    return "_".join("".join(R.choice(SYL) for _ in range(R.randint(1, 3)))
                    for _ in range(R.randint(1, 2)))
IDS = [ident() for _ in range(3000)]
TYPES = ["int", "size_t", "uint8_t *", "const char *", "struct buf *", "void", "uint64_t", "bool"]
WORDS = ("the a of to in is that for it as with be on not this by are or from at an which "
         "packet buffer stream header value error return check size length channel bundle "
         "signature manifest object store import export verify quarantine volume media key "
         "trust policy sequence mirror serve read write open close file path node entry").split()

def sentence(n):
    return " ".join(R.choice(WORDS) for _ in range(n))

def c_line(ind):
    t = R.random()
    i = lambda: R.choice(IDS)
    if t < 0.18:
        s = "%s = %s(%s, %s);" % (i(), i(), i(), i())
    elif t < 0.30:
        s = "if (%s %s %d)" % (i(), R.choice(["<", ">", "==", "!=", ">="]), R.randint(0, 4096))
    elif t < 0.40:
        s = "return %s;" % R.choice([i(), "0", "-1", "NULL", "r"])
    elif t < 0.50:
        s = "/* %s */" % sentence(R.randint(3, 12))
    elif t < 0.62:
        s = "%s %s = %s;" % (R.choice(TYPES), i(), R.choice(["0", "NULL", i(), str(R.randint(1, 1 << 16))]))
    elif t < 0.70:
        s = "for (%s = 0; %s < %s; %s++) {" % ("i", "i", i(), "i")
    elif t < 0.78:
        s = "}"
    elif t < 0.86:
        s = 'fprintf(stderr, "%s: %%s\\n", %s);' % (sentence(R.randint(2, 6)), i())
    elif t < 0.93:
        s = "%s->%s = %s->%s + 0x%x;" % (i(), i(), i(), i(), R.getrandbits(16))
    else:
        s = ""
    return "\t" * ind + s

def py_line(ind):
    t = R.random()
    i = lambda: R.choice(IDS)
    if t < 0.25:
        s = "%s = %s(%s, %s=%s)" % (i(), i(), i(), i(), R.randint(0, 999))
    elif t < 0.38:
        s = "if %s %s %s:" % (i(), R.choice(["is", "==", "in", "<"]), i())
    elif t < 0.50:
        s = "return %s" % i()
    elif t < 0.62:
        s = "# %s" % sentence(R.randint(3, 12))
    elif t < 0.74:
        s = "self.%s.append(%s)" % (i(), i())
    elif t < 0.84:
        s = "def %s(self, %s, %s=None):" % (i(), i(), i())
    elif t < 0.94:
        s = 'raise ValueError("%s: %%r" %% %s)' % (sentence(R.randint(2, 6)), i())
    else:
        s = ""
    return "    " * ind + s

def md_line(ind):
    t = R.random()
    if t < 0.1:
        return "#" * R.randint(1, 3) + " " + sentence(R.randint(2, 6)).capitalize()
    if t < 0.2:
        return "- `%s`: %s" % (R.choice(IDS), sentence(R.randint(4, 14)))
    if t < 0.3:
        return ""
    return sentence(R.randint(6, 18)).capitalize() + "."

def json_line(ind):
    return '%s"%s": %s,' % ("  " * ind, R.choice(IDS),
                            R.choice(['"%s"' % R.choice(IDS), str(R.randint(0, 1 << 20)), "true", "null",
                                      '"%s"' % sentence(R.randint(1, 5))]))

def mk_line(ind):
    i = R.choice(IDS)
    return R.choice(["%s := %s.o %s.o" % (i.upper(), i, R.choice(IDS)),
                     "%s: %s.c\n\t$(CC) $(CFLAGS) -c -o $@ $<" % (i, i),
                     "# " + sentence(R.randint(3, 9))])

def log_line(ind):
    return "2024-%02d-%02dT%02d:%02d:%02d.%03dZ %s %s[%d]: %s %s=%d" % (
        R.randint(1, 12), R.randint(1, 28), R.randint(0, 23), R.randint(0, 59), R.randint(0, 59),
        R.randint(0, 999), R.choice(["INFO", "INFO", "INFO", "WARN", "DEBUG", "ERROR"]),
        R.choice(IDS[:40]), R.randint(100, 65000), sentence(R.randint(3, 10)),
        R.choice(IDS[:200]), R.randint(0, 1 << 24))

def csv_line(ind):
    return ",".join([str(R.randint(0, 10 ** 6)), R.choice(IDS[:300]), "%.4f" % R.random(),
                     R.choice(["ok", "fail", "skip"]), str(R.getrandbits(32))])

def sql_line(ind):
    return "INSERT INTO %s VALUES (%d, '%s', '%s', %d);" % (
        R.choice(IDS[:20]), R.randint(1, 10 ** 7), R.choice(IDS), sentence(R.randint(2, 8)),
        R.randint(0, 1 << 30))

GEN = {".c": c_line, ".h": c_line, ".py": py_line, ".sh": py_line, ".md": md_line, ".txt": md_line,
       ".json": json_line, ".mk": mk_line, ".log": log_line, ".csv": csv_line, ".sql": sql_line}

def text(ext, n):
    gen = GEN[ext]
    out, size, ind = [], 0, 0
    # A small repertoire of lines per file: real files repeat themselves.
    while size < n:
        if out and R.random() < 0.12:
            s = out[R.randrange(len(out))]
        else:
            ind = max(0, min(4, ind + R.choice([-1, 0, 0, 0, 1])))
            s = gen(ind)
        out.append(s)
        size += len(s) + 1
    data = ("\n".join(out) + "\n").encode()
    return data[:n] if n > 0 else b""

# ---- semi-compressible binary (.so/.a-like): a third noise, the rest "code" ----
# "Code" blocks are 16-byte records drawn from a table of 1024 patterns, each
# with 2 varying bytes: redundant within a few KB, as machine code and tables
# are, so a zstd test on the first 64 KB sees what the whole file does.
PATS = [noise(14) for _ in range(1024)]

def semibin(n, magic=b"\x7fELF\x02\x01\x01\x00"):
    out = bytearray(magic)
    while len(out) < n:
        if R.random() < 0.35:
            out += noise(4096)
        else:
            out += b"".join(PATS[R.randrange(1024)] + R.getrandbits(16).to_bytes(2, "little")
                            for _ in range(256))
    return bytes(out[:n])

MAGIC = {".deb": b"!<arch>\ndebian-binary   ", ".xz": b"\xfd7zXZ\x00\x00\x04", ".gz": b"\x1f\x8b\x08\x00",
         ".zst": b"\x28\xb5\x2f\xfd", ".rpm": b"\xed\xab\xee\xdb\x03\x00", ".jpg": b"\xff\xd8\xff\xe0",
         ".msu": b"MSCF\x00\x00\x00\x00"}

def compressed(ext, n):
    m = MAGIC[ext]
    return m + noise(max(0, n - len(m)))

# ---- the tree ----
NPROJ = max(4, size_mb // 10)
projects = ["%02d-%s" % (k, IDS[k * 7].replace("_", "-")) for k in range(NPROJ)]
LICENSE = text(".txt", 11357)
GITIGNORE = b"*.o\n*.a\n*.so\nbuild/\n__pycache__/\n.deps/\n"
for p in projects:
    put(p + "/LICENSE", LICENSE, "small-text")
    put(p + "/.gitignore", GITIGNORE, "small-text")

def budget(frac):
    return int(TOTAL * frac)

def fill(frac, make):
    b, k = budget(frac), 0
    while b > 0:
        b -= make(k, b)
        k += 1

# small source-like text
SMALL_EXT = [".c", ".c", ".h", ".h", ".py", ".md", ".json", ".mk", ".sh", ".txt"]
SUB = ["src", "src/core", "src/net", "include", "lib", "tests", "docs", "scripts", "tools/gen", "contrib"]
def small(k, left):
    ext = R.choice(SMALL_EXT)
    n = min(left, logsize(200, 65536))
    if k % 500 == 7:
        n = 0  # an empty file now and then (__init__.py and friends)
    p = "%s/%s/%s%s" % (R.choice(projects), R.choice(SUB), IDS[k % len(IDS)] + "_%d" % k, ext)
    put(p, text(ext, n), "small-text", 0o755 if ext == ".sh" else 0o644)
    return max(n, 1)
fill(0.24, small)

def medtext(k, left):
    ext = R.choice([".log", ".csv", ".json", ".sql", ".md"])
    n = min(left, logsize(64 << 10, 2 << 20))
    put("%s/data/%s-%d%s" % (R.choice(projects), R.choice(IDS), k, ext), text(ext, n), "medium-text")
    return n
fill(0.14, medtext)

def medbin(k, left):
    ext = R.choice([".so", ".bin", ".a", ".o", ".dat"])
    n = min(left, logsize(256 << 10, 4 << 20))
    put("%s/build/%s-%d%s" % (R.choice(projects), R.choice(IDS), k, ext), semibin(n), "medium-binary")
    return n
fill(0.16, medbin)

put("%s/dumps/catalog-full.sql" % projects[0], text(".sql", budget(0.08)), "large-text")
put("%s/images/firmware.img" % projects[1 % NPROJ], semibin(budget(0.08), b"FWIMG\x00\x01\x00"),
    "large-binary")

# already compressed: one large, a few real .gz, the rest medium
put("%s/dist/%s_1.2.3_amd64.deb" % (projects[2 % NPROJ], IDS[5]), compressed(".deb", budget(0.12)),
    "compressed")
def realgz(k, left):
    raw = text(R.choice([".c", ".log", ".json"]), logsize(100 << 10, 3 << 20))
    z = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip framing, no name, mtime 0
    data = z.compress(raw) + z.flush()
    data = data[:min(len(data), left)]
    put("%s/dist/%s-%d.tar.gz" % (R.choice(projects), R.choice(IDS), k), data, "compressed")
    return max(len(data), 1)
fill(0.025, realgz)
def comp(k, left):
    ext = R.choice([".deb", ".deb", ".deb", ".xz", ".gz", ".zst", ".rpm", ".jpg", ".msu"])
    n = min(left, logsize(16 << 10, 6 << 20))
    put("%s/dist/%s_%d%s" % (R.choice(projects), R.choice(IDS), k, ext), compressed(ext, n), "compressed")
    return max(n, 1)
fill(0.30 - 0.12 - 0.025, comp)

ks.kill()
ks.wait()
for dp, dn, fn in os.walk(root):
    os.utime(dp, (MTIME, MTIME))

print("corpus: %s: %d files, %d bytes" % (root, stats["files"], stats["bytes"]))
for k, (n, b) in sorted(kinds.items()):
    print("  %-14s %6d files %12d bytes (%4.1f%%)" % (k, n, b, 100.0 * b / stats["bytes"]))
PYEOF
