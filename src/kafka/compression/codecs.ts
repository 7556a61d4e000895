import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { decompress as zstdDecompress } from 'fzstd';
import * as zstdWasm from '@bokuweb/zstd-wasm';
import type { CompressionName } from './names.js';

// kafkajs is CommonJS whose CompressionCodecs and CompressionTypes Node cannot see as named exports.
const { CompressionCodecs, CompressionTypes } = kafkajs;
// kafkajs-snappy ships CommonJS without types.
const snappyCodec = createRequire(import.meta.url)('kafkajs-snappy') as () => KafkaCodec;

/** The codec shape kafkajs calls: `compress` gets its encoder (bytes in `.buffer`). */
interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** zstd level of produced batches: the library's default trade-off. */
const ZSTD_LEVEL = 3;

let zstdReady: Promise<void> | undefined;

// Kafka's LZ4 (record batch v2) is the standard LZ4 frame format.
const lz4Codec = (): KafkaCodec => ({
  compress: (encoder) => compressFrame(encoder.buffer),
  decompress: (buffer) => decompressFrame(buffer),
});

// Decompression by fzstd (pure JS) because a frame from a streaming compressor (the Java client's)
// may not state its content size, which zstd-wasm's one-shot decompress needs; compression by zstd-wasm.
const zstdCodec = (): KafkaCodec => ({
  async compress(encoder) {
    zstdReady ??= zstdWasm.init();
    await zstdReady;
    return Buffer.from(zstdWasm.compress(encoder.buffer, ZSTD_LEVEL));
  },
  decompress: async (buffer) => Buffer.from(zstdDecompress(buffer)),
});

let registered = false;

/**
 * Registers LZ4, Snappy and ZSTD with kafkajs (it ships only GZIP), so batches compressed that
 * way by any producer decode, and alerts can be produced with them. Idempotent.
 */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  const codecs = CompressionCodecs as unknown as Record<number, () => KafkaCodec>;
  codecs[CompressionTypes.LZ4] = lz4Codec;
  codecs[CompressionTypes.Snappy] = snappyCodec;
  codecs[CompressionTypes.ZSTD] = zstdCodec;
}

export function compressionType(name: CompressionName): kafkajs.CompressionTypes {
  switch (name) {
    case 'none':
      return CompressionTypes.None;
    case 'gzip':
      return CompressionTypes.GZIP;
    case 'snappy':
      return CompressionTypes.Snappy;
    case 'lz4':
      return CompressionTypes.LZ4;
    case 'zstd':
      return CompressionTypes.ZSTD;
  }
}
