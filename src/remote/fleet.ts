import type { Inventory, InventoryHost } from "../inventory/model.js";
import { inventorySecrets } from "../inventory/model.js";
import { InternalError } from "../errors.js";
import { mapSettled, type Settled } from "../util/map-settled.js";
import { Transport, type TransportOptions } from "./transport.js";

export const DEFAULT_PARALLEL_HOSTS = 10;

/** One reused connection per inventory host; work fans out over hosts with a limit. */
export class Fleet {
  readonly #transports = new Map<string, Transport>();

  constructor(
    readonly inventory: Inventory,
    private readonly opts: TransportOptions & { readonly parallel?: number } = {},
  ) {}

  get(name: string): Transport {
    let t = this.#transports.get(name);
    if (!t) {
      const host = this.inventory.hosts.find((h) => h.name === name);
      if (!host) throw new InternalError(`no host ${name} in ${this.inventory.file}`);
      t = new Transport(host.name, host.ssh, { secrets: inventorySecrets(this.inventory), ...this.opts });
      this.#transports.set(name, t);
    }
    return t;
  }

  each<T>(
    hosts: readonly InventoryHost[],
    fn: (host: InventoryHost, transport: Transport) => Promise<T>,
  ): Promise<Settled<T>[]> {
    return mapSettled(hosts, this.opts.parallel ?? DEFAULT_PARALLEL_HOSTS, (h) => fn(h, this.get(h.name)));
  }

  close(): void {
    for (const t of this.#transports.values()) t.close();
    this.#transports.clear();
  }
}
