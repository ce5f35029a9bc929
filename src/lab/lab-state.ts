import { z } from "zod";

/**
 * state.json: what `up` started, so later commands find each host's init. A PID read from here
 * is never trusted on its own: it is checked against /proc before any use (lab-processes.ts).
 */
const HostStateSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/),
    /** The host's init (PID 1 of its PID namespace) as seen from the machine. */
    initPid: z.number().int().positive(),
    /** Inode of /run/netns/mmm-<name> when the host was started. */
    netnsInode: z.number().int().positive(),
  })
  .strict();

const LabStateSchema = z
  .object({
    version: z.literal(1),
    startedAt: z.string(),
    hosts: z.array(HostStateSchema),
  })
  .strict();

export type HostState = z.infer<typeof HostStateSchema>;
export type LabState = z.infer<typeof LabStateSchema>;

export type ParsedState = { ok: true; state: LabState } | { ok: false; error: string };

export function parseLabState(text: string, file = "state.json"): ParsedState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `${file}: not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const r = LabStateSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first && first.path.length > 0 ? first.path.join(".") : "(top)";
    return { ok: false, error: `${file}: ${where}: ${first?.message ?? "invalid"}` };
  }
  return { ok: true, state: r.data };
}

export function renderLabState(state: LabState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

export function hostState(state: LabState | null, host: string): HostState | undefined {
  return state?.hosts.find((h) => h.name === host);
}
