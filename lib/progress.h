#ifndef AIRLOCK_PROGRESS_H
#define AIRLOCK_PROGRESS_H

#include <stdint.h>

/* A one-line progress bar on stderr, drawn only when stderr is a TTY and quiet is 0. */
struct progress {
	const char *label;
	uint64_t total;
	uint64_t done;
	int64_t last_ms;
	int active;
};

void progress_start(struct progress *p, const char *label, uint64_t total, int quiet);
void progress_add(struct progress *p, uint64_t n);
void progress_done(struct progress *p);

#endif
