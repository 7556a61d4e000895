import { spawnSync } from 'node:child_process';

/** The one command that installs every tool the integration tests use (README, Tests). */
export const SETUP_COMMAND = 'scripts/test-all.sh';

/**
 * Fails the calling test with a message saying where `command` comes from and how to get it,
 * instead of a bare ENOENT from spawn.
 */
export function requireTool(command: string, versionArgs: string[], from: string): void {
  const r = spawnSync(command, versionArgs, { stdio: 'ignore', timeout: 60_000 });
  if (r.error) {
    throw new Error(`${command} is not on PATH (${(r.error as NodeJS.ErrnoException).code}): it comes from ${from}. ${SETUP_COMMAND} installs it with everything else the tests need.`);
  }
}
