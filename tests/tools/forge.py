#!/usr/bin/env python3
"""forge.py: turn a genuine Airlock bundle folder into a hostile one.

For the hostile-input tests (tests/e2e/t21NN-*.sh).  Each subcommand edits a
bundle folder in place and keeps everything else valid: the manifest stays in
canonical form (docs/bundle-format.md 4.7) with its pack and part lines
matching the bytes on the volume, so that after `resign` the bundle passes
the signature checks and only the check under test can stop it.

  forge.py repack BUNDLE [--pack N] [--parts K] [--format ustar|gnu|pax] [--entries SPEC...]
      Rebuild pack N (default 1) from its genuine objects, apply the SPECs,
      compress it as the manifest says, cut it into K parts (default: as many
      as before) and rewrite its pack and part lines.  With no SPEC the pack
      is rebuilt genuine (a control: the import must accept it).  SPEC:
        symlink=OBJ[:TARGET]   OBJ's entry is a symbolic link (to /etc/passwd)
        hardlink=OBJ[:TARGET]  OBJ's entry is a hard link (to another object of the pack)
        chardev=OBJ            a character device (1,3)      blockdev=OBJ (8,0)
        fifo=OBJ               a FIFO                         dir=OBJ  a folder
        name=OBJ:NAME          OBJ's content under entry name NAME ('%h' is OBJ's hash)
        dup=OBJ                OBJ's entry twice in a row
        oversize=OBJ[:EXTRA]   OBJ's content plus EXTRA bytes (1024), named OBJ, header size true
        sparse=OBJ[:SIZE]      a sparse entry named OBJ: its content, then a hole up to SIZE
                               (size + 1 MiB); written by GNU tar (--format gnu or pax)
        drop=OBJ               OBJ's entry left out
        extra=FILE             one more entry, FILE's content named by its hash
        trailer=FILE           FILE's bytes after the end-of-archive blocks
      OBJ: a 64-hex object hash, `first` / `second` (the first / second
      non-empty object of the pack in hash order), or @PATH (the object of the
      file line with that path).

  forge.py add-file BUNDLE --source S --path P (--content FILE | --object HASH) [--mode 0644]
      Add a file line.  A new object travels in a new pack of its own.

  forge.py rename-file BUNDLE --source S --path OLD --to NEW
      Change the path of one file line.

  forge.py graft BUNDLE --from OTHER --pack N
      Make pack N of BUNDLE the pack N of OTHER: its pack and part lines and
      its part files.  Objects and files stay as they were; the signature is
      left alone (so it no longer matches).

  forge.py resign BUNDLE --gnupg HOME --key FPR
      Remove signatures/* and sign the manifest (binary, detached, armoured)
      as signatures/FPR.asc; then check the new signature with gpg --verify.

Paths are taken as raw bytes (os.fsencode), so control characters and
invalid UTF-8 pass through.  Python standard library only, plus the `zstd`,
`tar` and `gpg` programs.  Prints what it changed; exits 1 on any error,
including an edit that leaves the manifest unchanged.
"""

import argparse
import calendar
import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time

HEX64 = re.compile(rb"^[0-9a-f]{64}$")
HEADER_KEYS = [b"airlock-manifest", b"channel", b"sequence", b"created", b"expires", b"previous", b"base"]


class ForgeError(Exception):
    pass


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- manifest


