import type { ClientSecurity } from './wait-ready.js';

/** How the broker behind a {@link LocalKafka} was obtained. */
export type LocalKafkaMechanism = 'env' | 'testcontainers' | 'maven';

/** How a client authenticates to a broker started with `secure: true`: SASL/SCRAM over TLS. */
export interface LocalKafkaSecurity {
  mechanism: 'scram-sha-512';
  username: string;
  password: string;
  /** The generated CA certificate (PEM file) that signed the broker's certificate. */
  caFile: string;
  caPem: string;
}

/** A Kafka cluster reachable from this machine, plus the means to stop it if we started it. */
export interface LocalKafka {
  /** Bootstrap addresses, `host:port`. */
  brokers: string[];
  how: LocalKafkaMechanism;
  /** Process id of the broker JVM when this process runs one (mechanism `maven`). */
  pid?: number;
  /** The broker's own log file, when this process runs the broker (mechanism `maven`). */
  logFile?: string;
  /** Set when the client listener is SASL_SSL: the credentials and CA a client needs. */
  security?: LocalKafkaSecurity;
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
  /**
   * Start a broker from the Maven jars (ignoring `KAFKA_BROKERS` and Docker) with a SASL_SSL client
   * listener: SCRAM-SHA-512, a CA generated for this run. For a secured cluster from `KAFKA_BROKERS`, see `clientSecurity`.
   */
  secure?: boolean;
  /** TLS and SASL settings the readiness check uses against a cluster from `KAFKA_BROKERS`. */
  clientSecurity?: ClientSecurity;
  /** Progress messages (resolving jars, formatting storage, ...); default: silent. */
  onProgress?: (message: string) => void;
}
