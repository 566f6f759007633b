import { ClimateError } from '../common';

/**
 * 403: the change would take the project over one of its quotas; the message names the limit, the use and the
 * limit. 403 as Nova answers "Quota exceeded" and as Blazar's enforcement filters refuse a lease (so clients
 * that already show those show this), and because repeating the same request cannot succeed until the
 * project's usage or limits change (a 409 would suggest a conflict to retry).
 */
export class QuotaExceeded extends ClimateError {
  constructor(readonly limit: string, message: string) {
    super(403, 'quota_exceeded', message);
  }
}
