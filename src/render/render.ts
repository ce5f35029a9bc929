import Handlebars from "handlebars";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InternalError } from "../errors.js";

/**
 * Templates are layout only: they receive precomputed values (no version logic inside a
 * template), render in strict mode (a missing value is an error, not an empty string) and are
 * never HTML-escaped (these are config files).
 */
const hb = Handlebars.create();

let templatesDir: string | undefined;

/** templates/ is found by walking up from this module: it sits beside dist/ and src/ alike. */
function findTemplatesDir(): string {
  if (templatesDir) return templatesDir;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "templates", "my.cnf.hbs"))) return (templatesDir = join(dir, "templates"));
    dir = dirname(dir);
  }
  throw new InternalError("templates/ not found beside the mmm installation");
}

const cache = new Map<string, HandlebarsTemplateDelegate>();

export function renderTemplate(name: string, data: object): string {
  let t = cache.get(name);
  if (!t) {
    const source = readFileSync(join(findTemplatesDir(), name), "utf8");
    t = hb.compile(source, { strict: true, noEscape: true });
    cache.set(name, t);
  }
  return t(data);
}
