import type { Route } from './router.js';
import { CadenceTracker, LevelTracker, type StreamScorer } from './scoring/index.js';
import { SharedRows } from './scoring/shared-rows.js';
import type { StreamActivity } from './silence.js';
import type { WindowState } from './windows.js';

/**
 * Where a per-stream state holder (windows, silences, scorers) keeps its state: a `Map` of its own
 * when it stands alone, or its field of the pipeline's one record per stream (`StreamRecords.field`).
 */
export interface StreamStateStore<T> {
  get(stream: string): T | undefined;
  set(stream: string, state: T): void;
  delete(stream: string): unknown;
  keys(): Iterable<string>;
  entries(): Iterable<[string, T]>;
  readonly size: number;
}

/**
 * Where a record's numbers sit in its row: its last-seen clock (see `StreamRecords.lastSeen`), then
 * what staging learns in arrival order from the stream's first accepted event, its level and its cadence.
 */
const LAST_SEEN = 0;
const LEVEL = 1;
const CADENCE = LEVEL + LevelTracker.WIDTH;
const RECORD_WIDTH = CADENCE + CadenceTracker.WIDTH;

/**
 * Everything the pipeline holds per stream, in one object under one Map entry, with its numbers in a
 * row of a buffer shared by 256 streams. A Map entry costs ~35 bytes a stream, an object ~24 bytes
 * besides its fields and a number that is no small integer 16 more: one record instead of an entry
 * and an object per holder, and a row instead of level and cadence objects, saves ~400 bytes a
 * stream (docs/PERFORMANCE.md, memory).
 */
export class StreamRecord {
  /** The lane its events come in. */
  lane = '';
  /** The stream's route (null: no rule matches), looked up at its first event. */
  route: Route | null | undefined = undefined;
  /** The holders' state (undefined: the holder holds none of the stream). */
  window: WindowState | undefined = undefined;
  activity: StreamActivity | undefined = undefined;
  scorer: StreamScorer | undefined = undefined;

  constructor(
    /** Its row's number in `StreamRecords`' rows. */
    readonly row: number,
  ) {}
}

type HolderField = 'window' | 'activity' | 'scorer';

/** One record per stream, shared by the holders: each holder's state is a field of it (`field`). */
export class StreamRecords {
  private readonly records = new Map<string, StreamRecord>();
  private readonly rows = new SharedRows<Float64Array>(
    RECORD_WIDTH,
    (values) => new Float64Array(values),
    (chunk, base) => {
      chunk[base + LAST_SEEN] = -Infinity;
      LevelTracker.cleared(chunk, base + LEVEL);
      CadenceTracker.cleared(chunk, base + CADENCE);
    },
  );
  // One tracker each, pointed at a record's row on every use: a stream has no tracker objects of its own.
  private readonly levelTracker = new LevelTracker();
  private readonly cadenceTracker = new CadenceTracker();

  get size(): number {
    return this.records.size;
  }

  get(stream: string): StreamRecord | undefined {
    return this.records.get(stream);
  }

  /** The stream's record, made (empty) when it has none. */
  open(stream: string): StreamRecord {
    let record = this.records.get(stream);
    if (record === undefined) {
      record = new StreamRecord(this.rows.lease());
      this.records.set(stream, record);
    }
    return record;
  }

  /** Forgets the stream: its record, and with it every holder's state of it. */
  delete(stream: string): void {
    const record = this.records.get(stream);
    if (record === undefined) return;
    for (const field of this.fields) if (record[field.name] !== undefined) field.forgot();
    record.scorer?.release();
    this.records.delete(stream);
    // Records are deleted here only, so the row goes back here; a record is never used after it is deleted.
    this.rows.release(record.row);
  }

  /**
   * The record's lane's event-time clock (newest timestamp accepted in the lane) when the stream's
   * last event arrived. Idleness is measured on the lane's clock, so neither a source whose clock
   * runs behind the others' in its lane, nor a lane (partition) fetched behind the others, looks idle
   * while it keeps delivering. -Infinity: no event accepted yet.
   */
  lastSeen(record: StreamRecord): number {
    return this.rows.chunkOf(record.row)[this.rows.baseOf(record.row) + LAST_SEEN];
  }

  setLastSeen(record: StreamRecord, clock: number): void {
    this.rows.chunkOf(record.row)[this.rows.baseOf(record.row) + LAST_SEEN] = clock;
  }

  /** The record's level; the tracker is shared, so it is the record's until the next call. */
  level(record: StreamRecord): LevelTracker {
    return this.levelTracker.over(this.rows.chunkOf(record.row), this.rows.baseOf(record.row) + LEVEL);
  }

  /** The record's cadence; the tracker is shared, so it is the record's until the next call. */
  cadence(record: StreamRecord): CadenceTracker {
    return this.cadenceTracker.over(this.rows.chunkOf(record.row), this.rows.baseOf(record.row) + CADENCE);
  }

  /** Whether staging accepted an event of the stream (so its level and cadence have started). */
  started(record: StreamRecord): boolean {
    return this.cadence(record).lastTs !== undefined;
  }

  keys(): IterableIterator<string> {
    return this.records.keys();
  }

  private readonly fields: RecordField<HolderField>[] = [];

  /** A holder's view of its field of every record, as a store of its own. */
  field<K extends HolderField>(name: K): StreamStateStore<NonNullable<StreamRecord[K]>> {
    const field = new RecordField(this.records, name, (stream) => this.open(stream));
    this.fields.push(field as unknown as RecordField<HolderField>);
    return field;
  }
}

class RecordField<K extends HolderField> implements StreamStateStore<NonNullable<StreamRecord[K]>> {
  private count = 0;

  constructor(
    private readonly records: Map<string, StreamRecord>,
    readonly name: K,
    private readonly open: (stream: string) => StreamRecord,
  ) {}

  get size(): number {
    return this.count;
  }

  /** A record holding this field was deleted whole. */
  forgot(): void {
    this.count--;
  }

  get(stream: string): NonNullable<StreamRecord[K]> | undefined {
    return this.records.get(stream)?.[this.name] ?? undefined;
  }

  set(stream: string, state: NonNullable<StreamRecord[K]>): void {
    const record = this.open(stream);
    if (record[this.name] === undefined) this.count++;
    record[this.name] = state;
  }

  delete(stream: string): boolean {
    const record = this.records.get(stream);
    if (record === undefined || record[this.name] === undefined) return false;
    record[this.name] = undefined as StreamRecord[K];
    this.count--;
    return true;
  }

  *keys(): IterableIterator<string> {
    for (const [stream, record] of this.records) if (record[this.name] !== undefined) yield stream;
  }

  *entries(): IterableIterator<[string, NonNullable<StreamRecord[K]>]> {
    for (const [stream, record] of this.records) {
      const state = record[this.name];
      if (state !== undefined) yield [stream, state as NonNullable<StreamRecord[K]>];
    }
  }
}
