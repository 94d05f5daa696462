/*
 * kvmbench host: what kvmbench-vmm would record about this host, whether
 * its KVM is usable and whether the lab can run here.
 */
#include "cli/cli.h"
#include "common/host.h"
#include "exec/lab.h"

static int host_run(void *state, const struct kb_cli *cli)
{
	struct kb_host h;
	const char *why = kb_kvm_unusable(), *qemu = kb_lab_qemu_missing();

	(void)state, (void)cli;
	kb_host_detect(&h);
	printf("kind          %s%s\nkvm_module    %s\npaging        %s\ncpu           %s\n"
	       "kernel        %s\nkvm           %s\nlab           %s\n",
	       h.kind, h.emulated ? " (timings emulated)" : "", h.kvm_module, h.paging, h.cpu_model,
	       h.kernel, why ? why : "usable", qemu ? qemu : "available");
	return why ? 3 : 0;
}

const struct kb_command kb_cmd_host = {
    .name = "host",
    .summary = "this host's kind, KVM module, paging; exit 3 when KVM is unusable",
    .max_args = 0,
    .run = host_run,
    .help = "kind: vmx, svm, pvm, lab or none (docs/hosts.md).  The last line says whether\n"
	    "kvmbench lab can run here (QEMU 10 or later).\n",
};
