import { z } from "zod";

/** Parsers for `ip -j` output (iproute2's JSON), pure. */

const IpLinkSchema = z.array(
  z
    .object({
      ifname: z.string(),
      flags: z.array(z.string()).default([]),
      operstate: z.string().optional(),
      addr_info: z
        .array(z.object({ family: z.string(), local: z.string().optional(), prefixlen: z.number().optional() }).passthrough())
        .optional(),
    })
    .passthrough(),
);

export type IpLink = z.infer<typeof IpLinkSchema>[number];

export function parseIpJson(text: string): IpLink[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  return IpLinkSchema.parse(JSON.parse(trimmed));
}

/** IPv4 addresses of `ifname` as "a.b.c.d/len", in kernel order. */
export function ipv4Addresses(links: readonly IpLink[], ifname: string): string[] {
  const link = links.find((l) => l.ifname === ifname);
  return (link?.addr_info ?? [])
    .filter((a) => a.family === "inet" && a.local !== undefined)
    .map((a) => `${a.local}/${a.prefixlen ?? 32}`);
}

/** Administratively up (`ip link set X up`), regardless of carrier. */
export function isAdminUp(links: readonly IpLink[], ifname: string): boolean | null {
  const link = links.find((l) => l.ifname === ifname);
  return link ? link.flags.includes("UP") : null;
}
