/*
 * store-sqlite-vfs - the SQLite store's VFS: the system's default VFS
 * ("unix") with the WAL's writes of one commit gathered into one write.
 * SQLite writes each WAL frame as two pwrite() calls (its 24-byte header,
 * then the page), so a commit of 14 pages cost 28 system calls; here the
 * frames are appended to a buffer of the connection's WAL file and written
 * with one call when the commit frame (the one whose header carries the
 * database size, WAL file format) has been written, inside the xWrite of
 * its page, so that a failed write fails the commit as before. Every other
 * operation on the WAL file (read, sync, truncate, size, lock, close, a
 * write elsewhere) and every shared-memory lock or barrier of its database
 * (which is how SQLite publishes frames to other connections and hands the
 * write lock over) writes the buffer first: the file sees the same writes in
 * the same order, before anyone can read them. Only WAL files are wrapped;
 * the database, journals and temporary files are the default VFS's own.
 * It must never let a frame be read, published or overwritten by another
 * connection before it is written, never reorder writes, and never report a
 * commit written that a failed write was part of.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sqlite3.h>

#include "store-int.h"
#include "util.h"

/* Bytes of a WAL frame header (WAL file format) and the offset of the first
   frame (after the 32-byte WAL header). */
#define HD_WAL_FRAME_HDR 24
#define HD_WAL_HDR 32
/* Bytes given to the default VFS in one write: its unixWrite() keeps 17
   bits of a count (seekAndWrite: cnt &= 0x1ffff) and takes the 0 bytes
   left of a 128 KiB multiple for a full disk, so each write stays below
   128 KiB (124 KiB: 30 frames of 4 KiB pages). */
#define HD_WAL_WRITE_MAX (124 * 1024)
/* Bytes gathered before they are written even without a commit frame (a
   big transaction, a migration): a connection's buffer stays below this
   plus one frame. */
#define HD_WAL_GATHER_MAX HD_WAL_WRITE_MAX

/* A wrapped file: the default VFS's file follows this struct. */
struct vfs_file {
	sqlite3_file base;		/* base.pMethods: ours */
	sqlite3_file *real;		/* the default VFS's file (after this struct) */
	bool wal;			/* a WAL file (else a main database file) */
	struct vfs_file *peer;		/* WAL <-> its database file (NULL: none open) */
	/* WAL only: the frames not yet written */
	unsigned char *buf;
	size_t len, cap;
	sqlite3_int64 off;		/* file offset of buf[0] */
	bool commit;			/* the last header gathered is a commit frame's */
};

static sqlite3_vfs vfs;			/* ours: the default VFS's methods, xOpen wrapped */
static sqlite3_vfs *base_vfs;		/* the default VFS */
static pthread_once_t vfs_once = PTHREAD_ONCE_INIT;
static uint64_t stat_frames_gathered, stat_writes;	/* atomics */
/* Set (atomically, once) when a gathered write failed where SQLite cannot
   hear of it (a shared memory barrier): from then on no commit of the
   process is reported durable (store-sqlite.c asks hd_store_sqlite_vfs_failed). */
static int vfs_failed;

/* Write the gathered frames (one write per HD_WAL_WRITE_MAX bytes);
   SQLite's result code. */
static int wal_flush(struct vfs_file *f)
{
	int rc = SQLITE_OK;

	for (size_t done = 0, k; done < f->len && rc == SQLITE_OK; done += k) {
		k = f->len - done < HD_WAL_WRITE_MAX ? f->len - done : HD_WAL_WRITE_MAX;
		rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)k,
					       f->off + (sqlite3_int64)done);
		__atomic_add_fetch(&stat_writes, 1, __ATOMIC_RELAXED);
	}
	f->len = 0;
	f->commit = false;
	return rc;
}

/* Write the frames its WAL gathered before the database's shared memory
   changes hands (the write lock, a barrier before the WAL index header). */
static int db_flush_wal(struct vfs_file *f)
{
	return f->peer != NULL ? wal_flush(f->peer) : SQLITE_OK;
}

/* ------------------------------------------------------------------ */
/* The WAL file's methods. */

/* Gather a frame header or the page after it; anything else goes straight
   to the file after what was gathered. */
