export * from './errors';
export * from './clock';
export * from './logger';
export * from './dates';
export * from './suggest';
export * from './time-range';
