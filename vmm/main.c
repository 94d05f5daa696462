/*
 * kvmbench-vmm: parse options, create the machine, run it, account for it.
 *
 * The only place that exits, but for the main thread caught by the sandbox
 * (sandbox_end in vm.c).  Exit statuses are listed in
 * docs/exit-status.md and in -h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "vm.h"
#include "common/version.h"

static int run(const struct kb_config *cfg, struct kb_vm *vm, char *err, size_t errlen)
{
	if (kb_vm_create(vm, cfg, err, errlen) || kb_vm_load(vm, err, errlen) ||
	    kb_vm_drop_root(vm, err, errlen) || kb_vm_start_vcpus(vm, err, errlen))
		return -1;
	kb_vm_wait(vm);
	kb_vm_finish(vm);
	return 0;
}

int main(int argc, char **argv)
{
	static struct kb_vm vm; /* large; keep it off the stack */
	struct kb_config cfg;
	char err[512];
	int code;

	if (kb_options_parse(argc, argv, &cfg, err, sizeof(err))) {
		fprintf(stderr, "kvmbench-vmm: %s\n", err);
		return KB_EXIT_VMM_ERROR;
	}
	if (cfg.help) {
		kb_options_usage(stdout);
		return 0;
	}
	if (cfg.version) {
		printf("kvmbench-vmm %s\n", KB_VERSION);
		return 0;
	}
	if (run(&cfg, &vm, err, sizeof(err))) {
		fprintf(stderr, "kvmbench-vmm: %s\n", err);
		kb_result_set(&vm.result, KB_EXIT_VMM_ERROR, "error", -1, "%s", err);
		kb_vm_finish(&vm);
	}
	code = vm.result.set ? vm.result.exit_code : KB_EXIT_GUEST_CRASH;
	if (vm.result.set && code != KB_EXIT_PASS && strcmp(vm.result.status, "error"))
		fprintf(stderr, "kvmbench-vmm: guest %s: %s\n", vm.result.status, vm.result.reason);
	if (cfg.stats_path &&
	    kb_stats_write(cfg.stats_path, &cfg, &vm, &vm.result, err, sizeof(err))) {
		fprintf(stderr, "kvmbench-vmm: %s\n", err);
		code = KB_EXIT_VMM_ERROR;
	}
	kb_vm_destroy(&vm);
	return code;
}
