/**
 * Server ids when mmm_server_id is not set: masters draw from 1, 2 and slaves from 3, 4, … in
 * file order, skipping ids taken explicitly. Masters have their own range so that adding the
 * second master later does not renumber the slaves, and appending hosts never renumbers
 * anyone; removing or reordering hosts can, which is why a live cluster should pin its ids.
 */
export interface ServerIdRequest {
  readonly name: string;
  readonly kind: "master" | "slave";
  readonly explicit?: number;
}

export const FIRST_SLAVE_ID = 3;

export function assignServerIds(hosts: readonly ServerIdRequest[]): Map<string, number> {
  const out = new Map<string, number>();
  const taken = new Set<number>();
  for (const h of hosts) if (h.explicit !== undefined) taken.add(h.explicit);
  let next = { master: 1, slave: FIRST_SLAVE_ID };
  for (const kind of ["master", "slave"] as const) {
    for (const h of hosts) {
      if (h.kind !== kind) continue;
      if (h.explicit !== undefined) {
        out.set(h.name, h.explicit);
        continue;
      }
      let id = next[kind];
      while (taken.has(id)) id++;
      taken.add(id);
      out.set(h.name, id);
      next = { ...next, [kind]: id + 1 };
    }
  }
  return out;
}
