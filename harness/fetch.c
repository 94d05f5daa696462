/*
 * Downloading and verifying guest images (see fetch.h): libcurl for
 * http(s):// and file://, `apt-get download` + `dpkg-deb -x` for Debian
 * packages, OpenSSL's SHA-256.
 */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

void kb_fetch_defaults(struct kb_fetch_opts *o, const char *root)
{
	static char cache[1200];
	const char *c = getenv("KVMBENCH_CACHE"), *t = getenv("KVMBENCH_FETCH_TIMEOUT_S");
	const char *r = getenv("KVMBENCH_FETCH_RETRIES");

	memset(o, 0, sizeof(*o));
	snprintf(cache, sizeof(cache), "%s", c && *c ? c : "");
	if (!cache[0])
		snprintf(cache, sizeof(cache), "%s/images/cache", root);
	o->cache = cache;
	o->timeout_s = t && atol(t) > 0 ? atol(t) : 30;
	o->retries = r && atoi(r) >= 0 ? atoi(r) : 4;
	o->progress = isatty(2);
}

int kb_sha256_file(const char *path, char hex[65])
{
	unsigned char buf[1 << 16], md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	ssize_t n;

	if (fd < 0 || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	if (n == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32) {
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		rc = 0;
	}
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	return rc;
}

enum kb_image_state kb_image_state(const struct kb_image_entry *e, const char *cache, char *path,
				   size_t len)
{
	char hex[65];

	snprintf(path, len, "%s/%s", cache, e->sha256);
	if (access(path, R_OK))
		return KB_IMG_MISSING;
	return kb_sha256_file(path, hex) || strcmp(hex, e->sha256) ? KB_IMG_CORRUPT : KB_IMG_CACHED;
}

/* --- libcurl ------------------------------------------------------------------ */

struct xfer {
	FILE *f;
	CURL *curl;
	curl_off_t resumed; /* bytes already in the .part file */
	bool checked;
	const char *name;
	bool progress;
	time_t last;
};

static size_t on_data(char *data, size_t size, size_t n, void *user)
{
	struct xfer *x = user;
	long code = 0;

	if (!x->checked) {
		/* A server that ignores Range answers 200 with the whole file. */
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
		if (x->resumed && code == 200) {
			if (ftruncate(fileno(x->f), 0) || fseek(x->f, 0, SEEK_SET))
				return 0;
			x->resumed = 0;
		}
		x->checked = true;
	}
	return fwrite(data, size, n, x->f);
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

/* One attempt: append to part from its current size.  *retry says whether
 * another attempt could help. */
static int attempt(const struct kb_image_entry *e, const struct kb_fetch_opts *o, const char *part,
		   bool *retry, char *err, size_t errlen)
{
	struct xfer x = {.name = e->name, .progress = o->progress};
	struct stat st;
	CURLcode rc;
	long http = 0;
	char cerr[CURL_ERROR_SIZE] = "";

	*retry = false;
	if (!(x.f = fopen(part, "ae"))) {
		snprintf(err, errlen, "%s: %s", part, strerror(errno));
		return -1;
	}
	x.resumed = fstat(fileno(x.f), &st) ? 0 : st.st_size;
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
	if (getenv("KVMBENCH_CA_BUNDLE")) /* a private mirror's CA, PEM */
		curl_easy_setopt(x.curl, CURLOPT_CAINFO, getenv("KVMBENCH_CA_BUNDLE"));
	curl_easy_setopt(x.curl, CURLOPT_USERAGENT, "kvmbench/0.1");
	rc = curl_easy_perform(x.curl);
	curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_cleanup(x.curl);
	if (o->progress)
		fprintf(stderr, "\r\033[K");
	if (fflush(x.f) || fsync(fileno(x.f))) {
		fclose(x.f);
		snprintf(err, errlen, "%s: write failed: %s", part, strerror(errno));
		return -1;
	}
	fclose(x.f);
	if (rc == CURLE_OK)
		return 0;
	*retry = transient(rc, http);
	if (rc == CURLE_RANGE_ERROR && x.resumed && truncate(part, 0) == 0)
		return -2; /* the server cannot resume: start again from byte 0 */
	if (rc == CURLE_OPERATION_TIMEDOUT)
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

static int download(const struct kb_image_entry *e, const struct kb_fetch_opts *o, const char *part,
		    char *err, size_t errlen)
{
	bool retry = true, reset = false;

	for (int i = 0; retry && i <= o->retries; i++) {
		if (i) {
			struct timespec ts = {0, 200000000L << (i - 1 > 3 ? 3 : i - 1)};

			while (ts.tv_nsec >= 1000000000L)
				ts.tv_sec++, ts.tv_nsec -= 1000000000L;
			nanosleep(&ts, NULL);
		}
		int rc = attempt(e, o, part, &retry, err, errlen);

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

static int from_apt(const struct kb_image_entry *e, const struct kb_fetch_opts *o, const char *part,
		    char *err, size_t errlen)
{
	char tmp[1300], log[1400], pattern[1700];
	glob_t g = {0};
	int rc = -1;

	snprintf(tmp, sizeof(tmp), "%s/apt-XXXXXX", o->cache);
	if (!mkdtemp(tmp)) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	snprintf(log, sizeof(log), "%s/log", tmp);
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
	snprintf(pattern, sizeof(pattern), "%s/root/%s", tmp, e->path);
	if (glob(pattern, 0, NULL, &g) || g.gl_pathc != 1) {
		snprintf(err, errlen, "image %s: '%s' matches %zu files in %s (want one)", e->name,
			 e->path, g.gl_pathc, e->apt);
		goto out;
	}
	if (rename(g.gl_pathv[0], part)) {
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

int kb_fetch_image(const struct kb_image_entry *e, const struct kb_fetch_opts *o, char *path,
		   size_t len, char *err, size_t errlen)
{
	char part[1300], lockp[1300], hex[65];
	int lock, rc = -1;

	if (kb_mkdirs(o->cache)) {
		snprintf(err, errlen, "%s: cannot create: %s", o->cache, strerror(errno));
		return -1;
	}
	snprintf(path, len, "%s/%s", o->cache, e->sha256);
	snprintf(part, sizeof(part), "%s.part", path);
	snprintf(lockp, sizeof(lockp), "%s.lock", path);
	/* One fetch per image at a time: a second waits, then finds it done. */
	lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock < 0 || flock(lock, LOCK_EX)) {
		snprintf(err, errlen, "%s: cannot lock: %s", lockp, strerror(errno));
		goto out;
	}
	if (!access(path, R_OK)) {
		if (!kb_sha256_file(path, hex) && !strcmp(hex, e->sha256)) {
			rc = 0;
			goto out;
		}
		unlink(path); /* corrupt: fetch it again */
	}
	if (o->offline) {
		snprintf(err, errlen,
			 "image %s is not in the cache %s and --offline forbids "
			 "downloading it",
			 e->name, o->cache);
		goto out;
	}
	if (e->apt[0] ? from_apt(e, o, part, err, errlen) : download(e, o, part, err, errlen)) {
		unlink(part);
		goto out;
	}
	if (kb_sha256_file(part, hex) || strcmp(hex, e->sha256)) {
		snprintf(err, errlen, "image %s: sha256 mismatch: expected %s, got %s", e->name,
			 e->sha256, hex);
		unlink(part);
		goto out;
	}
	if (rename(part, path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(part);
		goto out;
	}
	int dir = open(o->cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dir >= 0) {
		fsync(dir);
		close(dir);
	}
	rc = 0;
out:
	if (lock >= 0)
		close(lock);
	return rc;
}
