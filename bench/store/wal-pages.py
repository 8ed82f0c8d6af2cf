#!/usr/bin/env python3
"""wal-pages.py STORE.db BENCH-INBOUND [MESSAGES [HASHES [FIRST]]] - which
b-trees one inbound message writes: runs bench-inbound on a copy of a store
(STORE.db is not touched) while a reader holds a snapshot (so that the last
close cannot checkpoint and remove the WAL), then reads the page number of
every WAL frame and names its table or index with SQLite's dbstat. Prints
pages per message, per b-tree. Not part of make check."""
import collections, os, shutil, sqlite3, struct, subprocess, sys, tempfile

def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    store, bench = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    hashes = sys.argv[4] if len(sys.argv) > 4 else "10"
    first = sys.argv[5] if len(sys.argv) > 5 else "1000000"
    work = tempfile.mkdtemp(prefix="hd-wal-pages-", dir="/var/tmp")
    db = os.path.join(work, "run.db")
    shutil.copy(store, db)
    hold = sqlite3.connect(db, isolation_level=None)
    hold.execute("PRAGMA journal_mode = WAL")
    hold.execute("BEGIN")
    hold.execute("SELECT count(*) FROM meta").fetchall()
    subprocess.run([bench, "sqlite:" + db, str(n), "1", hashes, first], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(db + "-wal", "rb") as f:
        wal = f.read()
    size = struct.unpack(">I", wal[8:12])[0]
    pages = []
    off = 32
    while off + 24 + size <= len(wal):
        pages.append(struct.unpack(">I", wal[off:off + 4])[0])
        off += 24 + size
    hold.execute("COMMIT")
    hold.close()
    names = dict((p, name) for name, p in
                 sqlite3.connect(db).execute("SELECT name, pageno FROM dbstat"))
    count = collections.Counter(names.get(p, "page %d" % p) for p in pages)
    print("%d messages, %d WAL frames of %d bytes: %.2f pages per message" %
          (n, len(pages), size, len(pages) / n))
    for name, k in count.most_common():
        print("%6.2f %s" % (k / n, name))
    shutil.rmtree(work)

main()
