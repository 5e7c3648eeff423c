// SPDX-License-Identifier: MIT
/*
 * Terminal QR codes (see qr.h): libqrencode makes the symbol at error
 * correction level L in 8-bit mode; each output line covers two module
 * rows, light modules drawn in the foreground colour, with a quiet zone
 * of QR_MARGIN modules.
 */
#include "qr.h"

#include <errno.h>
#include <qrencode.h>
#include <stdbool.h>

#define QR_MARGIN 2

static bool dark(const QRcode *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return false;
	return q->data[y * q->width + x] & 1;
}

static void print_row(FILE *f, const QRcode *q, int y)
{
	static const char *const cell[4] = {
		"\u2588", /* both light */
		"\u2580", /* top light, bottom dark */
		"\u2584", /* top dark, bottom light */
		" ",	  /* both dark */
	};
	int x;

	fputs("\033[40;37m", f);
	for (x = -QR_MARGIN; x < q->width + QR_MARGIN; x++)
		fputs(cell[dark(q, x, y) * 2 + dark(q, x, y + 1)], f);
	fputs("\033[0m\n", f);
}

int qr_print(FILE *f, const char *text)
{
	QRcode *q;
	int y;

	errno = 0;
	q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	if (!q)
		return errno == ERANGE ? -EFBIG : -(errno ? errno : ENOMEM);
	for (y = -QR_MARGIN; y < q->width + QR_MARGIN; y += 2)
		print_row(f, q, y);
	QRcode_free(q);
	return 0;
}
