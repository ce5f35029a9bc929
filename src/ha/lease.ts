import type { HaConfig, LeaseTiming } from "./config.js";
import type { MonitorState } from "./state.js";

/**
 * The lease: why an isolated writer cannot stay writable (issue 4, point 2; Patroni's
 * "a leader that loses its source of truth demotes itself").
 *
 * Agent side: an agent may hold VIPs and keep mysqld writable only while its lease runs. Each
 * renewal from the monitor carries the monitor's send time; the agent refuses one sent before
 * the last it accepted (replayed or reordered) or from its future, and runs the lease from
 * min(receipt, send + maxMessageAge): a late renewal grants only what remains of it. It fences
 * itself (drops every VIP, sets read_only, kills client connections) `earlyMs` before the lease
 * ends, so it is done by the end the monitor counts. A starting agent holds nothing until its
 * first renewal. The agent measures its lease on a monotonic clock (the lease clock): a step of
 * its wall clock back (an NTP correction, an operator's `date`) does not lengthen a lease it
 * holds. The lease also ends when the same span has passed by the wall clock, whichever comes
 * first: the monotonic clock stands still while a host is suspended, the wall clock does not.
 *
 * Monitor side (MonitorState.leases): for each host, the latest time its lease may run from.
 *  - A renewal sent at S runs from S + maxMessageAge by the agent's clock at the latest, so from
 *    S + maxMessageAge + maxClockSkew by the monitor's. One whose connection never opened was not
 *    sent.
 *  - One answered at A was received before A, and the agent's lease runs at most `lease` from
 *    receipt, by the agent's own clock: it runs from A at the latest, with no clock-skew term.
 *    No earlier-sent renewal can outlive it: the agent accepts only increasing send times, so an
 *    earlier one either arrived first (and was superseded) or is refused.
 * So once now ≥ from + lease + grace (one agent tick), a host holds nothing — even if the monitor
 * never hears from it again.
 */

/** The time by which `host` has certainly dropped its VIPs and write access; null if never leased. */
export function leaseBound(state: MonitorState, host: string, config: HaConfig): number | null {
  const from = state.leases[host];
  return from === undefined ? null : from + config.leaseMs + config.leaseGraceMs;
}

export function isLeaseExpired(state: MonitorState, host: string, now: number, config: HaConfig): boolean {
  const bound = leaseBound(state, host, config);
  return bound === null || now >= bound;
}

/** What the monitor learnt of a renewal it sent at `sentAt`, newer than every other sent to that host. */
export type RenewalOutcome =
  | { readonly kind: "answered"; readonly at: number }
  | { readonly kind: "unanswered" }
  | { readonly kind: "not-sent" };

/** Books one renewal into `state.leases` (see the monitor side above). */
export function recordRenewal(state: MonitorState, host: string, sentAt: number, outcome: RenewalOutcome, config: HaConfig): MonitorState {
  const prev = state.leases[host];
  let from: number;
  switch (outcome.kind) {
    case "not-sent":
      return state;
    case "answered":
      from = Math.min(outcome.at, sentAt + config.unansweredLeaseDelayMs);
      break;
    case "unanswered":
      from = Math.max(prev ?? -Infinity, sentAt + config.unansweredLeaseDelayMs);
      break;
  }
  return from === prev ? state : { ...state, leases: { ...state.leases, [host]: from } };
}

// ---------------------------------------------------------------------------------------------
// The agent's lease, as a pure state machine.

export interface AgentLeaseState {
  /** When the lease runs out (the agent's lease clock); null: no lease. */
  readonly expiresAt: number | null;
  /** Monitor send time of the last accepted renewal (older ones are refused). */
  readonly lastSentAt: number | null;
  /** When the last renewal was accepted (the agent's lease clock). */
  readonly renewedAt: number | null;
  /** The same end by the agent's wall clock (absent: not checked). */
  readonly wallExpiresAt?: number | null;
}

export type AgentLeaseEvent =
  /** The agent process started: whatever the host holds was granted to a previous life. */
  | { readonly kind: "start" }
  /**
   * An authenticated renewal from the monitor, taken at its arrival. `wallAt`: the agent's wall
   * clock then, which judges the message's age against the monitor's send time (default: the
   * step's `now`, for a lease clock that reads like the wall clock).
   */
  | { readonly kind: "renew"; readonly sentAt: number; readonly leaseMs: number; readonly wallAt?: number }
  /** Periodic check (every agentTickMs); `wallAt`: the wall clock then (absent: not checked). */
  | { readonly kind: "tick"; readonly wallAt?: number };

