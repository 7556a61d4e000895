const ROWS_PER_CHUNK = 256;

/**
 * Fixed-width rows of numbers for many streams, many rows to a buffer. A typed array of a stream's
 * own costs it ~310 bytes of heap in its view and buffer objects and ~660 bytes of allocator
 * overhead besides its data (docs/PERFORMANCE.md); a row of a shared chunk costs its numbers.
 *
 * A holder leases a row and gives it back (`release`) where it drops its state. Every holder of
 * rows has one such place, so each row has one holder. (Giving rows back when their holder is
 * collected, through a FinalizationRegistry, spared the holders that but cost ~70 bytes a row.)
 */
export class SharedRows<Chunk> {
  private readonly chunks: Chunk[] = [];
  private readonly free: number[] = [];

  constructor(
    private readonly width: number,
    /** Views over a new buffer of `values` entries each. */
    private readonly newChunk: (values: number) => Chunk,
    /** Sets entries [base, base + width) of `chunk` to a new row's values. */
    private readonly clear: (chunk: Chunk, base: number, width: number) => void,
  ) {}

  /** A cleared row: its number, to find it by (`chunkOf`, `baseOf`) and give it back by. */
  lease(): number {
    let row = this.free.pop();
    if (row === undefined) {
      row = this.chunks.length * ROWS_PER_CHUNK;
      this.chunks.push(this.newChunk(ROWS_PER_CHUNK * this.width));
      for (let r = row + ROWS_PER_CHUNK - 1; r > row; r--) this.free.push(r);
    }
    this.clear(this.chunkOf(row), this.baseOf(row), this.width);
    return row;
  }

  /** Gives back a `lease`d row; its holder must not use it any more. */
  release(row: number): void {
    this.free.push(row);
  }

  /** The chunk of row number `row`. */
  chunkOf(row: number): Chunk {
    return this.chunks[Math.floor(row / ROWS_PER_CHUNK)];
  }

  /** Where row number `row` starts in its chunk. */
  baseOf(row: number): number {
    return (row % ROWS_PER_CHUNK) * this.width;
  }

  /** Rows in chunks, and how many of them are free. */
  census(): { rows: number; free: number } {
    return { rows: this.chunks.length * ROWS_PER_CHUNK, free: this.free.length };
  }
}

/** One `SharedRows` per row width, made on first use. */
export class SharedRowsByWidth<Chunk> {
  private readonly byWidth = new Map<number, SharedRows<Chunk>>();

  constructor(
    private readonly newChunk: (values: number) => Chunk,
    private readonly clear: (chunk: Chunk, base: number, width: number) => void,
  ) {}

  of(width: number): SharedRows<Chunk> {
    let rows = this.byWidth.get(width);
    if (rows === undefined) {
      rows = new SharedRows(width, this.newChunk, this.clear);
      this.byWidth.set(width, rows);
    }
    return rows;
  }
}
