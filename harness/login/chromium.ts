import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** Debian ships a wrapper script in /usr/bin; the real binary lives in chromium's lib folder. */
const DEBIAN_CHROMIUM_BINARY = '/usr/lib/chromium/chromium';
const COMMANDS_ON_PATH = ['chromium', 'chromium-browser'];

/** Flags for a quiet, reproducible headless run: no sandbox (containers), no background traffic, no QUIC. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * The installed Chromium to drive (never downloaded): `CHROMIUM_PATH` when set, else Debian's real binary, else the
 * first `chromium`/`chromium-browser` on PATH. Undefined when none is installed.
 */
export function findChromium(): string | undefined {
  const fromEnvironment = process.env.CHROMIUM_PATH;
  if (fromEnvironment) return fromEnvironment;
  if (isExecutable(DEBIAN_CHROMIUM_BINARY)) return DEBIAN_CHROMIUM_BINARY;
  for (const command of COMMANDS_ON_PATH) {
    const found = whichCommand(command);
    if (found) return found;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function whichCommand(command: string): string | undefined {
  try {
    const path = execFileSync('which', [command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return path.length > 0 ? path : undefined;
  } catch {
    return undefined;
  }
}
