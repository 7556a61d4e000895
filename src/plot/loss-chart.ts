import type { TopLevelSpec } from 'vega-lite';

/** Training and validation loss per epoch, log-scaled, with the kept epoch marked. */
export function lossChartSpec(
  history: { loss: number[]; valLoss: (number | null)[] },
  options: { title?: string; bestEpoch?: number } = {},
): TopLevelSpec {
  const values: { epoch: number; series: string; loss: number }[] = [];
  history.loss.forEach((loss, i) => {
    values.push({ epoch: i + 1, series: 'training', loss });
    const v = history.valLoss[i];
    if (v !== null && v !== undefined) values.push({ epoch: i + 1, series: 'validation', loss: v });
  });
  const layers: object[] = [
    {
      mark: { type: 'line', point: history.loss.length <= 30 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'loss', type: 'quantitative', title: 'loss (MSE, scaled)', scale: { type: 'log' } },
        color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top-right' } },
      },
    },
  ];
  if (options.bestEpoch) {
    layers.push({
      data: { values: [{ epoch: options.bestEpoch }] },
      mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
      encoding: { x: { field: 'epoch', type: 'quantitative' } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title ?? 'Training loss',
    width: 560,
    height: 300,
    data: { values },
    layer: layers,
  } as TopLevelSpec;
}