class Manifest:
    """A lenient parser and a canonical writer: the writer does not check
    paths, so hostile ones go out exactly as given."""

    def __init__(self, raw):
        self.header = []  # the seven header lines, raw
        self.sources = []  # [name, kind]
        self.packs = []  # dicts: id, comp, size, sha
        self.parts = []  # dicts: pack, index, volume, size, sha, name
        self.objects = []  # dicts: sha, size, pack
        self.files = []  # dicts: source, mode, sha, path (bytes)
        if not raw.endswith(b"\n"):
            raise ForgeError("manifest does not end in a line feed")
        lines = raw[:-1].split(b"\n")
        if len(lines) < 8 or lines[-1] != b"end":
            raise ForgeError("manifest too short or not ended by 'end'")
        for i, key in enumerate(HEADER_KEYS):
            if lines[i].split(b" ", 1)[0] != key:
                raise ForgeError("manifest line %d: expected '%s'" % (i + 1, key.decode()))
            self.header.append(lines[i])
        for ln in lines[7:-1]:
            kw = ln.split(b" ", 1)[0]
            if kw == b"source":
                _, name, kind = ln.split(b" ")
                self.sources.append([name, kind])
            elif kw == b"pack":
                _, pid, comp, size, sha = ln.split(b" ")
                self.packs.append({"id": int(pid), "comp": comp, "size": int(size), "sha": sha})
            elif kw == b"part":
                _, pack, idx, vol, size, sha, name = ln.split(b" ")
                self.parts.append({"pack": int(pack), "index": int(idx), "volume": int(vol),
                                   "size": int(size), "sha": sha, "name": name})
            elif kw == b"object":
                _, sha, size, pack = ln.split(b" ")
                self.objects.append({"sha": sha, "size": int(size), "pack": int(pack)})
            elif kw == b"file":
                _, src, mode, sha, path = ln.split(b" ", 4)
                self.files.append({"source": src, "mode": mode, "sha": sha, "path": path})
            else:
                raise ForgeError("unknown manifest line %r" % ln[:60])

    def created_epoch(self):
        t = self.header[3].split(b" ", 1)[1].decode()
        return calendar.timegm(time.strptime(t, "%Y-%m-%dT%H:%M:%SZ"))

    def pack(self, pid):
        for p in self.packs:
            if p["id"] == pid:
                return p
        raise ForgeError("the manifest has no pack %d" % pid)

    def parts_of(self, pid):
        return sorted((p for p in self.parts if p["pack"] == pid), key=lambda p: p["index"])

    def objects_of(self, pid):
        return [o for o in self.objects if o["pack"] == pid]

    def object(self, sha):
        for o in self.objects:
            if o["sha"] == sha:
                return o
        return None

    def write(self):
        self.sources.sort(key=lambda s: s[0])
        self.packs.sort(key=lambda p: p["id"])
        self.parts.sort(key=lambda p: (p["pack"], p["index"]))
        self.objects.sort(key=lambda o: o["sha"])
        self.files.sort(key=lambda f: (f["source"], f["path"]))  # stable: duplicates stay in order
        out = [h + b"\n" for h in self.header]
        out += [b"source %s %s\n" % (s[0], s[1]) for s in self.sources]
        out += [b"pack %d %s %d %s\n" % (p["id"], p["comp"], p["size"], p["sha"]) for p in self.packs]
        out += [b"part %d %d %d %d %s %s\n" % (p["pack"], p["index"], p["volume"], p["size"], p["sha"], p["name"])
                for p in self.parts]
        out += [b"object %s %d %d\n" % (o["sha"], o["size"], o["pack"]) for o in self.objects]
        out += [b"file %s %s %s %s\n" % (f["source"], f["mode"], f["sha"], f["path"]) for f in self.files]
        out.append(b"end\n")
        return b"".join(out)


class Bundle:
    def __init__(self, path):
        self.path = path
        self.mpath = os.path.join(path, "manifest")
        if not os.path.isfile(self.mpath):
            raise ForgeError("'%s' is not a bundle folder (no manifest)" % path)
        with open(self.mpath, "rb") as f:
            self.orig = f.read()
        self.m = Manifest(self.orig)
        if self.m.write() != self.orig:
            raise ForgeError("'%s': the manifest is not canonical to start with" % self.mpath)

    def part_path(self, part):
        return os.path.join(self.path, "packs", part["name"].decode())

    def read_pack(self, pid):
        data = b""
        for pt in self.m.parts_of(pid):
            with open(self.part_path(pt), "rb") as f:
                data += f.read()
        return data

    def save(self):
        new = self.m.write()
        if new == self.orig:
            raise ForgeError("the manifest did not change")
        with open(self.mpath, "wb") as f:
            f.write(new)
        print("forge: manifest %s -> %s" % (sha256(self.orig)[:16], sha256(new)[:16]))


def run(cmd, data=None):
    p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise ForgeError("%s failed (exit %d): %s" % (cmd[0], p.returncode, p.stderr.decode(errors="replace")))
    return p.stdout


def decompress(comp, data):
    return run(["zstd", "-q", "-d", "-c"], data) if comp == b"zstd" else data


def compress(comp, data):
    return run(["zstd", "-q", "-3", "-c", "--no-progress"], data) if comp == b"zstd" else data


# ---------------------------------------------------------------- tar entries

FORMATS = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}


def entry_bytes(info, data, fmt):
    """One tar entry: header block(s) and the content padded to 512 bytes."""
    buf = info.tobuf(FORMATS[fmt], "utf-8", "surrogateescape")
    if data:
        buf += data + b"\0" * (-len(data) % 512)
    return buf


