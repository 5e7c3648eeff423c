/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr at the level LOG_LEVEL names (silent, error, verbose),
 * as wireguard-go does. Network-input complaints go through log_ratelimited
 * so a flood cannot flood the log. Nothing here ever formats key material:
 * callers log peers by a short public-key prefix at most.
 */
#ifndef LW_LOG_H
#define LW_LOG_H

#include <stdint.h>

enum log_level { LOG_SILENT = 0, LOG_ERROR = 1, LOG_VERBOSE = 2 };

extern enum log_level log_level;

/* Reads LOG_LEVEL; unknown values keep the default (error). */
void log_init_from_env(const char *ifname);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* At most LOG_RATELIMIT_BURST lines per second per call site; the site's
 * state lives in the caller's static struct. */
struct log_ratelimit {
	uint64_t window_start_ns;
	unsigned printed;
	unsigned suppressed;
};
#define LOG_RATELIMIT_BURST 10
void log_ratelimited(struct log_ratelimit *rl, uint64_t now_ns,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same at error level (failures the user must hear of). */
void log_error_ratelimited(struct log_ratelimit *rl, uint64_t now_ns,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
