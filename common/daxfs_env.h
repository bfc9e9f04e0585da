/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The few kernel facilities common/ code uses, for both builds: in the kernel
 * they are the real ones; in userspace (the tools and fuzzers) this header
 * maps them onto libc so the same checking code runs unchanged.
 */
#ifndef _DAXFS_ENV_H
#define _DAXFS_ENV_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/kernel.h>
#include <linux/stat.h>
#include <linux/fs.h>
#include <linux/crc32.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <asm/byteorder.h>

/* Raw crc32c step: no pre- or post-inversion. */
static inline u32 daxfs_crc32c_update(u32 crc, const void *p, size_t len)
{
	return __crc32c_le(crc, p, len);
}

/* All @len bytes at @p are zero. */
static inline bool daxfs_mem_is_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* Loads before it are done before loads after it (other kernels store). */
static inline void daxfs_load_fence(void)
{
	/* pairs with the full barriers of the storing side's cmpxchg */
	smp_rmb();
}
#else /* userspace */
#include <linux/types.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define le16_to_cpu(x) le16toh((__u16)(x))
#define le32_to_cpu(x) le32toh((__u32)(x))
#define le64_to_cpu(x) le64toh((__u64)(x))
#define cpu_to_le16(x) ((__le16)htole16(x))
#define cpu_to_le32(x) ((__le32)htole32(x))
#define cpu_to_le64(x) ((__le64)htole64(x))

#ifndef EUCLEAN
#define EUCLEAN 117
#endif
#define kvcalloc(n, size, gfp) calloc((n), (size))
#define kvfree(p) free(p)
#define GFP_KERNEL 0
#define cond_resched() do { } while (0)

#ifdef __cplusplus
extern "C" {
#endif
/* Raw Castagnoli CRC step, as the kernel's __crc32c_le(): no inversions. */
u32 daxfs_crc32c_update(u32 crc, const void *p, size_t len);
#ifdef __cplusplus
}
#endif

/* Loads before it are done before loads after it (kernels store meanwhile). */
static inline void daxfs_load_fence(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

/* All @len bytes at @p are zero. */
static inline bool daxfs_mem_is_zero(const void *p, size_t len)
{
	const unsigned char *b = (const unsigned char *)p;

	return !len || (b[0] == 0 && memcmp(b, b + 1, len - 1) == 0);
}
#endif /* __KERNEL__ */

#ifndef EFSCORRUPTED
#define EFSCORRUPTED EUCLEAN
#endif

/* Castagnoli CRC of a buffer, as the kernel's crc32c(). */
static inline u32 daxfs_crc32c(const void *p, size_t len)
{
	return ~daxfs_crc32c_update(~0U, p, len);
}

#endif /* _DAXFS_ENV_H */
