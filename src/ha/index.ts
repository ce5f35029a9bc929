/**
 * mmm's HA core — MMM 2.2's behaviour without its data-loss bugs, as pure functions.
 * No IO in this directory: no fs, net, child_process, ssh2, mysql2, and no clock (`now` is an
 * argument everywhere, epoch milliseconds). The monitor and agent daemons are thin shells:
 *
 *   monitor, every cycle (~check_period):
 *     raw check results ──evaluateChecks──▶ ChecksState      (trap_period, timeouts, max_backlog)
 *     ChecksState + observations + MonitorState ──▶ Snapshot
 *     decide(snapshot, now) ──▶ { code, reason, actions, next, events }
 *       persist `next` (serializeMonitorState → status_path), log `reason` if `changed`,
 *       execute `actions` in order, then recordRenewal() with what became of each renewal
 *       (answered, unanswered, or never sent because the connection did not open)
 *     `mmm control` commands: runControlCommand(snapshot, parseControlCommand(line), now)
 *   agent: agentLeaseStep(state, start | renew | tick, now) ──▶ drop VIPs / read_only / kill clients
 *
 * Flow inside decide (decide.ts): forget grants that observations or expired leases disprove →
 * MMM's host state transitions and flap detection (host-states.ts) → WAIT→ACTIVE → ACTIVE mode
 * strips roles from hosts not ONLINE → name the Situation (types.ts), run its handler (one per
 * Situation; the writer move protocol lives in the transition handlers) → place orphaned and
 * unbalanced non-writer roles (roles.ts) → reconcile desired roles with what agents report.
 *
 * Invariants (tested exhaustively by test/unit/ha-never-two-writers.test.ts):
 *  1. Never two writable hosts, never one VIP on two hosts. A VIP or write access is granted to a
 *     host only when no other host may still hold it: an answering agent said so, or the other's
 *     lease has provably expired (lease.ts: the latest time the lease may run from + lease + grace). The
 *     monitor remembers what it granted (MonitorState.grants) and assumes the worst at startup.
 *  2. A writer move fences first: the old writer is told to drop the VIP, set read_only and kill
 *     clients; the new one is promoted only after that is confirmed or the old lease expired.
 *     While the old writer is suspected of holding anything, its lease is not renewed.
 *  3. No lost or doubled transactions: the candidate becomes writable only after it applied its
 *     whole relay log and — when the old writer's mysqld answers — everything the old writer
 *     executed (GTID sets). Replicas follow the new writer by GTID (repoint-replica).
 *  4. Every wait is bounded: past max_catchup_wait writes stay refused (alert, `why` says so)
 *     until the candidate catches up or an admin runs `move_role --force` (which skips the
 *     catch-up, never the fencing). No step waits on an agent or a mysqld inside decide.
 *  5. A returning old master never takes the writer back (prefer only places an orphaned role),
 *     and a host with transactions the writer lacks stays REPLICATION_FAIL (`checks` names them).
 *  6. Every cycle explains itself: `reason` is one sentence, asserted by the fixture tests.
 *
 * Contracts for the daemons (not checkable here):
 *  - Observe the writer's GTID set after the other hosts' (otherwise a replica can look errant
 *    for a transaction committed between the two reads).
 *  - Agent commands carry the monitor's send time; an agent refuses any older than
 *    maxMessageAgeMs (LeaseTiming), so a delayed command cannot undo a later decision.
 *  - An agent adds a VIP or sets writable only while agentMayHoldRoles() holds.
 *  - A monitor outage longer than the lease drops every VIP and write access: the price of never
 *    having an isolated writer. Keep the monitor restarted (systemd) and the lease > its restart.
 */

export * from "./types.js";
export * from "./config.js";
export * from "./checks.js";
export * from "./gtid.js";
export * from "./state.js";
export * from "./lease.js";
export * from "./roles.js";
export { stepHostStates, describeDown, isPingFailing, type HostStepInput, type HostStepOutput, type HostChange } from "./host-states.js";
export { decide, analyzeWriterMove, DEFAULT_DEPS, type DecideDeps } from "./decide.js";
export { explain } from "./explain.js";
export { formatShow, formatChecks, formatMmmTime, type FormatOptions, type TimeZone } from "./format.js";
export { runControlCommand, parseControlCommand, HELP, type ControlCommand, type CommandResult, type CommandOptions } from "./commands.js";
