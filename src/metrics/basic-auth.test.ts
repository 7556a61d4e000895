import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { BasicAuth } from './basic-auth.js';

const header = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('BasicAuth', () => {
  // Cost 4 keeps the test quick; the check is the same at any cost.
  const auth = new BasicAuth({ prometheus: bcrypt.hashSync('s3cret:with colon', 4), htpasswd: bcrypt.hashSync('pw', 4).replace(/^\$2b\$/, '$2y$') });

  it('accepts the right password, including one containing a colon, and $2y$ hashes from htpasswd', async () => {
    expect(await auth.check(header('prometheus', 's3cret:with colon'))).toBe(true);
    expect(await auth.check(header('htpasswd', 'pw'))).toBe(true);
  });

  it('refuses a wrong password, an unknown user, a missing or malformed header', async () => {
    expect(await auth.check(header('prometheus', 's3cret'))).toBe(false);
    expect(await auth.check(header('nobody', 's3cret:with colon'))).toBe(false);
    expect(await auth.check(undefined)).toBe(false);
    expect(await auth.check('Bearer abc')).toBe(false);
    expect(await auth.check('Basic !!!')).toBe(false);
    expect(await auth.check(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBe(false);
  });

  it('does not let an inherited property name pass as a user', async () => {
    expect(await auth.check(header('constructor', 'x'))).toBe(false);
    expect(await auth.check(header('__proto__', 'x'))).toBe(false);
  });

  it('is disabled without users', () => {
    expect(new BasicAuth({}).enabled).toBe(false);
    expect(auth.enabled).toBe(true);
  });
});
