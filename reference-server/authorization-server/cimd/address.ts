/**
 * SSRF defence for Client ID Metadata Documents (CIMD -01 §6 "Server Side Request Forgery"): the document URL must not
 * resolve to a special-use address (RFC 6890 and its updates), so a client_id cannot make the server reach into its own
 * network. Only hosts a test rig names in `allowHosts` are exempt.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** All addresses a host name resolves to. Throws when it does not resolve. */
export type HostResolver = (hostname: string) => Promise<string[]>;

const IPV4_SPECIAL_USE: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network", including the unspecified address (RFC 791, RFC 1122)
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback (RFC 1122)
  ['169.254.0.0', 16], // link-local, where cloud metadata services live (RFC 3927)
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments (RFC 6890)
  ['192.0.2.0', 24], // documentation TEST-NET-1 (RFC 5737)
  ['192.88.99.0', 24], // 6to4 relay anycast (RFC 7526)
  ['192.168.0.0', 16], // private (RFC 1918)
  ['198.18.0.0', 15], // benchmarking (RFC 2544)
  ['198.51.100.0', 24], // documentation TEST-NET-2 (RFC 5737)
  ['203.0.113.0', 24], // documentation TEST-NET-3 (RFC 5737)
  ['224.0.0.0', 4], // multicast (RFC 5771)
  ['240.0.0.0', 4], // reserved, including limited broadcast 255.255.255.255 (RFC 1112, RFC 919)
];

const IPV6_SPECIAL_USE: ReadonlyArray<readonly [string, number]> = [
  ['::', 128], // unspecified (RFC 4291)
  ['::1', 128], // loopback (RFC 4291)
  ['::', 96], // IPv4-compatible, deprecated (RFC 4291)
  ['64:ff9b:1::', 48], // local-use IPv4/IPv6 translation (RFC 8215)
  ['100::', 64], // discard-only (RFC 6666)
  ['2001::', 23], // IETF protocol assignments, including Teredo (RFC 2928, RFC 4380)
  ['2001:db8::', 32], // documentation (RFC 3849)
  ['2002::', 16], // 6to4 (RFC 3056)
  ['fc00::', 7], // unique local (RFC 4193)
  ['fe80::', 10], // link-local (RFC 4291)
  ['fec0::', 10], // site-local, deprecated (RFC 3879)
  ['ff00::', 8], // multicast (RFC 4291)
];

/** IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are checked against the IPv4 ranges by BlockList itself. */
const SPECIAL_USE = new BlockList();
for (const [network, prefix] of IPV4_SPECIAL_USE) SPECIAL_USE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of IPV6_SPECIAL_USE) SPECIAL_USE.addSubnet(network, prefix, 'ipv6');

/** The IPv4 address a NAT64 well-known-prefix address (64:ff9b::/96, RFC 6052) translates to, if it is one. */
function nat64Target(address: string): string | undefined {
  const match = /^64:ff9b::(?:([0-9a-f]{1,4}):([0-9a-f]{1,4})|(\d+\.\d+\.\d+\.\d+))$/i.exec(address);
  if (!match) return undefined;
  if (match[3]) return match[3];
  const high = Number.parseInt(match[1]!, 16);
  const low = Number.parseInt(match[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** True for an address of RFC 6890's special-use registries (and the ranges added since). */
export function isSpecialUseAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return SPECIAL_USE.check(address, 'ipv4');
  if (family !== 6) return true;
  const translated = nat64Target(address);
  return SPECIAL_USE.check(address, 'ipv6') || (translated !== undefined && isSpecialUseAddress(translated));
}

/** `[::1]` → `::1`: the URL parser keeps the brackets of IPv6 literals in `hostname`. */
export function unbracketed(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * RFC 6761 / RFC 2606 reserved names: `.test` and `.example` never resolve in the public DNS, so a document under
 * them can only be served by an in-memory network (the harness hosts its documents at e.g. cimd.conformance.test).
 * They are not looked up; `localhost` and `.localhost` are loopback (RFC 6761 §6.3) and checked as such.
 */
const IN_MEMORY_SUFFIXES = ['.test', '.example'];
const LOOPBACK_NAME = /(^|\.)localhost\.?$/i;

/**
 * The default resolver: reserved test names resolve to nothing (no real address to reach), `localhost` to loopback,
 * everything else through the system resolver (every address, not just the first).
 */
export const resolveWithDns: HostResolver = async (hostname) => {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (LOOPBACK_NAME.test(name)) return ['127.0.0.1', '::1'];
  if (IN_MEMORY_SUFFIXES.some((suffix) => name.endsWith(suffix))) return [];
  const answers = await lookup(name, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
};

export interface HostPolicy {
  /** Hosts (`host` or `host:port`) exempt from the special-use rule: test rigs on loopback. */
  allowHosts: readonly string[];
  resolve: HostResolver;
  /** The `cimd-private-address-fetched` defect: no address check at all. */
  unchecked: boolean;
}

/** Why the server must not fetch this URL, or undefined when it may (CIMD §6: resolved addresses, not names). */
export async function addressProblem(url: URL, policy: HostPolicy): Promise<string | undefined> {
  if (policy.unchecked) return undefined;
  if (policy.allowHosts.includes(url.host) || policy.allowHosts.includes(url.hostname)) return undefined;
  const host = unbracketed(url.hostname);
  if (isIP(host)) return isSpecialUseAddress(host) ? `${host} is a special-use address (RFC 6890)` : undefined;
  let addresses: string[];
  try {
    addresses = await policy.resolve(host);
  } catch (thrown) {
    return `${host} does not resolve (${thrown instanceof Error ? thrown.message : String(thrown)})`;
  }
  const special = addresses.find(isSpecialUseAddress);
  return special === undefined ? undefined : `${host} resolves to the special-use address ${special} (RFC 6890)`;
}
