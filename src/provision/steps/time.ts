import { isIP } from "node:net";
import { sh } from "../../remote/shell.js";
import { renderTemplate } from "../../render/render.js";
import { probed, planFiles, type DesiredFile, type ObservedFile } from "../files.js";
import { serviceCommand, serviceName, CHRONY_SERVICES } from "../service.js";
import { unchanged, type Change } from "../change.js";
import type { PlanInput, Step } from "../context.js";
import { networkOf } from "../network.js";
import { PlanError } from "../../errors.js";
import { sampleClock } from "../../facts/gather.js";
import { applyChanges } from "../apply.js";

/** Bootstrap's bound on every host's clock offset to the controller (replication and MMM's logs). */
export const MAX_OFFSET_MS = 500;
/** How long a freshly (re)started chronyd may take to bring the clock within the bound. */
const SYNC_WAIT_MS = 30_000;

interface Observed {
  readonly offsetMs: number;
  readonly installed: boolean;
  readonly running: boolean;
  readonly files: Map<string, ObservedFile>;
}

/** Where the distribution keeps chrony's config and its daemon options. */
function chronyPaths(input: PlanInput): { conf: string; options: string; optionsVar: string; defaultOpts: string } {
  return input.facts.os.family === "redhat"
    ? { conf: "/etc/chrony.conf", options: "/etc/sysconfig/chronyd", optionsVar: "OPTIONS", defaultOpts: "" }
    : { conf: "/etc/chrony/chrony.conf", options: "/etc/default/chrony", optionsVar: "DAEMON_OPTS", defaultOpts: "-F 1" };
}

/**
 * NTP as in the tutorial: the monitor serves the cluster (from its local clock if it has no
 * upstream), the database hosts follow mmm_ntp_servers. With mmm_ntp_adjust_clock false (the lab,
 * whose namespaces share the machine's one clock) chronyd runs with -x and only measures.
 */
export const timeStep: Step<Observed> = {
  id: "time",
  title: "time (chrony)",
  appliesTo: () => true,
  ...probed((ctx) => {
    const p = chronyPaths(ctx);
    return {
      commands: { chronyd: sh`command -v chronyd >/dev/null 2>&1 || [ -x /usr/sbin/chronyd ] && echo installed; pidof chronyd >/dev/null 2>&1 && echo running; true` },
      files: [p.conf, p.options],
      read(o) {
        const r = o.outputs.get("chronyd")!.stdout;
        // The facts of this run sampled the clock moments ago and nothing since touched it.
        return { offsetMs: ctx.facts.clock.offsetMs, installed: r.includes("installed"), running: r.includes("running"), files: o.files };
      },
    };
  }),
  plan(observed, input) {
    const p = chronyPaths(input);
    const s = input.inventory.settings;
    const changes: Change[] = [];
    if (!observed.installed) {
      if (!s.ntpAdjustClock) {
        throw new PlanError(
          `${input.host.name}: chrony is not installed, and installing it would start a daemon that adjusts the clock; ` +
            `install chrony with its service disabled, or set mmm_ntp_adjust_clock: true`,
        );
      }
      changes.push({ kind: "command", summary: "install chrony", command: installCommand(input, "chrony"), timeoutMs: 600_000 });
    }
    const files = planFiles(observed.files, desiredChronyFiles(input, observed.files.get(p.options)?.content ?? null));
    changes.push(...files);
    const service = observed.installed ? serviceName(input.facts, CHRONY_SERVICES) : "chrony";
    if (files.length > 0 || !observed.installed) {
      changes.push({ kind: "command", summary: `restart ${service}`, command: serviceCommand(input.facts, service, "restart") });
    } else if (!observed.running) {
      changes.push({ kind: "command", summary: `start ${service}`, command: serviceCommand(input.facts, service, "start") });
    }
    const role = input.host.kind === "monitor" ? "serves the cluster" : `follows ${s.ntpServers.join(", ")}`;
    if (changes.length === 0 && Math.abs(observed.offsetMs) >= MAX_OFFSET_MS) {
      throw new PlanError(offsetProblem(input.host.name, observed.offsetMs));
    }
    return changes.length ? { changes, reason: "" } : unchanged(`chronyd runs and ${role}; clock ${Math.round(observed.offsetMs)} ms off the controller's`);
  },
  async apply(ctx, plan) {
    await applyChanges(ctx, plan);
    // Every offset must be within the bound once chrony runs: wait (bounded) for it to step the clock.
    const deadline = Date.now() + (ctx.inventory.settings.ntpAdjustClock ? SYNC_WAIT_MS : 0);
    let offset = (await sampleClock(ctx.transport)).offsetMs;
    while (Math.abs(offset) >= MAX_OFFSET_MS && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      offset = (await sampleClock(ctx.transport)).offsetMs;
    }
    if (Math.abs(offset) >= MAX_OFFSET_MS) throw new PlanError(offsetProblem(ctx.host.name, offset));
  },
};

function offsetProblem(host: string, offsetMs: number): string {
  return (
    `${host}: clock is ${Math.round(offsetMs)} ms off the controller's (limit ${MAX_OFFSET_MS} ms) with chrony running; ` +
    `check its time sources (chronyc sources) and that UDP 123 reaches them`
  );
}

export function desiredChronyFiles(input: PlanInput, currentOptions: string | null): DesiredFile[] {
  const p = chronyPaths(input);
  const s = input.inventory.settings;
  const serve = input.host.kind === "monitor";
  const servers = s.ntpServers
    .map((n) => input.inventory.hosts.find((h) => h.name === n)?.address ?? n)
    .filter((a) => a !== input.host.address);
  const net = networkOf(input.host.address, s.clusterPrefix);
  const conf = renderTemplate("chrony.conf.hbs", {
    host: input.host.name,
    servers,
    serve,
    allow: isIP(input.host.address) ? net : "all",
    adjust: s.ntpAdjustClock,
  });
  const opts = s.ntpAdjustClock ? p.defaultOpts : "-x";
  const optionsLine = `${p.optionsVar}="${opts}"`;
  const options = replaceOptionsLine(currentOptions ?? "", p.optionsVar, optionsLine);
  return [
    { path: p.conf, content: conf, mode: 0o644 },
    { path: p.options, content: options, mode: 0o644 },
  ];
}

/** Sets VAR="…" in a shell-style defaults file, keeping its other lines. */
function replaceOptionsLine(text: string, name: string, line: string): string {
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const i = lines.findIndex((l) => new RegExp(`^\\s*${name}=`).test(l));
  if (i >= 0) lines[i] = line;
  else lines.push(line);
  return `${lines.join("\n")}\n`;
}

export function installCommand(input: PlanInput, pkg: string) {
  switch (input.facts.packageManager) {
    case "apt":
      return sh`DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${pkg}`;
    case "dnf":
      return sh`dnf install -y ${pkg}`;
    case "yum":
      return sh`yum install -y ${pkg}`;
    default:
      throw new PlanError(`${input.host.name}: no apt-get, dnf or yum to install ${pkg}; install it by hand and re-run`);
  }
}
