import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { registerCompressionCodecs } from './codecs.js';

describe('registerCompressionCodecs', () => {
  registerCompressionCodecs();
  const payload = Buffer.from(JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ stream: `fw-${i % 7}`, value: i * 1.5 }))));

  for (const [name, type] of [['lz4', CompressionTypes.LZ4], ['snappy', CompressionTypes.Snappy], ['zstd', CompressionTypes.ZSTD]] as const) {
    it(`${name}: what it compresses decompresses to the same bytes, and smaller`, async () => {
      const codec = (CompressionCodecs as unknown as Record<number, () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>)[type]();
      const packed = await codec.compress({ buffer: payload });
      expect(packed.length).toBeLessThan(payload.length);
      expect(Buffer.compare(await codec.decompress(packed), payload)).toBe(0);
    });
  }
});
