/* SPDX-License-Identifier: MIT */
/*
 * Renderers: a node's plan to the files that configure it. Each reads only
 * the plan (and through it the checked description) and appends named
 * files to a struct lw_files:
 *
 *   wg-quick   IFACE.conf      what wg-quick (and lanwired under it) reads;
 *                              PostUp sets forwarding and loads IFACE.nft,
 *                              PostDown deletes the nft table
 *   networkd   IFACE.netdev, IFACE.network   for kernel WireGuard hosts
 *   both       IFACE.nft       the policy as one nft table (hubs, gateways)
 *              IFACE.sysctl    forwarding, for /etc/sysctl.d (hubs, gateways)
 *              lan-router.txt  routes the site's LAN router must hold
 *   overlay    LINKIF.conf, bird.conf, overlay-routes.txt (several hubs
 *              or a [link]: render_overlay.c)
 *
 * Ownership: struct lw_files is the caller's; files_free() wipes and frees
 * every file (a configuration may hold a private key).
 */
#ifndef LW_RENDER_H
#define LW_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "model.h"

enum lw_format { LW_FORMAT_WGQUICK, LW_FORMAT_NETWORKD };

struct lw_render_opts {
	const char *source;   /* description file name, for the header */
	const char *hook_dir; /* where PostUp finds IFACE.nft */
};

struct lw_file {
	char *name;
	char *text;
	bool secret; /* holds a private or preshared key */
};

struct lw_files {
	struct lw_file *v;
	size_t n, cap;
};

/* Appends a file named name with b's text (taken over). 0 or -ENOMEM. */
int files_add(struct lw_files *f, const char *name, struct lw_buf *b,
	      bool secret);
void files_free(struct lw_files *f);

/* The comment lines every rendered file starts with (prefix "#"). */
void render_header(struct lw_buf *b, const struct lw_node_plan *pl,
		   const struct lw_render_opts *o, const char *what);
/* "z (hub)" or "a (gateway of site LAN1)" for peer comments. */
void render_peer_comment(struct lw_buf *b, const struct lw_node_plan *pl,
			 size_t peer);

int render_wgquick(const struct lw_node_plan *pl,
		   const struct lw_render_opts *o, struct lw_files *out);
int render_networkd(const struct lw_node_plan *pl,
		    const struct lw_render_opts *o, struct lw_files *out);
/* The nft ruleset of a forwarding node as text (caller frees), "" for a
 * client, NULL on allocation failure. */
char *render_nft_ruleset(const struct lw_node_plan *pl,
			 const struct lw_render_opts *o);
/* The table lanwire up loads on this host: also a Linux client's input
 * table (its wg-quick file carries it in PostUp); "" for os = other. */
char *render_nft_host_ruleset(const struct lw_node_plan *pl,
			      const struct lw_render_opts *o);
int render_nft(const struct lw_node_plan *pl, const struct lw_render_opts *o,
	       struct lw_files *out);
/* Lines already emitted, so a chain holds each line once. Caller-owned;
 * render_fw_lines_free() releases it. */
struct lw_fw_lines {
	char **v;
	size_t n, cap;
	bool oom;
};

/* The nft match lines of one firewall rule (one per family and protocol),
 * each as pre LINE post and a newline, skipping lines in seen; ifc is the
 * tunnel's interface match as the text should carry it, quoted: "\"wg0\""
 * or, on an overlay router, "{ \"wg0\", \"lwl1\" }". */
void render_fw_rule_lines(struct lw_buf *out, const struct lw_fw_rule *r,
			  const char *ifc, const char *pre, const char *post,
			  struct lw_fw_lines *seen);
void render_fw_lines_free(struct lw_fw_lines *seen);
/* IFACE.sysctl and lan-router.txt, when the node needs them. */
int render_host(const struct lw_node_plan *pl, const struct lw_render_opts *o,
		struct lw_files *out);
/* The overlay's files (render_overlay.c): LINKIF.conf per link,
 * bird.conf, overlay-routes.txt; nothing without links. */
int render_overlay(const struct lw_node_plan *pl,
		   const struct lw_render_opts *o, struct lw_files *out);
/* Every file of the node in the given format. */
int render_node(const struct lw_node_plan *pl, enum lw_format fmt,
		const struct lw_render_opts *o, struct lw_files *out);

#endif
