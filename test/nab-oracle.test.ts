import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateProfile,
  optimizeThreshold,
  prepareCorpus,
  readProfilesFile,
  readResultsDir,
  readThresholdsFile,
  readWindowsFile,
  scoreCorpus,
  toCorpusInputs,
  type PreparedCorpus,
} from '../src/eval/nab/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nabDir = path.resolve(repoRoot, '..', 'shared', 'nab');
const oracle = path.join(nabDir, 'oracle');
const files = {
  results: path.join(oracle, 'results'),
  windows: path.join(oracle, 'combined_windows.json'),
  thresholds: path.join(oracle, 'thresholds.json'),
  profiles: path.join(nabDir, 'config', 'profiles.json'),
};

type Scores = Record<string, Record<string, number>>;
const expected = JSON.parse(readFileSync(path.join(oracle, 'expected_scores.json'), 'utf8')) as Scores;
const publishedThresholds = JSON.parse(readFileSync(files.thresholds, 'utf8')) as Record<string, Record<string, { score: number }>>;
const profiles = readProfilesFile(files.profiles);
const thresholds = readThresholdsFile(files.thresholds);
const detectors = ['windowedGaussian', 'skyline'];

const corpora = new Map<string, PreparedCorpus>();
beforeAll(() => {
  const windows = readWindowsFile(files.windows);
  for (const results of readResultsDir(files.results)) {
    corpora.set(results.detector, prepareCorpus(toCorpusInputs(results, windows, files.windows)));
  }
});

describe('NAB oracle: published scores of windowedGaussian and skyline', () => {
  it('scores the whole 58-file corpus of each detector', () => {
    expect([...corpora.keys()].sort()).toEqual([...detectors].sort());
    for (const corpus of corpora.values()) {
      expect(corpus.files).toHaveLength(58);
      expect(corpus.windowCount).toBe(116);
    }
  });

  for (const detector of detectors) {
    for (const profile of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']) {
      it(`${detector} / ${profile} reproduces the final normalized score`, () => {
        const e = evaluateProfile(corpora.get(detector)!, profiles[profile], thresholds[detector][profile]);
        expect(e.thresholdSource).toBe('given');
        expect(Math.abs(e.normalizedScore - expected[detector][profile])).toBeLessThan(0.01);
      });
    }
  }

  it('gives the null detector the raw score NAB recorded for it', () => {
    for (const profile of Object.keys(profiles)) {
      const e = evaluateProfile(corpora.get('skyline')!, profiles[profile], thresholds.skyline[profile]);
      expect(e.nullScore).toBe(publishedThresholds.null[profile].score);
      expect(e.perfectScore).toBe(116 * profiles[profile].tpWeight);
    }
  });

  it("reproduces skyline's raw corpus score recorded next to its threshold", () => {
    for (const profile of Object.keys(profiles)) {
      const raw = scoreCorpus(corpora.get('skyline')!, profiles[profile], thresholds.skyline[profile]).score;
      expect(raw).toBeCloseTo(publishedThresholds.skyline[profile].score, 6);
    }
  });

  it('finds, by sweeping every threshold, a score at least as good as the published threshold', () => {
    for (const detector of detectors) {
      for (const [profile, cost] of Object.entries(profiles)) {
        const corpus = corpora.get(detector)!;
        const best = optimizeThreshold(corpus, cost);
        const atPublished = scoreCorpus(corpus, cost, thresholds[detector][profile]).score;
        expect(best.score).toBeGreaterThanOrEqual(atPublished - 1e-9);
        expect(scoreCorpus(corpus, cost, best.threshold).score).toBeCloseTo(best.score, 9);
      }
    }
  });
});

describe('anomalyd nab score (CLI)', () => {
  const bin = path.join(repoRoot, 'bin', 'anomalyd.js');

  beforeAll(() => {
    if (!existsSync(path.join(repoRoot, 'dist', 'src', 'cli', 'commands', 'nab-score.js'))) {
      execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'inherit' });
    }
  });

  function run(args: string[]) {
    return spawnSync(process.execPath, [bin, 'nab', 'score', ...args], { cwd: repoRoot, encoding: 'utf8' });
  }

  it('prints the oracle scores as JSON', () => {
    const r = run(['--results', files.results, '--windows', files.windows, '--thresholds', files.thresholds, '--profiles', files.profiles, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, Record<string, { normalizedScore: number; threshold: number }>>;
    for (const detector of detectors) {
      for (const [profile, score] of Object.entries(expected[detector])) {
        expect(Math.abs(report[detector][profile].normalizedScore - score)).toBeLessThan(0.01);
        expect(report[detector][profile].threshold).toBe(thresholds[detector][profile]);
      }
    }
  });

  it('prints a detector × profile table', () => {
    const r = run(['--results', files.results, '--windows', files.windows, '--thresholds', files.thresholds, '--profiles', files.profiles]);
    expect(r.status, r.stderr).toBe(0);
    const row = r.stdout.split('\n').find((l) => l.startsWith('skyline'))!;
    expect(row.trim().split(/\s+/)).toEqual(['skyline', '35.69', '27.08', '44.48']);
  });

  it('exits 2 naming the file when a results file has no windows entry', () => {
    const subset = path.join(nabDir, 'labels', 'combined_windows.json');
    const r = run(['--results', files.results, '--windows', subset, '--profiles', files.profiles]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/combined_windows\.json has no entry "[^"]+\.csv"/);
    expect(r.stdout).toBe('');
  });
});
