/*
 * Downloading and verifying guest images (see fetch.h): libcurl for
 * http(s):// and file://, `apt-get download` + `dpkg-deb -x` for Debian
 * packages, OpenSSL's SHA-256.
 *
 * The cache may hold what someone else put there, so every file in it is
 * opened relative to the checked directory's descriptor, with O_NOFOLLOW
 * and as a regular file only: a planted link or FIFO is refused by name,
 * never followed.
 */
#include "images/fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/size.h"
#include "common/proc.h"
#include "common/util.h"

#define DEFAULT_MAX_DOWNLOAD (4ull << 30)

int kb_fetch_defaults(struct kb_fetch_opts *o, const char *root, char *err, size_t errlen)
{
	static char cache[1200];
	const char *c = getenv("KVMBENCH_CACHE"), *m = getenv("KVMBENCH_MAX_DOWNLOAD");
	double t, r;

	memset(o, 0, sizeof(*o));
	snprintf(cache, sizeof(cache), "%s", c && *c ? c : "");
	if (!cache[0])
		snprintf(cache, sizeof(cache), "%s/images/cache", root);
	o->cache = cache;
	if (kb_env_number("KVMBENCH_FETCH_TIMEOUT_S", 1, 86400, KB_NUM_INT, 30, &t, err, errlen) ||
	    kb_env_number("KVMBENCH_FETCH_RETRIES", 0, 100, KB_NUM_INT, 4, &r, err, errlen))
		return -1;
	o->timeout_s = (long)t;
	o->retries = (int)r;
	o->progress = isatty(2);
	o->max_bytes = DEFAULT_MAX_DOWNLOAD;
	if (m && *m && (kb_bytes_parse(m, &o->max_bytes) || !o->max_bytes))
		return kb_errf(err, errlen,
			       "KVMBENCH_MAX_DOWNLOAD=%s: want a size in bytes above 0 (e.g. 512M)",
			       m);
	return 0;
}

/* SHA-256 of what fd reads, as 64 hex digits; 0 or -1. */
static int sha256_fd(int fd, char hex[65])
{
	unsigned char buf[1 << 16], md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -1;
	ssize_t n;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	if (n == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32) {
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		rc = 0;
	}
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int kb_sha256_file(const char *path, char hex[65])
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), rc;
	struct stat st;

	if (fd < 0)
		return -1;
	rc = fstat(fd, &st) || !S_ISREG(st.st_mode) ? -1 : sha256_fd(fd, hex);
	close(fd);
	return rc;
}

enum kb_image_state kb_image_state(const struct kb_image_entry *e, const char *cache, char *path,
				   size_t len)
{
	struct stat st;
	char hex[65];

	snprintf(path, len, "%s/%s", cache, e->sha256);
	if (lstat(path, &st))
		return KB_IMG_MISSING;
	return kb_sha256_file(path, hex) || strcmp(hex, e->sha256) ? KB_IMG_CORRUPT : KB_IMG_CACHED;
}

/* --- the cache directory ----------------------------------------------------------- */

/*
 * The cache directory, created if missing, as a descriptor; -1 with err.
 * It must be ours and writable by nobody else: another user who could write
 * there could plant the links this file refuses, or swap a verified image
 * after its check.
 */
static int cache_dir_open(const char *cache, char *err, size_t errlen)
{
	struct stat st;
	int dfd;

	if (kb_mkdirs(cache))
		return kb_errf(err, errlen, "%s: cannot create the image cache: %s", cache,
			       strerror(errno));
	dfd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st)) {
		kb_errf(err, errlen, "%s: cannot open the image cache: %s", cache, strerror(errno));
		goto bad;
	}
	if (st.st_uid != geteuid()) {
		kb_errf(err, errlen,
			"%s: the image cache is owned by uid %u, not by you (uid %u): refusing "
			"to use it (KVMBENCH_CACHE picks another)",
			cache, (unsigned)st.st_uid, (unsigned)geteuid());
		goto bad;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		kb_errf(err, errlen,
			"%s: the image cache is writable by others (mode %04o): refusing to use "
			"it (chmod go-w it)",
			cache, (unsigned)(st.st_mode & 07777));
		goto bad;
	}
	return dfd;
