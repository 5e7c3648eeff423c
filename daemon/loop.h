/* SPDX-License-Identifier: MIT */
/*
 * The event loop (loop.c) serving one device: epoll over its descriptors,
 * timers ticked at the earliest armed deadline.
 */
#ifndef LW_LOOP_H
#define LW_LOOP_H

#include <signal.h>

struct device;

/* Adds fd (if valid) to the loop's epoll set once the loop runs. */
void loop_watch(struct device *dev, int fd);
/* Fires every peer's expired timers (the loop calls it when due). */
void device_tick_timers(struct device *dev);
/* Set from a signal handler: device_run returns soon after. */
extern volatile sig_atomic_t device_stop_requested;
/* Event loop until should_exit. 0 or -errno. */
int device_run(struct device *dev);

#endif
