import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { decodeEventBytes, type EventFields } from '../pipeline/decode-event.js';
import type { PipelineInput } from '../pipeline/pipeline.js';

/** Where an event of an events file came from: its 1-based line (and, for a line that was not decoded, its text). */
export interface EventLineRef {
  line: number;
  text?: string;
}

const QUOTED_TEXT = 200;

/**
 * The lines of an NDJSON events file (one input event a line, as the daemon would read it from its topic),
 * streamed and decoded with the daemon's decoder. A line that is not a valid event becomes a rejection with its
 * reason and line, never an exception; blank lines are skipped. A file has no message key and no broker
 * timestamp, so an event must name its stream and its timestamp.
 */
export async function* readEventLines(file: string, fields: EventFields): AsyncGenerator<PipelineInput<EventLineRef>> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    const d = decodeEventBytes(text, fields);
    if ('reason' in d) {
      yield { rejected: { reason: d.reason, detail: d.detail, stream: d.stream, source: { line, text: text.length > QUOTED_TEXT ? `${text.slice(0, QUOTED_TEXT)}…` : text } } };
    } else {
      yield { ...d, source: { line } };
    }
  }
}
