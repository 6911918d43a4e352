#include "lib/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "lib/banned.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void draw(struct progress *p)
{
	char done[32], total[32];
	int pct = p->total ? (int)(p->done * 100 / p->total) : 0, i, fill = pct * 30 / 100;

	size_human(p->done, done);
	size_human(p->total, total);
	fprintf(stderr, "\r%-12s [", p->label);
	for (i = 0; i < 30; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %3d%% %s / %s ", pct, done, total);
	fflush(stderr);
}

void progress_start(struct progress *p, const char *label, uint64_t total, int quiet)
{
	p->label = label;
	p->total = total;
	p->done = 0;
	p->last_ms = 0;
	p->active = !quiet && isatty(STDERR_FILENO);
	if (p->active)
		draw(p);
}

void progress_add(struct progress *p, uint64_t n)
{
	int64_t t;

	p->done += n;
	if (!p->active)
		return;
	t = now_ms();
	if (t - p->last_ms < 100)
		return;
	p->last_ms = t;
	draw(p);
}

void progress_done(struct progress *p)
{
	if (!p->active)
		return;
	p->done = p->total;
	draw(p);
	fputc('\n', stderr);
	p->active = 0;
}