bad:
	if (dfd >= 0)
		close(dfd);
	return -1;
}

/*
 * Open name in the cache directory dfd: never through a symbolic link, and
 * only a regular file (O_NONBLOCK, so that a FIFO there cannot hang the
 * open).  A descriptor, or -1 with err naming the path and errno kept
 * (ENOENT: the file is not there).
 */
static int cache_file_open(int dfd, const char *cache, const char *name, int flags, char *err,
			   size_t errlen)
{
	char why[600];
	int fd = kb_openat_regular(dfd, name, flags, why, sizeof(why)), e = errno;

	if (fd < 0) {
		kb_errf(err, errlen, "%s/%s", cache, why);
		errno = e;
	}
	return fd;
}

/* Is the cache's copy of e there and right?  1 yes, 0 missing or wrong
 * (and then removed, when remove), -1 refused with err. */
static int cached(int dfd, const char *cache, const struct kb_image_entry *e, bool remove,
		  char *err, size_t errlen)
{
	char hex[65];
	int fd = cache_file_open(dfd, cache, e->sha256, O_RDONLY, err, errlen), ok;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	ok = !sha256_fd(fd, hex) && !strcmp(hex, e->sha256);
	close(fd);
	if (!ok && remove)
		unlinkat(dfd, e->sha256, 0); /* corrupt: fetch it again */
	return ok;
}

/* --- libcurl ------------------------------------------------------------------ */

struct xfer {
	int fd; /* the .part file, O_APPEND */
	CURL *curl;
	curl_off_t resumed; /* bytes already in the .part file */
	curl_off_t written; /* by this attempt */
	curl_off_t max;	    /* the image's cap in bytes */
	bool capped;	    /* the cap stopped it */
	bool checked;
	const char *name;
	bool progress;
	time_t last;
};

static size_t on_data(char *data, size_t size, size_t n, void *user)
{
	struct xfer *x = user;
	size_t len = size * n, done = 0;
	long code = 0;

	if (!x->checked) {
		/* A server that ignores Range answers 200 with the whole file. */
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
		if (x->resumed && code == 200) {
			if (ftruncate(x->fd, 0))
				return 0;
			x->resumed = 0;
		}
		x->checked = true;
	}
	/* A server without Content-Length, or lying, is stopped here. */
	if ((curl_off_t)len > x->max - x->resumed - x->written) {
		x->capped = true;
		return 0;
	}
	while (done < len) {
		ssize_t w = write(x->fd, data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		done += (size_t)w;
	}
	x->written += (curl_off_t)len;
	return len;
}

static int on_progress(void *user, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
	struct xfer *x = user;
	time_t t = time(NULL);
	double rate = 0;

	(void)ut, (void)un;
	if (!x->progress || t == x->last)
		return 0;
	x->last = t;
	curl_off_t speed = 0;

	curl_easy_getinfo(x->curl, CURLINFO_SPEED_DOWNLOAD_T, &speed);
	rate = (double)speed;
	fprintf(stderr, "\r\033[K  %s: %.1f / %.1f MiB, %.1f MiB/s, ETA %lds", x->name,
		(double)(now + x->resumed) / 1048576.0, (double)(total + x->resumed) / 1048576.0,
		rate / 1048576.0,
		rate > 0 && total > now ? (long)((double)(total - now) / rate) : 0L);
	return 0;
}

static bool transient(CURLcode rc, long http)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING: return true;
	case CURLE_HTTP_RETURNED_ERROR: return http >= 500 || http == 408 || http == 429;
	default: return false;
	}
}

/* The cap on e's size: its max_size, or the default. */
static uint64_t image_cap(const struct kb_image_entry *e, const struct kb_fetch_opts *o)
{
	return e->max_size ? e->max_size : o->max_bytes;
}