def tarinfo(name, mtime, size=0, typ=tarfile.REGTYPE):
    ti = tarfile.TarInfo(name)
    ti.size, ti.type, ti.mode, ti.mtime = size, typ, 0o644, mtime
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    return ti


def sparse_entry(name, data, logical, mtime, fmt):
    """A sparse entry written by GNU tar: data at offset 0, then a hole."""
    if logical <= len(data):
        raise ForgeError("sparse size %d is not above the content size %d" % (logical, len(data)))
    with tempfile.TemporaryDirectory() as d:  # under $TMPDIR, which the tests set to $T/tmp
        f = os.path.join(d, "f")
        with open(f, "wb") as fh:
            fh.write(data)
            fh.truncate(logical)
        out = run(["tar", "-c", "-f", "-", "-b", "1", "--sparse", "--format=%s" % fmt,
                   "--owner=0", "--group=0", "--numeric-owner", "--mode=0644", "--mtime=@%d" % mtime,
                   "--transform=s|^f$|%s|" % name, "-C", d, "f"])
    if len(out) < 2048 or out[-1024:] != b"\0" * 1024:
        raise ForgeError("unexpected GNU tar output (%d bytes)" % len(out))
    body = out[:-1024]  # drop the end-of-archive blocks: the entry goes into our archive
    # make sure GNU tar really wrote a sparse entry with the logical size asked for
    with tarfile.open(fileobj=io.BytesIO(out)) as t:
        m = t.getmembers()
        if len(m) != 1 or not m[0].issparse() or m[0].size != logical or m[0].name != name:
            raise ForgeError("GNU tar did not write a sparse entry '%s' of %d bytes" % (name, logical))
    return body


def resolve(b, pid, sel):
    objs = sorted(b.m.objects_of(pid), key=lambda o: o["sha"])
    nonempty = [o for o in objs if o["size"] > 0]
    if sel in ("first", "second"):
        i = 0 if sel == "first" else 1
        if len(nonempty) <= i:
            raise ForgeError("pack %d has no %s non-empty object" % (pid, sel))
        return nonempty[i]["sha"].decode()
    if sel.startswith("@"):
        path = os.fsencode(sel[1:])
        for f in b.m.files:
            if f["path"] == path:
                return f["sha"].decode()
        raise ForgeError("no file line with path '%s'" % sel[1:])
    if not HEX64.match(sel.encode()):
        raise ForgeError("'%s' is not an object (a hash, first, second or @PATH)" % sel)
    return sel


