import type { RequestHandler } from 'express';
import { ClimateError, InvalidInput } from '../../common';

export const SERVICE_TYPE = 'reservation';
export const MIN_VERSION = '1.0';
export const MAX_VERSION = '1.0';

/**
 * `OpenStack-API-Version: reservation X.Y`: "latest" or a version in range; a malformed header is a 400 and
 * an unsupported version a 406. Every response names the version it speaks.
 */
export function microversionMiddleware(): RequestHandler {
  return (req, res, next) => {
    res.set('OpenStack-API-Version', `${SERVICE_TYPE} ${MAX_VERSION}`);
    res.vary('OpenStack-API-Version');
    const raw = req.get('OpenStack-API-Version');
    if (!raw) return next();
    // The header may name several services: "compute 2.1, reservation 1.0".
    const ours = raw.split(',').map((p) => p.trim()).find((p) => p.toLowerCase().startsWith(`${SERVICE_TYPE} `));
    if (!ours) return next();
    const version = ours.slice(SERVICE_TYPE.length).trim();
    if (version.toLowerCase() === 'latest') return next();
    if (!/^\d+\.\d+$/.test(version)) {
      return next(new InvalidInput(`Invalid OpenStack-API-Version header "${raw}": expected "${SERVICE_TYPE} X.Y" or "${SERVICE_TYPE} latest"`));
    }
    const [major, minor] = version.split('.').map(Number);
    const [minMajor, minMinor] = MIN_VERSION.split('.').map(Number);
    const [maxMajor, maxMinor] = MAX_VERSION.split('.').map(Number);
    const below = major < minMajor || (major === minMajor && minor < minMinor);
    const above = major > maxMajor || (major === maxMajor && minor > maxMinor);
    if (below || above) {
      return next(new ClimateError(406, 'version_not_supported',
        `Version ${version} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`));
    }
    next();
  };
}