static int too_large(const struct kb_image_entry *e, const struct kb_fetch_opts *o, char *err,
		     size_t errlen)
{
	return kb_errf(err, errlen, "image %s: larger than its cap of %llu bytes (%s) (%s)",
		       e->name, (unsigned long long)image_cap(e, o),
		       e->max_size
			   ? "max_size in the manifest"
			   : "KVMBENCH_MAX_DOWNLOAD, or max_size in the manifest, raises it",
		       e->url[0] ? e->url : e->apt);
}

/* One attempt: append to the .part file (open as fd) from its current
 * size.  *retry says whether another attempt could help. */
static int attempt(const struct kb_image_entry *e, const struct kb_fetch_opts *o, int fd,
		   const char *part, bool *retry, char *err, size_t errlen)
{
	struct xfer x = {.fd = fd, .name = e->name, .progress = o->progress};
	struct stat st;
	CURLcode rc;
	long http = 0;
	char cerr[CURL_ERROR_SIZE] = "";
	uint64_t cap = image_cap(e, o);

	*retry = false;
	x.resumed = fstat(fd, &st) ? 0 : st.st_size;
	x.max = cap > (uint64_t)INT64_MAX ? INT64_MAX : (curl_off_t)cap;
	if (x.resumed >= x.max && ftruncate(fd, 0) == 0) /* a leftover at the cap */
		x.resumed = 0;
	x.curl = curl_easy_init();
	curl_easy_setopt(x.curl, CURLOPT_URL, e->url);
	curl_easy_setopt(x.curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(x.curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(x.curl, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(x.curl, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(x.curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(x.curl, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(x.curl, CURLOPT_CONNECTTIMEOUT, o->timeout_s);
	curl_easy_setopt(x.curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(x.curl, CURLOPT_LOW_SPEED_TIME, o->timeout_s);
	curl_easy_setopt(x.curl, CURLOPT_RESUME_FROM_LARGE, x.resumed);
	/* a Content-Length over the cap fails before the body */
	curl_easy_setopt(x.curl, CURLOPT_MAXFILESIZE_LARGE, x.max - x.resumed);
	if (getenv("KVMBENCH_CA_BUNDLE")) /* a private mirror's CA, PEM */
		curl_easy_setopt(x.curl, CURLOPT_CAINFO, getenv("KVMBENCH_CA_BUNDLE"));
	curl_easy_setopt(x.curl, CURLOPT_USERAGENT, "kvmbench/0.1");
	rc = curl_easy_perform(x.curl);
	curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_cleanup(x.curl);
	if (o->progress)
		fprintf(stderr, "\r\033[K");
	if (fsync(fd)) {
		snprintf(err, errlen, "%s: write failed: %s", part, strerror(errno));
		return -1;
	}
	if (rc == CURLE_OK)
		return 0;
	*retry = transient(rc, http);
	if (rc == CURLE_RANGE_ERROR && x.resumed && ftruncate(fd, 0) == 0)
		return -2; /* the server cannot resume: start again from byte 0 */
	if (x.capped || rc == CURLE_FILESIZE_EXCEEDED)
		too_large(e, o, err, errlen);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		snprintf(err, errlen, "image %s: timed out: under 1 KiB/s for %ld s (%s)", e->name,
			 o->timeout_s, e->url);
	else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR)
		snprintf(err, errlen,
			 "image %s: TLS failed: %s (%s; a private CA goes in "
			 "KVMBENCH_CA_BUNDLE)",
			 e->name, cerr[0] ? cerr : curl_easy_strerror(rc), e->url);
	else if (rc == CURLE_COULDNT_RESOLVE_HOST)
		snprintf(err, errlen, "image %s: DNS: %s (%s)", e->name,
			 cerr[0] ? cerr : curl_easy_strerror(rc), e->url);
	else if (rc == CURLE_HTTP_RETURNED_ERROR)
		snprintf(err, errlen, "image %s: HTTP %ld from %s", e->name, http, e->url);
	else
		snprintf(err, errlen, "image %s: %s (%s)", e->name,
			 cerr[0] ? cerr : curl_easy_strerror(rc), e->url);
	return -1;
}

static int download(const struct kb_image_entry *e, const struct kb_fetch_opts *o, int fd,
		    const char *part, char *err, size_t errlen)
{
	bool retry = true, reset = false;

	for (int i = 0; retry && i <= o->retries; i++) {
		if (i) {
			struct timespec ts = {0, 200000000L << (i - 1 > 3 ? 3 : i - 1)};

			while (ts.tv_nsec >= 1000000000L)
				ts.tv_sec++, ts.tv_nsec -= 1000000000L;
			nanosleep(&ts, NULL);
		}
		int rc = attempt(e, o, fd, part, &retry, err, errlen);

		if (rc == 0)
			return 0;
		if (rc == -2 && !reset) { /* once, and it does not count as a retry */
			reset = retry = true;
			i--;
		}
	}
	return -1;
}

/* --- Debian packages ------------------------------------------------------------ */

/* argv in dir, its output appended to log (NULL: discarded); its exit
 * status, or -1. */
static int run_in(const char *dir, char *const argv[], const char *log)
{
	char why[512];
	int fd = log ? kb_open_regular(log, O_WRONLY | O_CREAT | O_APPEND, why, sizeof(why))
		     : open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid_t pid = fd < 0 ? -1 : kb_child_start(argv, -1, fd, dir, why, sizeof(why));
	int st = pid < 0 ? -1 : kb_child_wait(pid);

	if (fd >= 0)
		close(fd);
	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Is file a regular file whose real path lies inside dir?  A package's
 * symbolic links (boot -> /boot) would otherwise let a glob match, and the
 * rename below move, a file anywhere. */
static bool inside(const char *dir, const char *file)
{
	char rdir[PATH_MAX], rfile[PATH_MAX];
	struct stat st;
	size_t n;

	if (lstat(file, &st) || !S_ISREG(st.st_mode) || !realpath(dir, rdir) ||
	    !realpath(file, rfile))
		return false;
	n = strlen(rdir);
	return !strncmp(rfile, rdir, n) && rfile[n] == '/';
}

/* e's file out of its package, renamed to part in the cache dfd; everything
 * else happens in a scratch directory of the cache, removed after. */
static int from_apt(const struct kb_image_entry *e, const struct kb_fetch_opts *o, int dfd,
		    const char *part, char *err, size_t errlen)
{
	char tmp[1300], log[1400], pattern[1700], root[1400];
	glob_t g = {0};
	struct stat st;
	int rc = -1;

	snprintf(tmp, sizeof(tmp), "%s/apt-XXXXXX", o->cache);
	if (!mkdtemp(tmp)) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	snprintf(log, sizeof(log), "%s/log", tmp);
	snprintf(root, sizeof(root), "%s/root", tmp);
	char *dl[] = {"apt-get", "download", "-q", (char *)e->apt, NULL};

	if (run_in(tmp, dl, log)) {
		snprintf(err, errlen, "image %s: apt-get download %s failed (see %s)", e->name,
			 e->apt, log);
		return -1; /* the log stays for the user */
	}
	snprintf(pattern, sizeof(pattern), "%s/*.deb", tmp);
	if (glob(pattern, 0, NULL, &g) || g.gl_pathc != 1) {
		snprintf(err, errlen, "image %s: apt-get download %s gave no single .deb", e->name,
			 e->apt);
		goto out;
	}
	char *x[] = {"dpkg-deb", "-x", g.gl_pathv[0], "root", NULL};

	if (run_in(tmp, x, log)) {
		snprintf(err, errlen, "image %s: dpkg-deb -x failed (see %s)", e->name, log);
		goto out;
	}
	globfree(&g);
	snprintf(pattern, sizeof(pattern), "%s/%s", root, e->path);
	if (glob(pattern, 0, NULL, &g) || g.gl_pathc != 1) {
		snprintf(err, errlen, "image %s: '%s' matches %zu files in %s (want one)", e->name,
			 e->path, g.gl_pathc, e->apt);
		goto out;
	}
	if (!inside(root, g.gl_pathv[0])) {
		snprintf(err, errlen,
			 "image %s: '%s' in %s is not a regular file, or leads outside the "
			 "package through a symbolic link",
			 e->name, e->path, e->apt);
		goto out;
	}
	if (!stat(g.gl_pathv[0], &st) && (uint64_t)st.st_size > image_cap(e, o)) {
		too_large(e, o, err, errlen);
		goto out;
	}
	if (renameat(AT_FDCWD, g.gl_pathv[0], dfd, part)) {
		snprintf(err, errlen, "image %s: %s", e->name, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	globfree(&g);
	char *rm[] = {"rm", "-rf", tmp, NULL};

	run_in("/", rm, NULL);
	return rc;
}

/* --offline: the cache's copy, verified, or an error; nothing is written,
 * so the cache directory need not be ours (the lab reads the host user's
 * cache as root). */
static int cached_only(const struct kb_image_entry *e, const struct kb_fetch_opts *o, char *err,
		       size_t errlen)
{
	int dfd = open(o->cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (dfd >= 0) {
		rc = cached(dfd, o->cache, e, false, err, errlen);
		close(dfd);
	}
	if (rc == 0)
		kb_errf(err, errlen,
			"image %s is not in the cache %s (or is corrupt) and --offline forbids "
			"downloading it",
			e->name, o->cache);
	return rc == 1 ? 0 : -1;
}

int kb_fetch_image(const struct kb_image_entry *e, const struct kb_fetch_opts *o, char *path,
		   size_t len, char *err, size_t errlen)
{
	char part[80], lockn[80], hex[65] = "";
	int dfd, lock = -1, fd = -1, rc = -1;

	snprintf(path, len, "%s/%s", o->cache, e->sha256);
	if (o->offline)
		return cached_only(e, o, err, errlen);
	if ((dfd = cache_dir_open(o->cache, err, errlen)) < 0)
		return -1;
	snprintf(part, sizeof(part), "%s.part", e->sha256);
	snprintf(lockn, sizeof(lockn), "%s.lock", e->sha256);
	/* One fetch per image at a time: a second waits, then finds it done. */
	lock = cache_file_open(dfd, o->cache, lockn, O_RDWR | O_CREAT, err, errlen);
	if (lock < 0)
		goto out;
	if (flock(lock, LOCK_EX)) {
		kb_errf(err, errlen, "%s/%s: cannot lock: %s", o->cache, lockn, strerror(errno));
		goto out;
	}
	if ((rc = cached(dfd, o->cache, e, true, err, errlen)) != 0) {
		rc = rc == 1 ? 0 : -1;
		goto out;
	}
	rc = -1;
	if (e->apt[0]) {
		if (from_apt(e, o, dfd, part, err, errlen))
			goto fail;
	} else {
		fd = cache_file_open(dfd, o->cache, part, O_WRONLY | O_CREAT | O_APPEND, err,
				     errlen);
		if (fd < 0)
			goto out; /* not ours to remove */
		if (download(e, o, fd, part, err, errlen))
			goto fail;
		close(fd);
	}
	fd = cache_file_open(dfd, o->cache, part, O_RDONLY, err, errlen);
	if (fd < 0)
		goto fail;
	if (sha256_fd(fd, hex) || strcmp(hex, e->sha256)) {
		kb_errf(err, errlen, "image %s: sha256 mismatch: expected %s, got %s", e->name,
			e->sha256, hex);
		goto fail;
	}
	if (renameat(dfd, part, dfd, e->sha256)) {
		kb_errf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fsync(dfd);
	rc = 0;
	goto out;
fail:
	unlinkat(dfd, part, 0); /* the link itself, were it one */
out:
	if (fd >= 0)
		close(fd);
	if (lock >= 0)
		close(lock);
	close(dfd);
	return rc;
}
