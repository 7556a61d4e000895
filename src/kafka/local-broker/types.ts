/** How the broker behind a {@link LocalKafka} was obtained. */
export type LocalKafkaMechanism = 'env' | 'testcontainers' | 'maven';

/** A Kafka cluster reachable from this machine, plus the means to stop it if we started it. */
export interface LocalKafka {
  /** Bootstrap addresses, `host:port`. */
  brokers: string[];
  how: LocalKafkaMechanism;
  /** Process id of the broker JVM when this process runs one (mechanism `maven`). */
  pid?: number;
  /** The broker's own log file, when this process runs the broker (mechanism `maven`). */
  logFile?: string;
  /** Settles when a broker this process runs exits, whether by `stop()` or on its own. */
  exited?: Promise<void>;
  /** Stops the broker and removes its files; a no-op for a cluster given by `KAFKA_BROKERS`. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartLocalKafkaOptions {
  /**
   * `auto` (default): KAFKA_BROKERS, else Docker, else Maven. `testcontainers` / `maven`: start a broker
   * that way only, ignoring KAFKA_BROKERS.
   */
  via?: 'auto' | 'testcontainers' | 'maven';
  /** PLAINTEXT port for the broker we start; default: a free loopback port. */
  port?: number;
  /** Where Maven-resolved Kafka jars are kept between runs; default `<repo>/.cache/kafka`. */
  cacheDir?: string;
  /** Environment to read `KAFKA_BROKERS` and Docker settings from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Give up if the broker does not accept clients within this long; default 120 s. */
  readyTimeoutMs?: number;
  /** Progress messages (resolving jars, formatting storage, ...); default: silent. */
  onProgress?: (message: string) => void;
}