def cmd_repack(a):
    b = Bundle(a.bundle)
    m = b.m
    pk = m.pack(a.pack)
    old_parts = m.parts_of(a.pack)
    mtime = m.created_epoch()
    # the genuine objects, read back from the pack and checked against the manifest
    objs = {}
    with tarfile.open(fileobj=io.BytesIO(decompress(pk["comp"], b.read_pack(a.pack)))) as t:
        for ti in t:
            data = t.extractfile(ti).read()
            if sha256(data) != ti.name:
                raise ForgeError("pack %d: entry %s does not hash to its name" % (a.pack, ti.name))
            objs[ti.name] = data
    want = sorted(o["sha"].decode() for o in m.objects_of(a.pack))
    if sorted(objs) != want:
        raise ForgeError("pack %d does not hold exactly the objects the manifest gives it" % a.pack)

    fmt = a.format
    special = {}  # hash -> list of entry byte strings replacing its regular entry
    extra, trailer = [], b""
    for spec in a.specs:
        kind, _, arg = spec.partition("=")
        if kind == "trailer":
            with open(arg, "rb") as f:
                trailer += f.read()
            print("forge: pack %d: %d bytes after the end of the archive" % (a.pack, len(trailer)))
            continue
        if kind == "extra":
            with open(arg, "rb") as f:
                data = f.read()
            h = sha256(data)
            extra.append(entry_bytes(tarinfo(h, mtime, len(data)), data, fmt))
            print("forge: pack %d: extra entry %s (%d bytes)" % (a.pack, h, len(data)))
            continue
        sel, _, opt = arg.partition(":")
        h = resolve(b, a.pack, sel)
        if h not in objs:
            raise ForgeError("object %s is not in pack %d" % (h, a.pack))
        data = objs[h]
        if h in special:
            raise ForgeError("two specs for object %s" % h)
        if kind == "symlink":
            ti = tarinfo(h, mtime, typ=tarfile.SYMTYPE)
            ti.linkname = opt or "/etc/passwd"
            ents = [entry_bytes(ti, b"", fmt)]
        elif kind == "hardlink":
            others = [o for o in sorted(objs) if o != h]
            ti = tarinfo(h, mtime, typ=tarfile.LNKTYPE)
            ti.linkname = opt or (others[0] if others else "/etc/shadow")
            ents = [entry_bytes(ti, b"", fmt)]
        elif kind in ("chardev", "blockdev"):
            ti = tarinfo(h, mtime, typ=tarfile.CHRTYPE if kind == "chardev" else tarfile.BLKTYPE)
            ti.devmajor, ti.devminor = (1, 3) if kind == "chardev" else (8, 0)
            ents = [entry_bytes(ti, b"", fmt)]
        elif kind == "fifo":
            ents = [entry_bytes(tarinfo(h, mtime, typ=tarfile.FIFOTYPE), b"", fmt)]
        elif kind == "dir":
            ents = [entry_bytes(tarinfo(h, mtime, typ=tarfile.DIRTYPE), b"", fmt)]
        elif kind == "name":
            if not opt:
                raise ForgeError("name= needs OBJ:NAME")
            ents = [entry_bytes(tarinfo(opt.replace("%h", h), mtime, len(data)), data, fmt)]
        elif kind == "dup":
            ents = [entry_bytes(tarinfo(h, mtime, len(data)), data, fmt)] * 2
        elif kind == "oversize":
            big = data + b"\xa5" * int(opt or 1024)
            ents = [entry_bytes(tarinfo(h, mtime, len(big)), big, fmt)]
        elif kind == "sparse":
            ents = [sparse_entry(h, data, int(opt) if opt else len(data) + (1 << 20), mtime,
                                 "gnu" if fmt == "ustar" else fmt)]
        elif kind == "drop":
            ents = []
        else:
            raise ForgeError("unknown entry spec '%s'" % spec)
        special[h] = ents
        print("forge: pack %d: object %s: %s" % (a.pack, h, spec))

    tar = b""
    for h in objs:  # the genuine pack's order
        tar += b"".join(special[h]) if h in special else entry_bytes(tarinfo(h, mtime, len(objs[h])), objs[h], fmt)
    tar += b"".join(extra) + b"\0" * 1024 + trailer
    write_pack(b, a.pack, compress(pk["comp"], tar), a.parts or len(old_parts))
    b.save()


def write_pack(b, pid, data, nparts):
    """Replace pack pid's part files and its pack and part lines."""
    m = b.m
    old = m.parts_of(pid)
    if nparts < 1 or len(data) < nparts:
        raise ForgeError("cannot cut %d bytes into %d parts" % (len(data), nparts))
    for pt in old:
        os.unlink(b.part_path(pt))
    m.parts = [p for p in m.parts if p["pack"] != pid]
    step = len(data) // nparts
    for i in range(nparts):
        chunk = data[i * step:] if i == nparts - 1 else data[i * step:(i + 1) * step]
        name = old[i]["name"] if i < len(old) else b"p%04d.%03d" % (pid, i + 1)
        vol = old[i]["volume"] if i < len(old) else (old[0]["volume"] if old else 1)
        pt = {"pack": pid, "index": i + 1, "volume": vol, "size": len(chunk),
              "sha": sha256(chunk).encode(), "name": name}
        with open(b.part_path(pt), "wb") as f:
            f.write(chunk)
        m.parts.append(pt)
    pk = m.pack(pid)
    pk["size"], pk["sha"] = len(data), sha256(data).encode()
    print("forge: pack %d: %d bytes in %d part(s), sha256 %s" % (pid, len(data), nparts, pk["sha"].decode()[:16]))


def cmd_add_file(a):
    b = Bundle(a.bundle)
    m = b.m
    src, path = os.fsencode(a.source), os.fsencode(a.path)
    if a.content is not None:
        with open(a.content, "rb") as f:
            data = f.read()
        h = sha256(data).encode()
    else:
        h, data = a.object.encode(), None
    if not any(s[0] == src for s in m.sources):
        m.sources.append([src, b"dir"])
    if m.object(h) is None:
        if data is None:
            raise ForgeError("object %s is not in the manifest; give --content" % h.decode())
        pid = len(m.packs) + 1
        m.packs.append({"id": pid, "comp": b"zstd", "size": 0, "sha": b""})
        m.objects.append({"sha": h, "size": len(data), "pack": pid})
        tar = entry_bytes(tarinfo(h.decode(), m.created_epoch(), len(data)), data, "ustar") + b"\0" * 1024
        write_pack(b, pid, compress(b"zstd", tar), 1)
    m.files.append({"source": src, "mode": a.mode.encode(), "sha": h, "path": path})
    print("forge: added file %r %r -> %s" % (src, path[:120], h.decode()[:16]))
    b.save()


