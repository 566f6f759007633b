import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig, type ClimateConfig } from '../../../src/config';

/** A fresh temporary directory, removed after the current test file. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'climate-config-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let counter = 0;

/** Writes `text` to a new file in `dir` and returns its path. */
export function writeConf(dir: string, text: string, name = `climate-${++counter}.conf`): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Loads a configuration made of `text` alone (argv and env are not consulted). */
export function loadText(dir: string, text: string): ClimateConfig {
  return loadConfig({ files: [writeConf(dir, text)] });
}

/** The ConfigError `fn` throws; fails the test if it throws nothing or something else. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}
