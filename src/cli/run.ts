import { main } from "./main.js";

/** Runs the CLI on argv and sets the exit code; an error that escapes main is a bug (70). */
export function run(argv: readonly string[]): void {
  main([...argv]).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`internal error: ${String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
