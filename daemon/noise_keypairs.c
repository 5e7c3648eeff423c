// SPDX-License-Identifier: MIT
/*
 * The keypair slots previous/current/next and key confirmation (whitepaper
 * 5.4.6, declared in noise.h): where a session's keys go once the
 * handshake in noise.c made them, and how the responder's wait for the
 * first data packet moves them. Pure pointer moves; the keys themselves
 * are never read here, only wiped when a keypair is freed.
 */
#include "noise.h"

#include <stdlib.h>

#include "crypto.h"

void noise_keypairs_insert(struct noise_keypairs *kps, struct noise_keypair *kp,
			   struct noise_keypair *dropped[static 2])
{
	dropped[0] = dropped[1] = NULL;
	if (kp->is_initiator) {
		/* The initiator may send at once. If a responder-side next
		 * was waiting for confirmation it will never get one now:
		 * keep it as previous so its late packets still decrypt. */
		if (kps->next) {
			dropped[0] = kps->previous;
			dropped[1] = kps->current;
			kps->previous = kps->next;
			kps->next = NULL;
		} else {
			dropped[0] = kps->previous;
			kps->previous = kps->current;
		}
		kps->current = kp;
	} else {
		/* The responder waits for the initiator's first data packet
		 * (key confirmation) before using the new keys. */
		dropped[0] = kps->next;
		dropped[1] = kps->previous;
		kps->next = kp;
		kps->previous = NULL;
	}
}

bool noise_keypairs_received_with(struct noise_keypairs *kps,
				  struct noise_keypair *kp,
				  struct noise_keypair **dropped)
{
	*dropped = NULL;
	if (kp != kps->next)
		return false;
	*dropped = kps->previous;
	kps->previous = kps->current;
	kps->current = kp;
	kps->next = NULL;
	return true;
}

void noise_keypairs_clear(struct noise_keypairs *kps,
			  struct noise_keypair *dropped[static 3])
{
	dropped[0] = kps->previous;
	dropped[1] = kps->current;
	dropped[2] = kps->next;
	kps->previous = kps->current = kps->next = NULL;
}

void noise_keypair_free(struct noise_keypair *kp)
{
	if (!kp)
		return;
	crypto_wipe(kp, sizeof(*kp));
	free(kp);
}
