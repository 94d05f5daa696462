/*
 * -runas (see runas.h).
 */
#include "runas.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/util.h"

/*
 * The /etc/passwd entry with this name (or, name NULL, this UID) into *pw:
 * 1, 0 when there is none, -1 with errno.  The file itself, not NSS: the
 * VMM is linked statically, and glibc's NSS modules cannot be loaded into
 * it.  (kvmbench resolves names through NSS and passes UID:GID.)
 */
static int lookup(const char *name, uid_t uid, struct passwd *pw)
{
	static char buf[4096];
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *e;
	int found = 0;

	if (!f)
		return -1;
	while (!found && !fgetpwent_r(f, pw, buf, sizeof(buf), &e))
		found = name ? !strcmp(e->pw_name, name) : e->pw_uid == uid;
	fclose(f);
	return found;
}

/* UID[:GID]: 1 with the numbers (*has_gid when GID was given), 0 when spec
 * is a name (no colon and not a number), -1 when it is malformed. */
static int parse_ids(const char *spec, uid_t *uid, gid_t *gid, bool *has_gid)
{
	char num[32];
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	double u, g = 0;

	if (!strchr("0123456789", spec[0]) || n >= sizeof(num))
		return colon ? -1 : 0;
	memcpy(num, spec, n);
	num[n] = 0;
	/* (uid_t)-1 means "unchanged" to setuid(): not a user */
	if (kb_number_parse(num, 0, 4294967294.0, KB_NUM_INT, &u, NULL, 0))
		return colon ? -1 : 0;
	if (colon && kb_number_parse(colon + 1, 0, 4294967294.0, KB_NUM_INT, &g, NULL, 0))
		return -1;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	*has_gid = colon != NULL;
	return 1;
}

int kb_runas_init(const char *spec, struct kb_runas *ra, char *err, size_t errlen)
{
	struct passwd pw;
	bool has_gid = false;
	uid_t uid = 0;
	gid_t gid = 0;
	int numeric, found;

	memset(ra, 0, sizeof(*ra));
	ra->uid = getuid();
	ra->gid = getgid();
	if (!spec)
		return 0;
	numeric = parse_ids(spec, &uid, &gid, &has_gid);
	if (numeric < 0)
		return kb_errf(err, errlen, "-runas %s: expected a user name or UID[:GID]", spec);
	found = lookup(numeric ? NULL : spec, uid, &pw);
	if (found < 0)
		return kb_errf(err, errlen, "-runas %s: /etc/passwd: %s", spec, strerror(errno));
	if (!found && !(numeric && has_gid))
		return kb_errf(err, errlen, "-runas %s: %s", spec,
			       numeric ? "no user with this UID in /etc/passwd: give the group too "
					 "(UID:GID)"
				       : "no such user in /etc/passwd (give UID:GID)");
	ra->uid = found ? pw.pw_uid : uid;
	ra->gid = found && !has_gid ? pw.pw_gid : gid;
	snprintf(ra->user, sizeof(ra->user), "%s", found ? pw.pw_name : spec);
	ra->set = true;
	return 0;
}

static int failed(const struct kb_runas *ra, const char *what, char *err, size_t errlen)
{
	int e = errno;

	return kb_errf(err, errlen, "-runas %s: %s: %s%s", ra->user, what, strerror(e),
		       e == EPERM ? " (-runas needs root: CAP_SETUID, CAP_SETGID)" : "");
}

int kb_runas_drop(const struct kb_runas *ra, char *err, size_t errlen)
{
	pid_t parent = getppid();
	uid_t r, e, s;
	gid_t rg, eg, sg;
	int pdeath = 0;

	if (!ra->set)
		return 0;
	if (prctl(PR_GET_PDEATHSIG, &pdeath))
		return failed(ra, "PR_GET_PDEATHSIG", err, errlen);
	if (setgroups(0, NULL))
		return failed(ra, "setgroups", err, errlen);
	if (setgid(ra->gid))
		return failed(ra, "setgid", err, errlen);
	if (setuid(ra->uid))
		return failed(ra, "setuid", err, errlen);
	if (getresuid(&r, &e, &s) || getresgid(&rg, &eg, &sg) || r != ra->uid || e != ra->uid ||
	    s != ra->uid || rg != ra->gid || eg != ra->gid || sg != ra->gid ||
	    getgroups(0, NULL) > 0 || (ra->uid && !setuid(0)))
		return kb_errf(err, errlen,
			       "-runas %s: the VMM still holds other credentials after setuid "
			       "(uid %u/%u/%u, gid %u/%u/%u)",
			       ra->user, r, e, s, rg, eg, sg);
	if (ra->uid && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return failed(ra, "PR_SET_DUMPABLE", err, errlen);
	/* PDEATHSIG set after the parent died does not fire: look again. */
	if (pdeath && (prctl(PR_SET_PDEATHSIG, pdeath) || getppid() != parent))
		return kb_errf(err, errlen,
			       "-runas %s: the parent ended while the VMM dropped root", ra->user);
	return 0;
}
