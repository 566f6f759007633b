export * from './errors';
export * from './clock';
export * from './logger';
export * from './dates';
export * from './suggest';
export * from './deadline';
export * from './log-throttle';
export * from './time-range';
