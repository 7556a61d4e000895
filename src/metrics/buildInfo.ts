import { Gauge, type Registry } from 'prom-client';

/** Constant 1, labelled with the running version and the TensorFlow.js backend in use. */
export class BuildInfo {
  private readonly gauge: Gauge<'version' | 'backend'>;

  constructor(registry: Registry) {
    this.gauge = new Gauge({
      name: 'anomalyd_build_info',
      help: 'Always 1; labels carry the anomalyd version and the TensorFlow.js backend in use.',
      labelNames: ['version', 'backend'],
      registers: [registry],
    });
  }

  set(version: string, backend: string): void {
    this.gauge.reset();
    this.gauge.set({ version, backend }, 1);
  }
}
