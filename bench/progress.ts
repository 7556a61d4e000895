import cliProgress from 'cli-progress';

/** Progress on stderr: a bar in a terminal, a line per step (and every ~10%) otherwise. */
export interface Progress {
  start(label: string, total: number): void;
  update(done: number): void;
  stop(): void;
  note(message: string): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: '{label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}', hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    let active = false;
    return {
      start(label, total) {
        if (active) bar.stop();
        bar.start(total, 0, { label });
        active = true;
      },
      update: (done) => active && bar.update(done),
      stop() {
        if (active) bar.stop();
        active = false;
      },
      note(message) {
        if (active) bar.stop();
        active = false;
        stream.write(`${message}\n`);
      },
    };
  }
  let label = '';
  let total = 0;
  let lastDecile = -1;
  return {
    start(l, t) {
      label = l;
      total = t;
      lastDecile = -1;
      stream.write(`${label}: 0/${total}\n`);
    },
    update(done) {
      const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (decile > lastDecile && decile < 10) {
        lastDecile = decile;
        if (decile > 0) stream.write(`${label}: ${done}/${total}\n`);
      }
    },
    stop() {
      if (label) stream.write(`${label}: done\n`);
      label = '';
    },
    note: (message) => void stream.write(`${message}\n`),
  };
}
