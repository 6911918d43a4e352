#include "lib/crash.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/banned.h"

void crash_point(const char *stage)
{
	static int init;
	static long at, count;
	static const char *log;

	if (!init) {
		const char *s = getenv("AIRLOCK_TEST_CRASH_AT");

		init = 1;
		at = s ? strtol(s, NULL, 10) : 0;
		log = getenv("AIRLOCK_TEST_CRASH_LOG");
	}
	if (!at && !log)
		return;
	count++;
	if (log) {
		int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

		if (fd >= 0) {
			char line[128];
			int n = snprintf(line, sizeof(line), "%ld %s\n", count, stage);

			if (write(fd, line, (size_t)n) < 0) {
				/* a test aid: nothing to do */
			}
			close(fd);
		}
	}
	if (at && count == at)
		raise(SIGKILL);
}
