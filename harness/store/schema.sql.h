/* The results database's migrations (see docs/db-schema.md). */
static const char kb_schema_v1[] =
    "CREATE TABLE hosts ("
    "  id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, hostname TEXT, cpu_vendor TEXT,"
    "  cpu_model TEXT, kernel TEXT, kvm_module TEXT, paging TEXT, tdp_mmu TEXT, thp TEXT,"
    "  online_cpus INTEGER, max_vcpus INTEGER, mem_bytes INTEGER);"
    "CREATE TABLE builds ("
    "  id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, version TEXT, git TEXT);"
    "CREATE TABLE campaigns ("
    "  id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, scenario TEXT NOT NULL,"
    "  scenario_file TEXT, kind TEXT NOT NULL DEFAULT 'bench', tag TEXT,"
    "  host_id INTEGER NOT NULL REFERENCES hosts(id), build_id INTEGER REFERENCES builds(id),"
    "  shard TEXT, repeats INTEGER, warmup INTEGER, points INTEGER, planned_runs INTEGER,"
    "  started TEXT NOT NULL, finished TEXT, state TEXT NOT NULL, pid INTEGER,"
    "  CHECK (state IN ('running', 'done', 'interrupted', 'failed')));"
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY, campaign_id INTEGER NOT NULL REFERENCES campaigns(id)"
    "  ON DELETE CASCADE, point_key TEXT NOT NULL, seq INTEGER NOT NULL,"
    "  repeat INTEGER NOT NULL, warmup INTEGER NOT NULL DEFAULT 0,"
    "  topology TEXT, vcpus INTEGER, sockets INTEGER, cores INTEGER, threads INTEGER,"
    "  memory_bytes INTEGER, numa TEXT, devices TEXT, workload TEXT, guest TEXT,"
    "  paging TEXT, vmm_args TEXT, params TEXT NOT NULL, status TEXT NOT NULL,"
    "  exit_code INTEGER, reason TEXT, wall_ns INTEGER, vmm_wall_ns INTEGER, log_dir TEXT,"
    "  started TEXT, UNIQUE (campaign_id, point_key, repeat, warmup));"
    "CREATE TABLE metrics ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, name TEXT NOT NULL,"
    "  value REAL, unit TEXT, vcpu INTEGER);"
    "CREATE TABLE marks ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, name TEXT NOT NULL,"
    "  vcpu INTEGER, t_ns INTEGER, guest_tsc INTEGER);"
    "CREATE TABLE exits ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('total', 'reason', 'region')), space TEXT,"
    "  name TEXT NOT NULL, count INTEGER NOT NULL);"
    "CREATE TABLE kvm_stats ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  scope TEXT NOT NULL CHECK (scope IN ('vm', 'vcpu')), name TEXT NOT NULL,"
    "  value INTEGER NOT NULL);"
    "CREATE INDEX runs_point ON runs(campaign_id, point_key);"
    "CREATE INDEX runs_workload ON runs(workload, paging);"
    "CREATE INDEX metrics_run ON metrics(run_id, name);"
    "CREATE INDEX metrics_name ON metrics(name);"
    "CREATE INDEX marks_run ON marks(run_id);"
    "CREATE INDEX exits_run ON exits(run_id, kind);"
    "CREATE INDEX kvm_stats_run ON kvm_stats(run_id, scope);";

/* 2: extra VMM arguments of a campaign (run --vmm-args), outside point keys. */
static const char kb_schema_v2[] = "ALTER TABLE campaigns ADD COLUMN vmm_args TEXT;";

/* 3: the host kind (vmx, svm, pvm, lab, none; docs/hosts.md) and whether its
 * timings are emulated (the lab).  Hosts recorded before are filled from
 * their KVM module: kvm_pvm is pvm, kvm_intel vmx, kvm_amd svm.  And the
 * group of campaigns one `kvmbench run` made (one per lab: npt and shadow). */
static const char kb_schema_v3[] =
    "ALTER TABLE campaigns ADD COLUMN run_group TEXT;"
    "ALTER TABLE hosts ADD COLUMN kind TEXT;"
    "ALTER TABLE hosts ADD COLUMN timings_emulated INTEGER NOT NULL DEFAULT 0;"
    "UPDATE hosts SET kind = CASE kvm_module WHEN 'kvm_pvm' THEN 'pvm' WHEN 'kvm_intel' THEN"
    " 'vmx' WHEN 'kvm_amd' THEN 'svm' ELSE 'none' END;";

/* 4: the VMM's sandbox in the run (the stats' sandbox.seccomp: on, off or
 * audit; NULL when the VMM wrote no stats or predates it), for the gates. */
static const char kb_schema_v4[] = "ALTER TABLE runs ADD COLUMN sandbox TEXT;";