static int wal_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 ofst)
{
	struct vfs_file *f = (struct vfs_file *)file;
	bool header = amt == HD_WAL_FRAME_HDR && ofst >= HD_WAL_HDR;
	int rc;

	if (f->len > 0 && ofst != f->off + (sqlite3_int64)f->len) {
		if ((rc = wal_flush(f)) != SQLITE_OK)
			return rc;
	}
	if (f->len == 0 && !header)	/* not a frame: as it comes */
		return f->real->pMethods->xWrite(f->real, data, amt, ofst);
	if (f->len == 0)
		f->off = ofst;
	if (f->len + (size_t)amt > f->cap) {
		f->cap = f->len + (size_t)amt + (f->cap > 65536 ? f->cap : 65536);
		f->buf = xrealloc(f->buf, f->cap);
	}
	memcpy(f->buf + f->len, data, (size_t)amt);
	f->len += (size_t)amt;
	if (header) {
		const unsigned char *h = data;

		/* bytes 4-7: the database size after a commit, 0 otherwise */
		f->commit = (h[4] | h[5] | h[6] | h[7]) != 0;
		__atomic_add_fetch(&stat_frames_gathered, 1, __ATOMIC_RELAXED);
		return SQLITE_OK;
	}
	if (f->commit || f->len >= HD_WAL_GATHER_MAX)	/* the commit frame is complete */
		return wal_flush(f);
	return SQLITE_OK;
}

/* Close: write what was gathered (as the default VFS would have), unlink
   from the database file. */
static int wal_close(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = wal_flush(f), rc2;

	if (f->peer != NULL)
		f->peer->peer = NULL;
	f->peer = NULL;
	free(f->buf);
	f->buf = NULL;
	f->cap = 0;
	rc2 = f->real->pMethods->xClose(f->real);
	return rc != SQLITE_OK ? rc : rc2;
}

/* The other WAL methods: what was gathered first, then the default VFS. */
static int wal_read(sqlite3_file *file, void *data, int amt, sqlite3_int64 ofst)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = wal_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, data, amt, ofst);
}

static int wal_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = wal_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wal_sync(sqlite3_file *file, int flags)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = wal_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wal_file_size(sqlite3_file *file, sqlite3_int64 *size_r)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = wal_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size_r);
}

static int wal_lock(sqlite3_file *file, int level)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = wal_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xLock(f->real, level);
}

static int wal_unlock(sqlite3_file *file, int level)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = wal_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xUnlock(f->real, level);
}

static int wal_check_reserved(sqlite3_file *file, int *out_r)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xCheckReservedLock(f->real, out_r);
}

static int wal_file_control(sqlite3_file *file, int op, void *arg)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = wal_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wal_sector_size(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xSectorSize(f->real);
}

static int wal_device_characteristics(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* A WAL file has no shared memory nor mapping of its own (version 1). */
static const sqlite3_io_methods wal_methods = {
	.iVersion = 1,
	.xClose = wal_close,
	.xRead = wal_read,
	.xWrite = wal_write,
	.xTruncate = wal_truncate,
	.xSync = wal_sync,
	.xFileSize = wal_file_size,
	.xLock = wal_lock,
	.xUnlock = wal_unlock,
	.xCheckReservedLock = wal_check_reserved,
	.xFileControl = wal_file_control,
	.xSectorSize = wal_sector_size,
	.xDeviceCharacteristics = wal_device_characteristics,
};

/* ------------------------------------------------------------------ */
/* The database file's methods: the default VFS's, and the WAL's gathered
   frames written before its shared memory is locked, unlocked or fenced. */

static int db_close(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = db_flush_wal(f), rc2;

	if (f->peer != NULL)
		f->peer->peer = NULL;
	f->peer = NULL;
	rc2 = f->real->pMethods->xClose(f->real);
	return rc != SQLITE_OK ? rc : rc2;
}

static int db_read(sqlite3_file *file, void *data, int amt, sqlite3_int64 ofst)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xRead(f->real, data, amt, ofst);
}

static int db_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 ofst)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xWrite(f->real, data, amt, ofst);
}

static int db_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xTruncate(f->real, size);
}

static int db_sync(sqlite3_file *file, int flags)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xSync(f->real, flags);
}

static int db_file_size(sqlite3_file *file, sqlite3_int64 *size_r)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xFileSize(f->real, size_r);
}

static int db_lock(sqlite3_file *file, int level)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xLock(f->real, level);
}

static int db_unlock(sqlite3_file *file, int level)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = db_flush_wal(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xUnlock(f->real, level);
}

static int db_check_reserved(sqlite3_file *file, int *out_r)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xCheckReservedLock(f->real, out_r);
}

static int db_file_control(sqlite3_file *file, int op, void *arg)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int db_sector_size(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xSectorSize(f->real);
}

static int db_device_characteristics(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int db_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **p_r)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xShmMap(f->real, page, size, extend, p_r);
}

/* Locks of the shared memory hand frames and the write lock to others:
   the WAL's gathered frames go to the file first. */
static int db_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = db_flush_wal(f);

	if (rc != SQLITE_OK && !(flags & SQLITE_SHM_UNLOCK))
		return rc;
	/* an unlock is never refused: a write that failed here belonged to a
	   transaction that did not commit (a commit's frames are written by
	   its commit frame), whose frames no one will read */
	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

