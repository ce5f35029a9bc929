// Sends one signed request to an mmm agent, from inside a lab host (the test process cannot
// reach 192.168.77.x); agent.test.ts bundles it with esbuild. Prints one JSON line: {"ok":true,"result":…} or {"ok":false,"error":"…"}.
//
//   node agent-client.mjs HOST 'JSON body' [--config F] [--secret-file F] [--age MS] [--replay]
//
// The body's sentAt is filled in as now - age (age 0 by default). --replay sends the very same
// signed envelope twice and reports both answers. --secret-file signs with another key (forgery).
import { connect } from "node:net";
import { loadClusterSecret, loadMmmConfigFile } from "../../src/mmm-config-files.js";
import { request } from "../../src/protocol/wire.js";
import { seal } from "../../src/protocol/envelope.js";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const [host, json] = args;
const config = loadMmmConfigFile(opt("--config", "/etc/mysql-mmm/mmm_mon.conf"), "monitor");
const target = config.hosts.find((h) => h.name === host);
if (!target) throw new Error(`no host ${host} in the config`);
const secret = loadClusterSecret(opt("--secret-file", config.clusterSecretFile));
const body = { ...JSON.parse(json), sentAt: Date.now() - Number(opt("--age", "0")) };
const timeoutMs = Number(opt("--timeout", "15000"));

function raw(envelope) {
  return new Promise((resolve) => {
    const sock = connect({ host: target.ip, port: target.agentPort });
    let buf = "";
    sock.setEncoding("utf8");
    sock.on("data", (c) => (buf += c));
    sock.on("error", (e) => resolve({ ok: false, error: e.message }));
    sock.on("close", () => resolve(buf.trim() ? { ok: true, answer: JSON.parse(buf.trim()).body } : { ok: false, error: "closed without an answer" }));
    sock.write(`${JSON.stringify(envelope)}\n`);
    setTimeout(() => sock.end(), 2000);
  });
}

if (args.includes("--replay")) {
  const envelope = seal(secret, "monitor", host, body, Date.now());
  const first = await raw(envelope);
  const second = await raw(envelope);
  process.stdout.write(`${JSON.stringify({ first, second })}\n`);
} else {
  try {
    const result = await request({ name: "monitor", secret }, host, target.ip, target.agentPort, body, timeoutMs);
    process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: err.message })}\n`);
  }
}
