#ifndef AIRLOCK_HASH_H
#define AIRLOCK_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define SHA256_LEN 32
#define SHA256_HEX 65 /* 64 hex digits and NUL */

/* Streaming SHA-256 through OpenSSL's libcrypto (SHA-NI where present). */
struct sha256 {
	void *ctx; /* EVP_MD_CTX */
};

int sha256_init(struct sha256 *h, struct err *e) AL_WUR;
void sha256_update(struct sha256 *h, const void *p, size_t n);
/* Write the digest and release the context. */
void sha256_final(struct sha256 *h, uint8_t out[SHA256_LEN]);
/* Release without a digest (error paths); safe on an initialised or zeroed struct. */
void sha256_release(struct sha256 *h);

/* One-shot digest of a memory block. */
void sha256_buf(const void *p, size_t n, uint8_t out[SHA256_LEN]);
/* Hash a file by path; *size gets its length when size is not NULL. */
int sha256_file(const char *path, uint8_t out[SHA256_LEN], uint64_t *size, struct err *e) AL_WUR;

/* Lowercase hex of a digest. */
void hex_encode(const uint8_t *p, size_t n, char *out /* 2n+1 */);
/* Parse exactly 2n lowercase hex digits; 0 or -1. */
int hex_decode(const char *s, size_t slen, uint8_t *out, size_t n);
/* 1 if s is exactly 64 lowercase hex digits. */
int is_sha256_hex(const char *s, size_t len);

#endif
