import { isIPv4 } from "node:net";

function toInt(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}
function toIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** "192.168.77.0/24" for 192.168.77.2 with prefix 24. */
export function networkOf(address: string, prefix: number): string {
  if (!isIPv4(address)) return address;
  const size = 2 ** (32 - prefix);
  return `${toIp(Math.floor(toInt(address) / size) * size)}/${prefix}`;
}

/**
 * The MySQL account host that covers the cluster network: a `%` wildcard on octet boundaries
 * (192.168.77.%, as the tutorial writes it), otherwise MySQL's address/netmask form.
 */
export function accountHostPattern(address: string, prefix: number): string {
  if (!isIPv4(address)) return "%";
  const octets = address.split(".");
  if (prefix % 8 === 0 && prefix > 0 && prefix < 32) {
    const keep = prefix / 8;
    return [...octets.slice(0, keep), "%"].join(".");
  }
  const [net] = networkOf(address, prefix).split("/");
  const mask = toIp(prefix === 0 ? 0 : (2 ** 32 - 2 ** (32 - prefix)));
  return `${net}/${mask}`;
}
