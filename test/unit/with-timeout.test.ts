import { describe, expect, it } from "vitest";
import { TimeoutError, withTimeout } from "../../src/util/with-timeout.js";

const later = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));

describe("withTimeout", () => {
  it("passes a prompt result through", async () => {
    await expect(withTimeout(later(5, "ok"), 1000, "probe")).resolves.toBe("ok");
  });

  it("rejects naming what did not answer, and hands a late result to onLate", async () => {
    const late: string[] = [];
    await expect(withTimeout(later(60, "session"), 20, "connect", (v) => late.push(v))).rejects.toThrow("connect: no answer within 20 ms");
    await later(80, null);
    expect(late).toEqual(["session"]);
    await expect(withTimeout(later(1100, "x"), 1000, "MySQL")).rejects.toThrow("MySQL: no answer within 1 s");
    // a timeout is told apart from the operation's own failure (the monitor's check causes)
    await expect(withTimeout(later(50, "x"), 10, "probe")).rejects.toBeInstanceOf(TimeoutError);
  });

  it("passes a prompt failure through", async () => {
    const failed = withTimeout(Promise.reject(new Error("refused")), 1000, "probe");
    await expect(failed).rejects.toThrow("refused");
    await expect(failed).rejects.not.toBeInstanceOf(TimeoutError);
  });
});
