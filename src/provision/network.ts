import { formatIpv4, networkOf as networkNumber, parseIpv4 } from "../inventory/ip.js";

/** "192.168.77.0/24" for 192.168.77.2 with prefix 24; a name is returned as it is. */
export function networkOf(address: string, prefix: number): string {
  const ip = parseIpv4(address);
  return ip === undefined ? address : `${formatIpv4(networkNumber(ip, prefix))}/${prefix}`;
}

/**
 * The MySQL account host that covers the cluster network: a `%` wildcard on octet boundaries
 * (192.168.77.%, as the tutorial writes it), otherwise MySQL's address/netmask form.
 */
export function accountHostPattern(address: string, prefix: number): string {
  const ip = parseIpv4(address);
  if (ip === undefined) return "%";
  if (prefix % 8 === 0 && prefix > 0 && prefix < 32) {
    return [...address.split(".").slice(0, prefix / 8), "%"].join(".");
  }
  const mask = prefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefix);
  return `${formatIpv4(networkNumber(ip, prefix))}/${formatIpv4(mask)}`;
}
