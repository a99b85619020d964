import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with the most self and inclusive time, each as
 * `file:line function` with its share of the sampled time; or self time by component; or who pays for a cost.
 * Usage: `npx tsx bench/profile-summary.ts PROFILE [--top N] [--filter TEXT] [--components] [--callers TEXT]`
 * (async continuations start from the microtask queue, so inclusive time undercounts async callers).
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  where: string;
  selfShare: number;
  totalShare: number;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url ? relative(process.cwd(), url.replace(/^file:\/\//, '')) : '(native)';
  return `${file}:${lineNumber + 1} ${functionName || '(anonymous)'}`;
}

interface CallTree {
  byId: Map<number, ProfileNode>;
  parent: Map<number, number>;
}

function callTree(profile: CpuProfile): CallTree {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  return { byId, parent };
}

/** Self and inclusive sample counts per function; recursion counts a function once per sample. */
export function hotSpots(profile: CpuProfile): HotSpot[] {
  const { byId, parent } = callTree(profile);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let sampled = 0;
  for (const id of profile.samples) {
    const leaf = byId.get(id);
    if (!leaf || leaf.callFrame.functionName === '(idle)') continue;
    sampled++;
    const leafName = frameName(leaf);
    self.set(leafName, (self.get(leafName) ?? 0) + 1);
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const node = byId.get(current);
      if (!node) break;
      const name = frameName(node);
      if (seen.has(name)) continue;
      seen.add(name);
      total.set(name, (total.get(name) ?? 0) + 1);
    }
  }
  return [...total.entries()].map(([where, count]) => ({
    where,
    totalShare: count / Math.max(1, sampled),
    selfShare: (self.get(where) ?? 0) / Math.max(1, sampled),
  }));
}

function isProjectCode(where: string): boolean {
  return !where.startsWith('node:') && !where.startsWith('node_modules') && !where.startsWith('(native)');
}

/**
 * For samples whose leaf matches `leafText`: the nearest project frames (not Node internals, not node_modules)
 * on their stacks, by share of all sampled time. Answers "who pays for this library or runtime cost".
 */
export function projectCallers(profile: CpuProfile, leafText: string): HotSpot[] {
  const { byId, parent } = callTree(profile);
  const counts = new Map<string, number>();
  let sampled = 0;
  for (const id of profile.samples) {
    const leaf = byId.get(id);
    if (!leaf || leaf.callFrame.functionName === '(idle)') continue;
    sampled++;
    if (!frameName(leaf).includes(leafText)) continue;
    let caller = '(no project frame on the stack: an async continuation)';
    for (let current = parent.get(id); current !== undefined; current = parent.get(current)) {
      const node = byId.get(current);
      if (node && isProjectCode(frameName(node))) {
        caller = frameName(node);
        break;
      }
    }
    counts.set(caller, (counts.get(caller) ?? 0) + 1);
  }
  return [...counts.entries()].map(([where, count]) => ({ where, selfShare: count / sampled, totalShare: 0 }));
}

/** Where a frame's code comes from: a package, a project folder, or a part of Node itself. */
export function component(where: string): string {
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (modules) return modules[1]!;
  if (where.startsWith('node:internal/deps/undici')) return 'node: undici (fetch Request/Response)';
  if (where.startsWith('node:internal/webstreams')) return 'node: web streams';
  if (where.startsWith('node:internal/crypto')) return 'node: crypto (WebCrypto)';
  if (where.startsWith('node:internal/modules') || where.startsWith('node:internal/source_map'))
    return 'node: module loading';
  if (where.startsWith('node:')) return `node: ${where.split(/[/:]/)[2] ?? 'other'}`;
  if (where.startsWith('(native)')) return where.replace(/^\(native\):\d+ /, 'native: ');
  return where
    .split('/')
    .slice(0, 2)
    .join('/')
    .replace(/:\d+.*$/, '');
}

/** Self time summed by component (package, project folder, Node subsystem). */
export function componentShares(spots: HotSpot[]): HotSpot[] {
  const shares = new Map<string, number>();
  for (const spot of spots) {
    const name = component(spot.where);
    shares.set(name, (shares.get(name) ?? 0) + spot.selfShare);
  }
  return [...shares.entries()].map(([where, selfShare]) => ({ where, selfShare, totalShare: 0 }));
}

function printTable(title: string, rows: HotSpot[], key: 'selfShare' | 'totalShare', top = rows.length): void {
  process.stdout.write(`\n${title}\n  self %  total %  where\n`);
  for (const row of [...rows].sort((a, b) => b[key] - a[key]).slice(0, top)) {
    const percent = (share: number) => (share * 100).toFixed(1).padStart(6);
    process.stdout.write(`  ${percent(row.selfShare)}  ${percent(row.totalShare)}   ${row.where}\n`);
  }
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

function main(file: string): void {
  const top = Number(option('--top') ?? 25);
  const filter = option('--filter');
  const callersOf = option('--callers');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  if (callersOf) {
    const title = `nearest project callers of ${callersOf} (self % = share of all samples)`;
    printTable(title, projectCallers(profile, callersOf), 'selfShare', top);
    return;
  }
  const spots = hotSpots(profile).filter((spot) => !filter || spot.where.includes(filter));
  if (process.argv.includes('--components')) {
    printTable('self time by component', componentShares(spots), 'selfShare', top);
    return;
  }
  printTable('by self time', spots, 'selfShare', top);
  printTable('by inclusive time', spots, 'totalShare', top);
}

const file = process.argv[2];
if (import.meta.url === `file://${process.argv[1]}` && file) {
  // Piped into `head`: stop quietly when the reader goes away.
  process.stdout.on('error', () => process.exit(0));
  main(file);
}
