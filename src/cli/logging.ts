import { createLogger, type Logger } from '../common';
import type { ClimateConfig } from '../config';

/**
 * The log of a long-running process: `[DEFAULT] log_format` lines (oslo-style text or JSON) on `[DEFAULT]
 * log_output`, stdout unless set otherwise, which systemd sends to the journal. Messages that stop start-up before
 * the configuration is read go to stderr.
 */
export function processLogger(config: ClimateConfig, name?: string): Logger {
  const stream = config.default.logOutput === 'stderr' ? process.stderr : process.stdout;
  return createLogger({
    name, format: config.default.logFormat, level: config.default.debug ? 'debug' : 'info',
    write: (line) => { stream.write(`${line}\n`); },
  });
}
