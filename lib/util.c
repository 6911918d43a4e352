#include "lib/util.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/banned.h"

void time_format(int64_t t, char out[TIME_STR])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm)) {
		snprintf(out, TIME_STR, "invalid");
		return;
	}
	strftime(out, TIME_STR, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void time_format_rfc2822(int64_t t, const char *zone, char out[TIME_RFC2822])
{
	/* fixed English names: no locale, and safe in the server's threads */
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm)) {
		tt = 0;
		gmtime_r(&tt, &tm);
	}
	snprintf(out, TIME_RFC2822, "%s, %02d %s %04d %02d:%02d:%02d %s", days[tm.tm_wday % 7], tm.tm_mday,
		 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
}

static int digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int time_parse(const char *s, size_t len, int64_t *t)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int Y, M, D, h, m, sec;
	struct tm tm;
	time_t tt;

	/* exactly YYYY-MM-DDTHH:MM:SSZ */
	if (len != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != 'Z')
		return -1;
	if (digits(s, 4, &Y) || digits(s + 5, 2, &M) || digits(s + 8, 2, &D) || digits(s + 11, 2, &h) ||
	    digits(s + 14, 2, &m) || digits(s + 17, 2, &sec))
		return -1;
	if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || m > 59 || sec > 59)
		return -1;
	if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	tt = timegm(&tm);
	if (tt == (time_t)-1)
		return -1;
	*t = (int64_t)tt;
	return 0;
}

int time_now_or_sde(int64_t *t, struct err *e)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;

	if (s && *s) {
		if (parse_u64(s, strlen(s), &v) < 0 || v > (uint64_t)INT64_MAX / 2)
			return err_set(e, AE_USAGE, "SOURCE_DATE_EPOCH='%s' is not a number of seconds", s);
		*t = (int64_t)v;
		return 0;
	}
	*t = (int64_t)time(NULL);
	return 0;
}

int parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int duration_parse(const char *s, int64_t *secs)
{
	size_t n = strlen(s);
	uint64_t v, mul = 1;

	if (n == 0)
		return -1;
	switch (s[n - 1]) {
	case 's': mul = 1; n--; break;
	case 'm': mul = 60; n--; break;
	case 'h': mul = 3600; n--; break;
	case 'd': mul = 86400; n--; break;
	case 'w': mul = 7 * 86400; n--; break;
	case 'y': mul = 365 * 86400; n--; break;
	default: break;
	}
	if (parse_u64(s, n, &v) < 0 || v == 0 || v > (uint64_t)100 * 365 * 86400 / mul)
		return -1;
	*secs = (int64_t)(v * mul);
	return 0;
}

int size_parse(const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	uint64_t v, mul = 1;

	/* usable capacity of common single-layer media, in bytes */
	if (!strcmp(s, "cd"))
		return *out = 700ull * 1000 * 1000, 0;
	if (!strcmp(s, "dvd"))
		return *out = 4700ull * 1000 * 1000, 0;
	if (!strcmp(s, "bd"))
		return *out = 25000ull * 1000 * 1000, 0;
	if (n == 0)
		return -1;
	switch (s[n - 1]) {
	case 'K': mul = 1ull << 10; n--; break;
	case 'M': mul = 1ull << 20; n--; break;
	case 'G': mul = 1ull << 30; n--; break;
	case 'T': mul = 1ull << 40; n--; break;
	default: break;
	}
	if (parse_u64(s, n, &v) < 0 || v == 0 || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

void size_human(uint64_t n, char out[32])
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)n;
	int i = 0;

	while (d >= 1024 && i < 4) {
		d /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(out, 32, "%llu B", (unsigned long long)n);
	else
		snprintf(out, 32, "%.1f %s", d, unit[i]);
}

int name_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 1; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

const char *util_actor(void)
{
	static char name[64];
	struct passwd *pw;
	const char *s;

	if (name[0])
		return name;
	s = getenv("SUDO_USER");
	if (!s || !*s) {
		pw = getpwuid(getuid());
		s = pw ? pw->pw_name : "unknown";
	}
	snprintf(name, sizeof(name), "%s", s);
	return name;
}
