/* SPDX-License-Identifier: MIT */
/*
 * serve's side of joining (cli_serve_join.c): POST /join and the keeper
 * of the hub's bootstrap peers.
 */
#ifndef LW_SERVE_JOIN_H
#define LW_SERVE_JOIN_H

#include <stddef.h>

/* A redemption by node (its tunnel source) with body: the HTTP code
 * (200, 400, 403, 500) and a one-line answer in msg. Logged, without the
 * secret. */
unsigned int serve_join(const char *store, const char *node,
			const char *body, size_t len, char *msg, size_t size);
/* Starts the keeper thread (store must outlive it). */
void serve_join_start(const char *store);

#endif
