import { renderTemplate } from "../../render/render.js";
import { probed, planFiles, type DesiredFile, type ObservedFile } from "../files.js";
import { unchanged } from "../change.js";
import type { PlanInput, Step } from "../context.js";

export const MMM_CONFIG_DIR = "/etc/mysql-mmm";
export const CLUSTER_KEY_FILE = `${MMM_CONFIG_DIR}/cluster.key`;
/** MMM's default; the monitor sets a host ONLINE this many seconds after it recovered. */
export const AUTO_SET_ONLINE_SECONDS = 60;

/** The tutorial's three files (and the cluster secret), rendered for one host. Pure. */
export function desiredMmmFiles(input: PlanInput): DesiredFile[] {
  const inv = input.inventory;
  const s = inv.settings;
  const first = inv.hosts.find((h) => h.kind !== "monitor") ?? inv.monitor;
  const common = renderTemplate("mmm_common.conf.hbs", {
    clusterInterface: first.clusterInterface,
    mysqlPort: first.mysqlPort,
    agentPort: s.agentPort,
    replicationUser: s.replication.user,
    replicationPassword: s.replication.password.reveal(),
    agentUser: s.agent.user,
    agentPassword: s.agent.password.reveal(),
    hosts: inv.hosts
      .filter((h) => h.kind !== "monitor")
      .map((h) => ({
        name: h.name,
        ip: h.address,
        mode: h.kind,
        peer: h.peer ?? "",
        clusterInterface: h.clusterInterface !== first.clusterInterface ? h.clusterInterface : "",
        mysqlPort: h.mysqlPort !== first.mysqlPort ? String(h.mysqlPort) : "",
      })),
    roles: inv.roles.map((r) => ({ name: r.name, hosts: r.hosts.join(", "), ips: r.ips.join(", "), mode: r.mode, prefer: r.prefer ?? "" })),
  });
  const files: DesiredFile[] = [
    { path: `${MMM_CONFIG_DIR}/mmm_common.conf`, content: common, mode: 0o600 },
    { path: CLUSTER_KEY_FILE, content: `${input.cluster.clusterSecret}\n`, mode: 0o600 },
  ];
  if (input.host.kind === "monitor") {
    files.push({
      path: `${MMM_CONFIG_DIR}/mmm_mon.conf`,
      content: renderTemplate("mmm_mon.conf.hbs", {
        ip: input.host.address,
        port: s.monitorPort,
        pingIps: inv.hosts.filter((h) => h.kind !== "monitor").map((h) => h.address).join(", "),
        autoSetOnline: AUTO_SET_ONLINE_SECONDS,
        monitorUser: s.monitor.user,
        monitorPassword: s.monitor.password.reveal(),
      }),
      mode: 0o600,
    });
  } else {
    files.push({ path: `${MMM_CONFIG_DIR}/mmm_agent.conf`, content: renderTemplate("mmm_agent.conf.hbs", { host: input.host.name }), mode: 0o600 });
  }
  return files;
}

export const mmmConfigStep: Step<Map<string, ObservedFile>> = {
  id: "mmm-config",
  title: "MMM configuration (/etc/mysql-mmm)",
  appliesTo: () => true,
  ...probed((ctx) => ({ commands: {}, files: desiredMmmFiles(ctx).map((f) => f.path), read: (o) => o.files })),
  plan(observed, input) {
    const files = desiredMmmFiles(input);
    const changes = planFiles(observed, files);
    return changes.length ? { changes, reason: "" } : unchanged(`${files.map((f) => f.path.split("/").pop()).join(", ")} current, mode 0600`);
  },
};
