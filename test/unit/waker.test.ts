import { describe, expect, it } from "vitest";
import { Waker } from "../../src/util/waker.js";

const took = async (p: Promise<void>): Promise<number> => {
  const t = Date.now();
  await p;
  return Date.now() - t;
};

describe("Waker", () => {
  it("pauses the whole time when nothing happens", async () => {
    expect(await took(new Waker().pause(120))).toBeGreaterThanOrEqual(100);
  });

  it("a wake during the pause ends it", async () => {
    const w = new Waker();
    setTimeout(() => w.wake(), 20);
    expect(await took(w.pause(5_000))).toBeLessThan(1_000);
  });

  it("a wake while nobody pauses ends the next pause at once, and only that one", async () => {
    const w = new Waker();
    w.wake();
    expect(await took(w.pause(5_000))).toBeLessThan(50);
    expect(await took(w.pause(120))).toBeGreaterThanOrEqual(100);
  });

  it("a wake during a pause is not carried over to the next one", async () => {
    const w = new Waker();
    setTimeout(() => w.wake(), 20);
    await w.pause(5_000);
    expect(await took(w.pause(120))).toBeGreaterThanOrEqual(100);
  });
});
