#ifndef AIRLOCK_VOLUME_H
#define AIRLOCK_VOLUME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/err.h"

/*
 * A volume is what one piece of removable media holds: a directory (USB
 * stick) or an ISO9660 image / optical drive, read in user space through
 * libiso9660 (never mounted).  Paths are relative, '/'-separated, and are
 * only ever compared with names the signed manifest gives; a volume never
 * resolves a path from media onto the local filesystem.
 */
struct volume;
struct volume_file;

enum volume_kind { VOLUME_DIR = 1, VOLUME_ISO = 2 };

enum volume_type { VENT_FILE = 1, VENT_DIR, VENT_OTHER /* symlink, device, fifo, socket */ };

struct volume_entry {
	const char *path; /* valid during the callback only */
	enum volume_type type;
	uint64_t size;
};

#define VOLUME_MAX_ENTRIES 100000
/* Most components in a path (so at most this many levels of folders). */
#define VOLUME_MAX_DEPTH 8
/*
 * Longest name iso_write_dir() accepts: libiso9660 2.1 does not follow Rock
 * Ridge continuation areas, so a longer name would not read back whole.
 */
#define VOLUME_ISO_NAME_MAX 150

/*
 * Open "iso:PATH", "dir:PATH" or a bare PATH (a folder is a directory volume;
 * a regular file or block device is read as ISO9660).  A file that is not a
 * readable ISO9660 image gives -AE_REJECT naming the file.
 */
int volume_open(struct volume **out, const char *spec, struct err *e) AL_WUR;
void volume_close(struct volume *v);
enum volume_kind volume_kind(const struct volume *v);
/* The path it was opened from, for messages. */
const char *volume_name(const struct volume *v);

/*
 * Every entry on the volume, depth first, sorted by name within a folder,
 * folders before their content.  Stops with -AE_REJECT past
 * VOLUME_MAX_ENTRIES entries or VOLUME_MAX_DEPTH levels.  A non-zero return
 * from cb stops the walk and is returned.
 */
int volume_walk(struct volume *v, int (*cb)(const struct volume_entry *ent, void *arg), void *arg,
		struct err *e) AL_WUR;

/* -AE_NOTFOUND when absent. Only regular files and folders are reported as such. */
int volume_stat(struct volume *v, const char *path, struct volume_entry *ent, struct err *e) AL_WUR;

/* Read a whole regular file into out; out's max caps it (-AE_TOOBIG). */
int volume_read_all(struct volume *v, const char *path, struct buf *out, struct err *e) AL_WUR;

/* Stream a regular file (not following symlinks on a directory volume). */
int volume_file_open(struct volume *v, const char *path, struct volume_file **out, struct err *e) AL_WUR;
/* Up to n bytes; 0 at the end; <0 on error. */
ssize_t volume_file_read(struct volume_file *f, void *p, size_t n, struct err *e);
void volume_file_close(struct volume_file *f);

/*
 * Write an ISO9660 image at iso_path holding every regular file under dir
 * (libarchive's writer: ISO level 3, Rock Ridge and Joliet).  Entries are
 * added in sorted order with mtime and owner fixed, so the image's layout
 * does not depend on the order the file system lists them in.  The image is
 * written to a temporary name and renamed when complete.  Anything that
 * would not read back through volume_*() is refused: links and other
 * non-regular files, names longer than VOLUME_ISO_NAME_MAX or holding
 * control characters (-AE_FORMAT); more than VOLUME_MAX_ENTRIES entries,
 * paths of more than VOLUME_MAX_DEPTH components, folders of more than
 * VOLUME_MAX_DEPTH - 1 (ISO9660 counts the root as a level and libarchive
 * would relocate them), files over 4 GiB - 2 KiB (-AE_TOOBIG).
 */
int iso_write_dir(const char *dir, const char *iso_path, const char *volume_id, int64_t mtime,
		  struct err *e) AL_WUR;

#endif
