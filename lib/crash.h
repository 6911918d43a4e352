#ifndef AIRLOCK_CRASH_H
#define AIRLOCK_CRASH_H

/*
 * Crash points for the crash-safety tests (tests/e2e/t5000-*): the import
 * calls crash_point() between every two steps that change disk state.
 * With AIRLOCK_TEST_CRASH_LOG=FILE each call appends its stage name to FILE
 * (so a test learns how many points a run has); with AIRLOCK_TEST_CRASH_AT=N
 * the Nth call kills the process with SIGKILL, as a power cut or the OOM
 * killer would: no cleanup, no atexit, nothing flushed.  Without either
 * variable a call costs one getenv on the first use.
 */
void crash_point(const char *stage);

#endif
