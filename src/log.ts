import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * JSON lines on stderr; human-readable (pino-pretty) when stderr is a terminal.
 * stdout stays free for command output (alerts, tables).
 */
export function createLogger(level: LevelWithSilent = (process.env.ANOMALYD_LOG_LEVEL as LevelWithSilent) ?? 'info'): Logger {
  const pretty = process.stderr.isTTY && process.env.ANOMALYD_LOG_FORMAT !== 'json';
  if (pretty) {
    return pino({
      level,
      base: undefined,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino({ level, base: { name: 'anomalyd' } }, pino.destination({ fd: 2, sync: false }));
}

let shared: Logger | undefined;
export function logger(): Logger {
  shared ??= createLogger();
  return shared;
}
export function setLogger(l: Logger): void {
  shared = l;
}
