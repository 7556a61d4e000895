/** Label value that stands for every stream beyond the label cap. */
export const OTHER_STREAM = '__other__';

/**
 * Bounds the `stream` label's cardinality: the first `maxStreams` distinct streams keep their own
 * label value, every later one (and a stream literally named `__other__`) is folded into `__other__`.
 * A stream keeps the label it was first given until it is forgotten (evicted); its slot is then free.
 */
export class StreamLabeler {
  private readonly own = new Set<string>();
  private readonly folded = new Set<string>();

  constructor(
    readonly maxStreams: number,
    private readonly onFold: (stream: string) => void = () => {},
    private readonly onLabel: (label: string) => void = () => {},
  ) {
    if (!Number.isInteger(maxStreams) || maxStreams < 1) {
      throw new RangeError(`maxStreamLabels must be a positive integer, got ${maxStreams}`);
    }
  }

  label(stream: string): string {
    if (this.own.has(stream)) return stream;
    if (this.folded.has(stream)) return OTHER_STREAM;
    if (this.own.size < this.maxStreams && stream !== OTHER_STREAM) {
      this.own.add(stream);
      this.onLabel(stream);
      return stream;
    }
    if (this.folded.size === 0) this.onLabel(OTHER_STREAM);
    this.folded.add(stream);
    this.onFold(stream);
    return OTHER_STREAM;
  }

  /** Releases the stream's label; returns the label to retire when it had its own, else undefined. */
  forget(stream: string): string | undefined {
    this.folded.delete(stream);
    return this.own.delete(stream) ? stream : undefined;
  }

  isFolded(stream: string): boolean {
    return this.label(stream) === OTHER_STREAM;
  }

  get labelledCount(): number {
    return this.own.size;
  }

  get foldedCount(): number {
    return this.folded.size;
  }
}
