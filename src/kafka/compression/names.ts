/** Codecs an outgoing batch may use (config `alerts.compression`); all of them, and none, decode on input. */
export const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof COMPRESSION_NAMES)[number];
