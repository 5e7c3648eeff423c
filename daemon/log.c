// SPDX-License-Identifier: MIT
/*
 * stderr logging with a level from the environment and a per-site rate
 * limit for anything triggered by packets from the network.
 */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum log_level log_level = LOG_ERROR;
static char log_prefix[32] = "lanwired";

void log_init_from_env(const char *ifname)
{
	const char *v = getenv("LOG_LEVEL");

	if (ifname)
		snprintf(log_prefix, sizeof(log_prefix), "%s", ifname);
	if (!v)
		return;
	if (!strcmp(v, "silent"))
		log_level = LOG_SILENT;
	else if (!strcmp(v, "error"))
		log_level = LOG_ERROR;
	else if (!strcmp(v, "verbose") || !strcmp(v, "debug"))
		log_level = LOG_VERBOSE;
}

static void vlog(const char *tag, const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y/%m/%d %H:%M:%S", &tm);
	fprintf(stderr, "%s: %s %s: ", tag, when, log_prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_ERROR)
		return;
	va_start(ap, fmt);
	vlog("ERROR", fmt, ap);
	va_end(ap);
}

void log_verbose(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_VERBOSE)
		return;
	va_start(ap, fmt);
	vlog("DEBUG", fmt, ap);
	va_end(ap);
}

/* True if this site may print now; counts what it suppresses. */
static bool ratelimit_admit(struct log_ratelimit *rl, uint64_t now_ns,
			    const char *tag)
{
	if (now_ns - rl->window_start_ns >= 1000000000ULL) {
		if (rl->suppressed)
			fprintf(stderr, "%s: %s: (%u similar messages "
				"suppressed)\n", tag, log_prefix,
				rl->suppressed);
		rl->window_start_ns = now_ns;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed >= LOG_RATELIMIT_BURST) {
		rl->suppressed++;
		return false;
	}
	rl->printed++;
	return true;
}

void log_ratelimited(struct log_ratelimit *rl, uint64_t now_ns,
		     const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_VERBOSE || !ratelimit_admit(rl, now_ns, "DEBUG"))
		return;
	va_start(ap, fmt);
	vlog("DEBUG", fmt, ap);
	va_end(ap);
}

void log_error_ratelimited(struct log_ratelimit *rl, uint64_t now_ns,
			   const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_ERROR || !ratelimit_admit(rl, now_ns, "ERROR"))
		return;
	va_start(ap, fmt);
	vlog("ERROR", fmt, ap);
	va_end(ap);
}