def cmd_rename_file(a):
    b = Bundle(a.bundle)
    src, old, new = os.fsencode(a.source), os.fsencode(a.path), os.fsencode(a.to)
    hits = [f for f in b.m.files if f["source"] == src and f["path"] == old]
    if len(hits) != 1:
        raise ForgeError("%d file lines with source %r path %r" % (len(hits), src, old))
    hits[0]["path"] = new
    print("forge: renamed %r -> %r (%d bytes)" % (old, new[:120], len(new)))
    b.save()


def cmd_graft(a):
    b, o = Bundle(a.bundle), Bundle(getattr(a, "from"))
    for pt in b.m.parts_of(a.pack):
        os.unlink(b.part_path(pt))
    b.m.parts = [p for p in b.m.parts if p["pack"] != a.pack]
    for pt in o.m.parts_of(a.pack):
        with open(o.part_path(pt), "rb") as f, open(b.part_path(pt), "wb") as g:
            g.write(f.read())
        b.m.parts.append(dict(pt))
    mine, theirs = b.m.pack(a.pack), o.m.pack(a.pack)
    mine.update(comp=theirs["comp"], size=theirs["size"], sha=theirs["sha"])
    print("forge: pack %d now points at %s's pack %d" % (a.pack, o.path, a.pack))
    b.save()


def cmd_resign(a):
    b = Bundle(a.bundle)  # checks the manifest is there and canonical
    sigdir = os.path.join(a.bundle, "signatures")
    for n in os.listdir(sigdir):
        os.unlink(os.path.join(sigdir, n))
    fpr = a.key.upper()
    sig = os.path.join(sigdir, fpr + ".asc")
    gpg = ["gpg", "--homedir", a.gnupg, "--batch", "--no-tty", "--quiet"]
    run(gpg + ["--yes", "--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--detach-sign",
               "--local-user", fpr, "--output", sig, b.mpath])
    st = run(gpg + ["--status-fd", "1", "--verify", sig, b.mpath]).decode()
    good = [ln.split() for ln in st.splitlines() if ln.startswith("[GNUPG:] VALIDSIG ")]
    if len(good) != 1 or good[0][-1] != fpr:
        raise ForgeError("gpg --verify of the new signature did not give VALIDSIG by %s:\n%s" % (fpr, st))
    print("forge: signed manifest %s as %s; gpg --verify: good" % (sha256(b.orig)[:16], os.path.relpath(sig, a.bundle)))


def main():
    ap = argparse.ArgumentParser(prog="forge.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("repack")
    p.add_argument("bundle")
    p.add_argument("--pack", type=int, default=1)
    p.add_argument("--parts", type=int, default=0)
    p.add_argument("--format", choices=sorted(FORMATS), default="ustar")
    p.add_argument("--entries", nargs="+", default=[], metavar="SPEC", dest="specs")
    p.set_defaults(fn=cmd_repack)
    p = sub.add_parser("add-file")
    p.add_argument("bundle")
    p.add_argument("--source", required=True)
    p.add_argument("--path", required=True)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--content")
    g.add_argument("--object")
    p.add_argument("--mode", default="0644")
    p.set_defaults(fn=cmd_add_file)
    p = sub.add_parser("rename-file")
    p.add_argument("bundle")
    p.add_argument("--source", required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--to", required=True)
    p.set_defaults(fn=cmd_rename_file)
    p = sub.add_parser("graft")
    p.add_argument("bundle")
    p.add_argument("--from", required=True)
    p.add_argument("--pack", type=int, required=True)
    p.set_defaults(fn=cmd_graft)
    p = sub.add_parser("resign")
    p.add_argument("bundle")
    p.add_argument("--gnupg", required=True)
    p.add_argument("--key", required=True)
    p.set_defaults(fn=cmd_resign)
    a = ap.parse_args()
    try:
        a.fn(a)
    except (ForgeError, OSError, tarfile.TarError) as ex:
        print("forge: error: %s" % ex, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
