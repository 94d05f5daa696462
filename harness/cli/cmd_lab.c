/*
 * kvmbench lab [-- CMD...]: boot the lab (QEMU TCG emulating SVM, kvm_amd
 * inside; exec/lab.c) and run CMD there, or a shell.
 */
#include <string.h>

#include "cli/cli.h"
#include "common/util.h"
#include "exec/lab.h"

#define WHO "kvmbench lab"

enum { O_NPT, O_SMP, O_MEM, O_TIMEOUT, O_QUIET, O_END };

static const struct kb_option lab_opts[] = {
    [O_NPT] = {"npt", 0, "on|off", "kvm_amd's nested paging inside (default on)"},
    [O_SMP] = {"smp", 0, "N", "vCPUs of the lab machine, 1-8 (default 2)"},
    [O_MEM] = {"mem", 0, "MIB", "its memory in MiB, 512-65536 (default 8192)"},
    [O_TIMEOUT] = {"timeout", 0, "S", "end the lab after S seconds (exit 124)"},
    [O_QUIET] = {"quiet", 0, NULL, "no boot notices on stderr"},
    [O_END] = {0},
};

static void lab_init(void *state)
{
	struct kb_lab_opts *o = state;

	o->npt = 1;
}

static int lab_option(void *state, int i, const char *v)
{
	static const char *const npt[] = {"on", "off", NULL}; /* 1 and 0 too */
	struct kb_lab_opts *o = state;
	double d;

	switch (i) {
	case O_NPT:
		if (strcmp(v, "1") && strcmp(v, "0") && kb_option_choice(WHO, "--npt", v, npt))
			return 1;
		o->npt = !strcmp(v, "on") || !strcmp(v, "1");
		break;
	case O_SMP: return kb_option_uint(WHO, "--smp", v, 1, 8, &o->smp);
	case O_MEM: return kb_option_uint(WHO, "--mem", v, 512, 65536, &o->mem_mib);
	case O_TIMEOUT:
		if (kb_number_arg(WHO, "--timeout", v, 1, 86400, 0, &d))
			return 1;
		o->timeout = d;
		break;
	case O_QUIET: o->quiet = true; break;
	}
	return 0;
}

static int lab_run(void *state, const struct kb_cli *cli)
{
	struct kb_lab_opts *o = state;
	char err[2048];
	int st = kb_lab_run(cli->env, o, cli->nargs ? cli->args : NULL, err, sizeof(err));

	kb_lab_done(o);
	if (st < 0)
		fprintf(stderr, "kvmbench %s\n", err);
	return st == KB_LAB_ETIMEOUT	   ? KB_LAB_TIMEOUT
	       : st == KB_LAB_EINTERRUPTED ? 130
	       : st < 0			   ? KB_LAB_FAILED
					   : st;
}

const struct kb_command kb_cmd_lab = {
    .name = "lab",
    .summary = "a command or a shell in the lab (QEMU TCG emulating SVM, kvm_amd)",
    .args = "[--] [CMD [ARG...]]",
    .min_args = 0,
    .max_args = -1,
    .rest = true,
    .opts = lab_opts,
    .state_size = sizeof(struct kb_lab_opts),
    .init = lab_init,
    .option = lab_option,
    .run = lab_run,
    .help = "Options end at CMD (or at '--').  CMD runs in the caller's directory when\n"
	    "that is in the project tree, with the caller's environment; without CMD, an\n"
	    "interactive shell (Ctrl-A X quits QEMU).  Exit status: CMD's, 124 the lab\n"
	    "outlived --timeout, 125 the lab itself failed, 130 interrupted\n"
	    "(docs/hosts.md).  A boot that does not come up within\n"
	    "$KVMBENCH_LAB_BOOT_TIMEOUT seconds (default 300) is ended and boots once\n"
	    "more; with KVMBENCH_LAB_MONITOR=1, where its vCPUs were is printed.\n",
};