/* The barrier between the WAL index's two header copies: the frames a
   header publishes must be in the file before it (they are: the commit
   frame wrote them; this is a second guard with nowhere to report to). */
static void db_shm_barrier(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;

	if (f->peer != NULL && f->peer->len > 0 && db_flush_wal(f) != SQLITE_OK &&
	    __atomic_exchange_n(&vfs_failed, 1, __ATOMIC_SEQ_CST) == 0)
		log_error("sqlite: a WAL write failed at a shared memory barrier: "
			  "no commit is reported durable from now on");
	f->real->pMethods->xShmBarrier(f->real);
}

static int db_shm_unmap(sqlite3_file *file, int delete_flag)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = db_flush_wal(f);

	(void)rc;	/* unmapping happens on close: the WAL closes first */
	return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

static int db_fetch(sqlite3_file *file, sqlite3_int64 ofst, int amt, void **p_r)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xFetch(f->real, ofst, amt, p_r);
}

static int db_unfetch(sqlite3_file *file, sqlite3_int64 ofst, void *p)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xUnfetch(f->real, ofst, p);
}

static const sqlite3_io_methods db_methods = {
	.iVersion = 3,
	.xClose = db_close,
	.xRead = db_read,
	.xWrite = db_write,
	.xTruncate = db_truncate,
	.xSync = db_sync,
	.xFileSize = db_file_size,
	.xLock = db_lock,
	.xUnlock = db_unlock,
	.xCheckReservedLock = db_check_reserved,
	.xFileControl = db_file_control,
	.xSectorSize = db_sector_size,
	.xDeviceCharacteristics = db_device_characteristics,
	.xShmMap = db_shm_map,
	.xShmLock = db_shm_lock,
	.xShmBarrier = db_shm_barrier,
	.xShmUnmap = db_shm_unmap,
	.xFetch = db_fetch,
	.xUnfetch = db_unfetch,
};

/* ------------------------------------------------------------------ */
/* The VFS. */

/* Open a file: main databases and WAL files wrapped (a WAL linked to its
   database's file), everything else the default VFS's own. */
static int vfs_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *file, int flags,
		    int *flags_r)
{
	struct vfs_file *f = (struct vfs_file *)file;
	bool wal = (flags & SQLITE_OPEN_WAL) != 0;
	int rc;

	(void)v;
	if (!wal && !(flags & SQLITE_OPEN_MAIN_DB))
		return base_vfs->xOpen(base_vfs, name, file, flags, flags_r);
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	rc = base_vfs->xOpen(base_vfs, name, f->real, flags, flags_r);
	if (rc != SQLITE_OK) {
		f->base.pMethods = NULL;	/* nothing to close */
		return rc;
	}
	if (f->real->pMethods->iVersion < 3 && !wal) {	/* not the unix VFS we know */
		f->real->pMethods->xClose(f->real);
		f->base.pMethods = NULL;
		return SQLITE_CANTOPEN;
	}
	f->wal = wal;
	f->base.pMethods = wal ? &wal_methods : &db_methods;
	if (wal) {
		sqlite3_file *db = sqlite3_database_file_object(name);

		if (db != NULL && db->pMethods == &db_methods) {
			f->peer = (struct vfs_file *)db;
			f->peer->peer = f;
		}
	}
	return SQLITE_OK;
}

/* Register the VFS (once; not as the default). */
static void vfs_register(void)
{
	base_vfs = sqlite3_vfs_find(NULL);
	vfs = *base_vfs;
	vfs.zName = HD_STORE_SQLITE_VFS;
	vfs.pNext = NULL;
	vfs.szOsFile = (int)sizeof(struct vfs_file) + base_vfs->szOsFile;
	vfs.xOpen = vfs_open;
	if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK)
		log_error("sqlite: cannot register the %s VFS", HD_STORE_SQLITE_VFS);
}

/* Public entry: see store-int.h. */
const char *hd_store_sqlite_vfs(void)
{
	pthread_once(&vfs_once, vfs_register);
	return sqlite3_vfs_find(HD_STORE_SQLITE_VFS) != NULL ? HD_STORE_SQLITE_VFS : NULL;
}

/* Public entry: see store-int.h. */
bool hd_store_sqlite_vfs_failed(void)
{
	return __atomic_load_n(&vfs_failed, __ATOMIC_SEQ_CST) != 0;
}

/* Public entry: see store-int.h. */
void hd_store_sqlite_vfs_stats(uint64_t *frames_r, uint64_t *writes_r)
{
	*frames_r = __atomic_load_n(&stat_frames_gathered, __ATOMIC_RELAXED);
	*writes_r = __atomic_load_n(&stat_writes, __ATOMIC_RELAXED);
}
