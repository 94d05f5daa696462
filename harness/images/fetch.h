/*
 * Guest images into a verified, content-addressed cache: CACHE/<sha256>.
 * Downloads go to CACHE/<sha256>.part (resumed with an HTTP Range request
 * after an interruption), are retried with backoff on transient failures,
 * verified, fsync'ed and renamed into place.  A lock file per image makes
 * a second fetch of the same image wait for the first and reuse its file.
 * The cache directory must be the user's and writable by nobody else; links
 * and other non-regular files in it are refused, and a download larger than
 * its cap fails.
 */
#ifndef KB_FETCH_H
#define KB_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "images/manifest.h"

struct kb_fetch_opts {
	const char *cache;  /* directory */
	bool offline;	    /* never download: the cache or an error */
	bool progress;	    /* a progress bar on stderr */
	long timeout_s;	    /* a transfer slower than 1 KiB/s for this long fails */
	int retries;	    /* attempts after the first */
	uint64_t max_bytes; /* an image without max_size may be this large */
};

enum kb_image_state { KB_IMG_CACHED, KB_IMG_MISSING, KB_IMG_CORRUPT };

/* Fill opts from the environment (KVMBENCH_CACHE, KVMBENCH_FETCH_TIMEOUT_S,
 * KVMBENCH_FETCH_RETRIES, KVMBENCH_MAX_DOWNLOAD) with root's images/cache
 * as the default.  0, or -1 with err for a malformed value. */
int kb_fetch_defaults(struct kb_fetch_opts *o, const char *root, char *err, size_t errlen);

/* Make sure e is in the cache; its path in path[len].  0, or -1 with one
 * line in err and nothing of it left in the cache.  With opts->offline,
 * only a verified copy already there. */
int kb_fetch_image(const struct kb_image_entry *e, const struct kb_fetch_opts *o, char *path,
		   size_t len, char *err, size_t errlen);

/* Cached (and its hash right), missing, or corrupt. */
enum kb_image_state kb_image_state(const struct kb_image_entry *e, const char *cache, char *path,
				   size_t len);

/* SHA-256 of a regular file (not through a symbolic link) as 64 hex
 * digits; 0 or -1. */
int kb_sha256_file(const char *path, char hex[65]);

#endif
