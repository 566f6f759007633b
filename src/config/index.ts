/**
 * Configuration in the oslo.config style: an INI file (`--config-file` or $CLIMATE_CONFIG_FILE) checked against
 * a declared schema and turned into a typed, frozen ClimateConfig.
 */
export type { ClimateConfig, DeepPartial, EndpointConfig, HeatConfig, NovaConfig, EnforcementConfig, QuotasConfig } from './types';
export { ConfigError, type ConfigLocation } from './errors';
export { loadConfig, configFiles, configDirFiles, CONFIG_FILE_ENV, type LoadConfigOptions } from './load';
export { defaultConfig, configWith, redactConfig, redactUrl } from './build';
export { parseDatabaseUrl, DATABASE_SCHEMES, type DatabaseTarget } from './database-url';
export { renderSample, SAMPLE_PATH } from './sample';
export { parseIni, type IniFile, type IniEntry } from './ini';
export {
  SCHEMA,
  listOptions,
  findOption,
  type OptionSpec,
  type OptionEntry,
  type SectionName,
  type OptionValues,
} from './schema';
