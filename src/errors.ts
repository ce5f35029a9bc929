/**
 * One error hierarchy for the whole tool. Only src/cli turns these into exit codes;
 * daemons log them and carry on with the next cycle.
 */
export type ErrorKind = "config" | "remote" | "plan" | "internal";

export abstract class MmmError extends Error {
  abstract readonly kind: ErrorKind;
}

/** A problem in a file or option the user gave us: says where and what to do. */
export class ConfigError extends MmmError {
  readonly kind = "config";
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/** A command or connection on a host failed. `command` is already masked. */
export class RemoteError extends MmmError {
  readonly kind = "remote";
  constructor(
    readonly host: string,
    message: string,
    readonly detail: { command?: string; exitCode?: number | null; stderr?: string } = {},
  ) {
    super(`${host}: ${message}`);
    this.name = "RemoteError";
  }
}

/** The observed state does not allow the requested change. */
export class PlanError extends MmmError {
  readonly kind = "plan";
  constructor(message: string) {
    super(message);
    this.name = "PlanError";
  }
}

/** A bug in mmm itself. */
export class InternalError extends MmmError {
  readonly kind = "internal";
  constructor(message: string) {
    super(message);
    this.name = "InternalError";
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
