import { RE2JS } from 're2js';

/**
 * Stream ids come from whoever writes to the input topic, so `streams[].regex` runs on RE2 (re2js,
 * a pure JavaScript port): matching time grows linearly with the id, whatever the pattern. A
 * backtracking engine takes exponential time on patterns such as `^(a+)+$`. RE2 has no lookaround
 * and no backreferences, the two features that need backtracking; such patterns are refused when
 * the configuration is validated.
 */
export function compileStreamRegex(pattern: string): (stream: string) => boolean {
  const re = RE2JS.compile(pattern);
  return (stream) => re.test(stream);
}

/** Why `pattern` is not a usable stream regex, or null. */
export function streamRegexProblem(pattern: string): string | null {
  try {
    RE2JS.compile(pattern);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
