import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { raw, sh, type ShellCommand } from "../../remote/shell.js";
import { renderTemplate } from "../../render/render.js";
import { PlanError } from "../../errors.js";
import { probed, planFiles, type ObservedFile } from "../files.js";
import { unchanged, type Change, type StepPlan } from "../change.js";
import type { PlanInput, Step } from "../context.js";

export const RUNTIME_DIR = "/opt/mmm";
const BUNDLE_PATH = `${RUNTIME_DIR}/mmm.cjs`;
const SHIPPED_NODE = `${RUNTIME_DIR}/node`;
/** MMM's control command on the monitor host, as the tutorial types it. */
export const MMM_CONTROL_PATH = "/usr/local/bin/mmm_control";
const MIN_NODE_MAJOR = 18;

/** Shell that runs the bundle with the shipped Node.js when there is one, else the host's. */
const RUN_BUNDLE = sh`N=node; if [ -x ${SHIPPED_NODE} ]; then N=${SHIPPED_NODE}; fi
exec "$N" ${BUNDLE_PATH}`.text;

/**
 * `mmm control ARGS` with the runtime bootstrap installed on a host (its own Node.js, or the one
 * shipped beside the bundle): what status and the drill use to ask the monitor on its host.
 */
export function runtimeControlCommand(options: readonly string[], words: readonly string[]): ShellCommand {
  return sh`${raw(RUN_BUNDLE)} control ${options} ${raw("--")} ${words}`;
}

type Program = "agent" | "monitor";

interface Service {
  readonly program: Program;
  readonly service: string;
  readonly description: string;
  readonly config: string;
  readonly pidFile: string;
}

const SERVICES: Record<Program, Service> = {
  agent: {
    program: "agent",
    service: "mmm-agent",
    description: "mmm agent: VIPs and read_only on this database host",
    config: "/etc/mysql-mmm/mmm_agent.conf",
    pidFile: "/run/mysql-mmm/mmm_agentd.pid",
  },
  monitor: {
    program: "monitor",
    service: "mmm-monitor",
    description: "mmm monitor: checks the cluster and moves roles",
    config: "/etc/mysql-mmm/mmm_mon.conf",
    pidFile: "/run/mysql-mmm/mmm_mond.pid",
  },
};

/** bootstrap's mmm_mon.conf status_path: present once the monitor has run. */
const MONITOR_STATUS = "/var/lib/mysql-mmm/mmm_mond.status";
/** How long a first start may take until the monitor's checks let a host be set online. */
const SET_ONLINE_WAIT_S = 30;

interface Observed {
  /** The monitor has never run here (no status file): its hosts start AWAITING_RECOVERY. */
  readonly firstStart: boolean;
  readonly bundleSum: string | null;
  readonly nodeSum: string | null;
  readonly running: boolean;
  readonly files: Map<string, ObservedFile>;
}

/** The bundle this controller ships: dist/mmm.cjs beside the installation (npm run build). */
export function localBundle(): Buffer {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "dist", "mmm.cjs");
    if (existsSync(candidate)) return readFileSync(candidate);
    if (existsSync(join(dir, "mmm.cjs")) && dir.endsWith("dist")) return readFileSync(join(dir, "mmm.cjs"));
    dir = dirname(dir);
  }
  throw new PlanError("dist/mmm.cjs not found: run `npm run build` first");
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

let shipped: { readonly content: Buffer; readonly sum: string } | undefined;
/** The bundle and its checksum, read once per run: every host's plan compares against the same bytes. */
function bundleToShip(): { readonly content: Buffer; readonly sum: string } {
  if (!shipped) {
    const content = localBundle();
    shipped = { content, sum: sha256(content) };
  }
  return shipped;
}

/** The host's own Node.js when it is recent enough, else the controller's, shipped to /opt/mmm. */
function nodeFor(input: PlanInput): { path: string; ship: boolean } {
  const major = Number(/^v(\d+)/.exec(input.facts.node ?? "")?.[1] ?? 0);
  return major >= MIN_NODE_MAJOR ? { path: "node", ship: false } : { path: SHIPPED_NODE, ship: true };
}

function unitPath(input: PlanInput, s: Service): string {
  return input.facts.init === "systemd" ? `/etc/systemd/system/${s.service}.service` : `/etc/init.d/${s.service}`;
}

