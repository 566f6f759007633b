#!/usr/bin/env node
/**
 * climate-provisioner: runs the [provisioner] commands for the hosts of leases that are about to start (and,
 * optionally, that ended), from Climate's notifications. Reads the same configuration file as Climate
 * (`--config-file PATH`, `--config-dir DIR` or $CLIMATE_CONFIG_FILE). Stops on SIGTERM/SIGINT.
 */
import { loadConfig, redactConfig, type ClimateConfig } from '../config';
import { provisionerFromConfig, type Provisioner } from '../provisioner';
import { commandLineOrExit } from './args';
import { processLogger } from './logging';

function main(argv: string[]): void {
  const commandLine = commandLineOrExit(argv, {
    name: 'climate-provisioner',
    description: "Climate provisioner: runs the [provisioner] commands for the hosts of leases about to start (and that "
      + "ended), from Climate's notifications. Stops on SIGTERM/SIGINT.",
  });
  let config: ClimateConfig;
  try {
    config = loadConfig({ argv: commandLine.configArgs, env: process.env });
  } catch (error) {
    process.stderr.write(`climate-provisioner: configuration error: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const logger = processLogger(config, 'climate.provisioner');
  let provisioner: Provisioner;
  try {
    provisioner = provisionerFromConfig(config, logger);
  } catch (error) {
    process.stderr.write(`climate-provisioner: cannot start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  logger.info('climate-provisioner starting', { provisioner: redactConfig(config).provisioner as unknown as Record<string, unknown> });
  provisioner.start();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received: stopping`);
    void provisioner.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2));
