/* SPDX-License-Identifier: MIT */
/*
 * A text as a QR code on a terminal (libqrencode), two modules per
 * character cell with Unicode half blocks, white on black forced with ANSI
 * colours so that it scans on light and dark terminals alike. The phone
 * apps of WireGuard import a configuration from such a code.
 */
#ifndef LW_QR_H
#define LW_QR_H

#include <stdio.h>

/* 0 or -errno (-EFBIG when text does not fit a QR code). */
int qr_print(FILE *f, const char *text);

#endif
