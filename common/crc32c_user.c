// SPDX-License-Identifier: GPL-2.0 OR MIT
/* crc32c for userspace builds of common/; the kernel uses its own. */
#include <pthread.h>
#include "daxfs_env.h"

static u32 table[256];

static void make_table(void)
{
	u32 i;

	for (i = 0; i < 256; i++) {
		u32 c = i;
		int k;

		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78U & -(c & 1));
		table[i] = c;
	}
}

u32 daxfs_crc32c_update(u32 crc, const void *p, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const u8 *b = p;
	size_t i;

	pthread_once(&once, make_table);
	for (i = 0; i < len; i++)
		crc = table[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
	return crc;
}
