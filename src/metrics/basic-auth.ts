import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';

// A valid hash for users that do not exist, so an unknown name costs as much as a wrong password
// and response times do not tell which user names exist.
const DUMMY_HASH = '$2b$10$DHA8OsVXRuiY55oNePFcI.Azfsm7LgW4qa094MkHEODULLtkjqkpi';
const CACHE_LIMIT = 1024;

/**
 * HTTP basic authentication against bcrypt hashes (the exporter toolkit's `basic_auth_users`).
 * A bcrypt check costs tens to hundreds of milliseconds of CPU by design, and the daemon's main thread
 * also scores events, so each (user, password) outcome is computed once and remembered, and checks run
 * one at a time: a scrape every 15 s costs one lookup, and a flood of guesses cannot run in parallel.
 */
export class BasicAuth {
  private readonly outcomes = new Map<string, boolean>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly users: Readonly<Record<string, string>>) {}

  get enabled(): boolean {
    return Object.keys(this.users).length > 0;
  }

  /** True when `authorization` (the request header) names a user with the right password. */
  async check(authorization: string | undefined): Promise<boolean> {
    const credentials = parseBasic(authorization);
    if (!credentials) return false;
    const hash = Object.hasOwn(this.users, credentials.user) ? this.users[credentials.user]! : undefined;
    // The hash is part of the key, so a changed password never matches a remembered outcome.
    const key = createHash('sha256').update(`${credentials.user}\u0000${credentials.password}\u0000${hash ?? ''}`).digest('base64');
    const known = this.outcomes.get(key);
    if (known !== undefined) return known;
    const outcome = this.queue.then(() => bcrypt.compare(credentials.password, hash ?? DUMMY_HASH)).then(
      (matches) => matches && hash !== undefined,
      () => false,
    );
    this.queue = outcome;
    const ok = await outcome;
    if (this.outcomes.size >= CACHE_LIMIT) this.outcomes.delete(this.outcomes.keys().next().value!);
    this.outcomes.set(key, ok);
    return ok;
  }
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
