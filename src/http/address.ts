// Is an IP address somewhere on the public internet? Everything else (loopback, private, link-local with the cloud
// metadata service at 169.254.169.254, CGNAT, ULA, multicast, documentation and benchmark ranges, and IPv6 forms that
// embed one of those IPv4 addresses) is inward, and a host chosen by CRM data must never reach it. Ranges from the
// IANA special-purpose registries (RFC 6890 and updates): iana.org/assignments/iana-ipv4-special-registry and
// iana-ipv6-special-registry.
import { isIPv4, isIPv6 } from 'node:net';

/** IPv4 ranges that are not globally reachable, as [first address, prefix length]. */
const IPV4_INWARD: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network", incl. the unspecified address
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local: the cloud metadata service lives at 169.254.169.254
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private (RFC 1918)
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. the broadcast address 255.255.255.255
];

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

const IPV4_RANGES = IPV4_INWARD.map(([first, bits]) => ({
  first: ipv4ToNumber(first),
  size: 2 ** (32 - bits),
}));

function isPublicIPv4(address: string): boolean {
  const n = ipv4ToNumber(address);
  return !IPV4_RANGES.some((r) => n >= r.first && n < r.first + r.size);
}

/** `::ffff:127.0.0.1`, `fe80::1%eth0`, `2001:db8::` → eight 16-bit groups. */
function ipv6Groups(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const n = ipv4ToNumber(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function embeddedIPv4(high: number, low: number): string {
  return [high >>> 8, high & 0xff, low >>> 8, low & 0xff].join('.');
}

/**
 * IPv6 is allowed only inside global unicast (2000::/3) minus its special blocks; forms that carry an IPv4 address
 * (v4-mapped, NAT64, 6to4) are judged by that address, so `::ffff:127.0.0.1` is loopback.
 */
function isPublicIPv6(address: string): boolean {
  const g = ipv6Groups(address);
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  // ::ffff:a.b.c.d (v4-mapped): the socket reaches a.b.c.d.
  if (zeroTo(5) && g5 === 0xffff) return isPublicIPv4(embeddedIPv4(g6, g7));
  // 64:ff9b::a.b.c.d (well-known NAT64 prefix): a translator reaches a.b.c.d.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return isPublicIPv4(embeddedIPv4(g6, g7));
  }
  // 2002:AABB:CCDD::/48 (6to4): a relay reaches AA.BB.CC.DD.
  if (g0 === 0x2002) return isPublicIPv4(embeddedIPv4(g1, g2));
  // Outside 2000::/3: unspecified, loopback, v4-compatible, discard, ULA fc00::/7, link-local fe80::/10, multicast …
  if ((g0 & 0xe000) !== 0x2000) return false;
  if (g0 === 0x2001 && g1 < 0x200) return false; // 2001::/23 IETF protocol assignments (Teredo, benchmarking, ORCHID)
  if (g0 === 0x2001 && g1 === 0xdb8) return false; // documentation
  if ((g0 & 0xfff0) === 0x3ff0) return false; // 3fff::/20 documentation (RFC 9637)
  return true;
}

/** True only for an address on the public internet (IPv4 or IPv6 text, as DNS or a URL gives it). */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (isIPv4(bare)) return isPublicIPv4(bare);
  if (isIPv6(bare)) return isPublicIPv6(bare);
  return false;
}