function runtimeStep(program: Program): Step<Observed> {
  const s = SERVICES[program];
  return {
    id: `runtime-${program}`,
    title: program === "agent" ? "mmm agents (database hosts first)" : "mmm monitor",
    appliesTo: (h) => (program === "agent" ? h.kind !== "monitor" : h.kind === "monitor"),
    ...probed((ctx) => {
      const unit = unitPath(ctx, s);
      // The init script bootstrap wrote answers `status` itself; `service` would only add a
      // costly wrapper (about 0.1 s of CPU per call) around it.
      const status = ctx.facts.init === "systemd" ? sh`systemctl is-active --quiet ${s.service}` : sh`${unit} status`;
      return {
        commands: {
          sums: sh`for f in ${BUNDLE_PATH} ${SHIPPED_NODE}; do if [ -f "$f" ]; then sha256sum < "$f" | cut -d ' ' -f 1; else echo -; fi; done`,
          running: sh`[ -e ${unit} ] && ${status} >/dev/null 2>&1 && echo running; true`,
          statusFile: sh`[ -e ${MONITOR_STATUS} ] && echo present; true`,
        },
        files: program === "monitor" ? [unit, MMM_CONTROL_PATH] : [unit],
        read(o) {
          const out = (name: string) => o.outputs.get(name)!.stdout;
          const [bundle, node] = out("sums").trim().split("\n");
          return {
            bundleSum: bundle && bundle !== "-" ? bundle : null,
            nodeSum: node && node !== "-" ? node : null,
            running: out("running").includes("running"),
            files: o.files,
            firstStart: !out("statusFile").includes("present"),
          };
        },
      };
    }),
    plan(o, input): StepPlan {
      const changes: Change[] = [];
      const { content: bundle, sum: bundleSum } = bundleToShip();
      if (o.bundleSum !== bundleSum) {
        changes.push({ kind: "upload", path: BUNDLE_PATH, summary: `install ${BUNDLE_PATH} (${Math.round(bundle.length / 1024)} KiB)`, content: bundle, mode: 0o755 });
      }
      const node = nodeFor(input);
      if (node.ship) {
        const binary = readFileSync(process.execPath);
        if (o.nodeSum !== sha256(binary)) {
          changes.push({ kind: "upload", path: SHIPPED_NODE, summary: `install Node.js ${process.version} as ${SHIPPED_NODE} (the host has none ≥ ${MIN_NODE_MAJOR})`, content: binary, mode: 0o755 });
        }
      }
      const systemd = input.facts.init === "systemd";
      const unit = renderTemplate(systemd ? "mmm-service.service.hbs" : "mmm-service.init.hbs", { ...s, node: node.path });
      const unitChanges = planFiles(o.files, [{ path: unitPath(input, s), content: unit, mode: systemd ? 0o644 : 0o755 }]);
      changes.push(...unitChanges);
      if (systemd && unitChanges.length > 0) {
        changes.push({ kind: "command", summary: `enable ${s.service}`, command: sh`systemctl daemon-reload && systemctl enable ${s.service}` });
      }
      const restart = changes.length > 0 && o.running;
      // After the restart decision: a new wrapper needs no restart of the monitor.
      if (program === "monitor") changes.push(...planFiles(o.files, [{ path: MMM_CONTROL_PATH, content: MMM_CONTROL_WRAPPER, mode: 0o755 }]));
      if (restart || !o.running) {
        const action = restart ? "restart" : "start";
        changes.push({
          kind: "command",
          summary: `${action} ${s.service}`,
          command: systemd ? sh`systemctl ${action} ${s.service}` : sh`service ${s.service} ${action}`,
          timeoutMs: 30_000,
        });
      }
      const setOnline = program === "monitor" && o.firstStart ? setOnlineChange(input, node.path) : null;
      if (setOnline) changes.push(setOnline);
      return changes.length ? { changes, reason: "" } : unchanged(`${s.service} runs the current ${BUNDLE_PATH}`);
    },
  };
}

/** `mmm_control ARGS` runs `mmm control ARGS` with the runtime's Node.js and bundle. */
const MMM_CONTROL_WRAPPER = `#!/bin/sh
# Installed by mmm bootstrap: MMM's mmm_control, answered by the mmm monitor.
${RUN_BUNDLE} control "$@"
`;

/**
 * On the monitor's first start every host is AWAITING_RECOVERY, as in MMM; the tutorial then
 * runs `mmm_control set_online` for each. Bootstrap does the same, once, masters first so the
 * first master takes the writer role. Later runs never force a host online: a host that is not
 * ONLINE then is so for a reason the monitor knows.
 */
function setOnlineChange(input: PlanInput, node: string): Change | null {
  const all = [...input.inventory.masters, ...input.inventory.slaves].map((h) => h.name);
  const hosts = all.filter((h) => !input.failedHosts.has(h));
  const left = all.filter((h) => input.failedHosts.has(h));
  if (hosts.length === 0) return null;
  const note = left.length ? ` (not ${left.join(", ")}: an earlier step failed there; auto_set_online brings it online once healthy)` : "";
  return {
    kind: "command",
    summary: `first start: set ${hosts.join(", ")} online (mmm_control set_online)${note}`,
    command: sh`for h in ${hosts}; do
  i=0
  until out=$(${node} ${BUNDLE_PATH} control set_online "$h" 2>&1) && case "$out" in OK*) true;; *) false;; esac; do
    i=$((i + 1))
    if [ $i -ge ${SET_ONLINE_WAIT_S * 2} ]; then echo "set_online $h: $out" >&2; exit 1; fi
    sleep 0.5
  done
done`,
    timeoutMs: (SET_ONLINE_WAIT_S * hosts.length + 30) * 1000,
  };
}

export const runtimeAgentStep = runtimeStep("agent");
export const runtimeMonitorStep = runtimeStep("monitor");