export type AgentLeaseAction =
  | { readonly kind: "drop-vips" }
  | { readonly kind: "set-read-only" }
  | { readonly kind: "kill-clients" };

export interface AgentLeaseStep {
  readonly state: AgentLeaseState;
  readonly actions: readonly AgentLeaseAction[];
  /** One sentence for the agent's log; null when nothing happened worth a line. */
  readonly reason: string | null;
}

export const NO_LEASE: AgentLeaseState = { expiresAt: null, lastSentAt: null, renewedAt: null };

export interface AgentLeaseOptions {
  readonly maxMessageAgeMs: number;
  /** How long before its lease ends the agent fences itself. */
  readonly earlyMs: number;
}

/**
 * Five agent ticks early: the check that notices runs at most one tick late, which leaves the
 * fence itself (`ip` processes, kills and read_only on a loaded mysqld) 0.4 s, plus the monitor's
 * grace, before the end the monitor counts, and absorbs a small step of either clock.
 */
export function agentLeaseOptions(timing: LeaseTiming): AgentLeaseOptions {
  return { maxMessageAgeMs: timing.maxMessageAgeMs, earlyMs: 5 * timing.agentTickMs };
}

/** `now`: the agent's lease clock (monotonic). */
export function agentLeaseStep(
  state: AgentLeaseState,
  event: AgentLeaseEvent,
  now: number,
  options: AgentLeaseOptions,
): AgentLeaseStep {
  switch (event.kind) {
    case "start":
      return {
        state: NO_LEASE,
        actions: [{ kind: "drop-vips" }, { kind: "set-read-only" }],
        reason: "agent started without a lease: dropping VIPs and setting read_only until the monitor renews it",
      };
    case "renew": {
      const age = (event.wallAt ?? now) - event.sentAt;
      if (age < -options.maxMessageAgeMs) {
        return {
          state,
          actions: [],
          reason: `refusing a lease renewal sent ${(-age / 1000).toFixed(1)} s in this host's future (more than ${options.maxMessageAgeMs / 1000} s apart from this host's clock)`,
        };
      }
      if (state.lastSentAt !== null && event.sentAt <= state.lastSentAt) {
        return { state, actions: [], reason: "refusing a lease renewal older than the last one accepted" };
      }
      // A late renewal (a loaded host, a slow network) still counts, but only from the latest
      // time it could have arrived on time: the monitor's bound holds either way, and a busy
      // writer does not drop its VIP over a renewal 0.7 s late. (Lateness is a wall-clock
      // figure; the lease itself runs on the lease clock from arrival, less that lateness.)
      const from = now - Math.max(0, age - options.maxMessageAgeMs);
      const expiresAt = from + event.leaseMs - options.earlyMs;
      if (expiresAt <= now) {
        return {
          state,
          actions: [],
          reason: `refusing a lease renewal sent ${(age / 1000).toFixed(1)} s ago: the lease it grants would already have run out`,
        };
      }
      const late = from < now ? `lease renewal arrived ${(age / 1000).toFixed(1)} s after it was sent: lease counted from ${options.maxMessageAgeMs / 1000} s after sending` : null;
      const wallExpiresAt = (event.wallAt ?? now) + (expiresAt - now);
      return { state: { expiresAt, lastSentAt: event.sentAt, renewedAt: now, wallExpiresAt }, actions: [], reason: late };
    }
    case "tick": {
      if (agentMayHoldRoles(state, now, event.wallAt) || state.expiresAt === null) return { state, actions: [], reason: null };
      const silent = state.renewedAt === null ? "" : ` for ${((now - state.renewedAt) / 1000).toFixed(1)} s`;
      const lease = state.renewedAt === null ? "" : ` (lease ${(state.expiresAt - state.renewedAt + options.earlyMs) / 1000} s)`;
      return {
        state: { ...state, expiresAt: null, wallExpiresAt: null },
        actions: [{ kind: "drop-vips" }, { kind: "set-read-only" }, { kind: "kill-clients" }],
        reason: `no lease renewal from the monitor${silent}${lease}: dropping VIPs, setting read_only and killing client connections`,
      };
    }
  }
}

/** Whether the agent may add a VIP or make mysqld writable now (`wallNow`: also by the wall clock). */
export function agentMayHoldRoles(state: AgentLeaseState, now: number, wallNow?: number): boolean {
  if (state.expiresAt === null || now >= state.expiresAt) return false;
  return wallNow === undefined || state.wallExpiresAt == null || wallNow < state.wallExpiresAt;
}
