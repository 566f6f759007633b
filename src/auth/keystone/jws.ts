import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jose from 'jose';
import type { Logger } from '../../common';
import { TokenRefused } from './errors';

/** What Climate reads from a verified Keystone JWS token (Keystone puts no roles in it). */
export interface JwsClaims {
  sub: string;
  exp: number;
  iat?: number;
  openstack_project_id?: string;
  openstack_methods?: string[];
}

/** Keystone's jws provider signs with ES256 only. */
const ALGORITHMS = ['ES256'];
/** A token whose signature matches no key makes the directory be read again, at most this often (key rotation). */
const RESCAN_INTERVAL_MS = 30_000;

interface LoadedKey {
  file: string;
  key: jose.CryptoKey;
}

export interface JwsKeyRingOptions {
  logger: Logger;
  now?: () => number;
}

/** Whether a token is shaped like a compact JWS (three base64url parts); says nothing of its validity. */
export function looksLikeJws(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/**
 * The public keys Keystone signs JWS tokens with (`[keystone_authtoken] jws_public_key_repository`: a directory
 * of PEM files, as Keystone's own key repository is laid out). Verifies signature, algorithm and expiry locally,
 * so forged, altered, unsigned and expired tokens are refused without asking Keystone.
 */
export class JwsKeyRing {
  private keys: LoadedKey[] = [];
  private lastScan = 0;
  private readonly now: () => number;

  private constructor(private readonly directory: string, private readonly options: JwsKeyRingOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Reads every public key in `directory`.
   * @throws Error when the directory cannot be read or holds no public key
   */
  static async load(directory: string, options: JwsKeyRingOptions): Promise<JwsKeyRing> {
    const ring = new JwsKeyRing(directory, options);
    await ring.scan();
    if (ring.keys.length === 0) {
      throw new Error(`[keystone_authtoken] jws_public_key_repository: no PEM public key in ${directory}`);
    }
    return ring;
  }

  get size(): number {
    return this.keys.length;
  }

  private async scan(): Promise<void> {
    this.lastScan = this.now();
    let names: string[];
    try {
      names = fs.readdirSync(this.directory).sort();
    } catch (error) {
      throw new Error(`[keystone_authtoken] jws_public_key_repository: cannot read ${this.directory}: ${(error as Error).message}`, { cause: error });
    }
    const keys: LoadedKey[] = [];
    for (const name of names) {
      const file = path.join(this.directory, name);
      let pem: string;
      try {
        if (!fs.statSync(file).isFile()) continue;
        pem = fs.readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      if (!pem.includes('-----BEGIN PUBLIC KEY-----')) continue;
      try {
        keys.push({ file: name, key: await jose.importSPKI(pem, 'ES256') });
      } catch (error) {
        this.options.logger.warning(`JWS public key ${name} skipped: ${(error as Error).message}`);
      }
    }
    if (keys.length > 0 || this.keys.length === 0) this.keys = keys;
  }

  /**
   * The token's claims when one of the keys signed it with ES256 and it has not expired.
   * @throws TokenRefused otherwise
   */
  async verify(token: string): Promise<JwsClaims> {
    let header: jose.ProtectedHeaderParameters;
    try {
      header = jose.decodeProtectedHeader(token);
    } catch {
      throw new TokenRefused('The token is malformed');
    }
    if (header.alg !== 'ES256') throw new TokenRefused(`The token is not signed with ES256 (alg ${JSON.stringify(header.alg ?? null)})`);
    const first = await this.tryKeys(token);
    if (first) return first;
    if (this.now() - this.lastScan >= RESCAN_INTERVAL_MS) {
      const before = this.keys.map((k) => k.file).join(',');
      await this.scan().catch((error: unknown) => this.options.logger.warning(String((error as Error).message)));
      if (this.keys.map((k) => k.file).join(',') !== before) {
        const again = await this.tryKeys(token);
        if (again) return again;
      }
    }
    throw new TokenRefused('The token signature is not valid');
  }

  private async tryKeys(token: string): Promise<JwsClaims | null> {
    for (const { key } of this.keys) {
      try {
        const { payload } = await jose.jwtVerify(token, key, {
          algorithms: ALGORITHMS, currentDate: new Date(this.now()), requiredClaims: ['sub', 'exp'],
        });
        return payload as unknown as JwsClaims;
      } catch (error) {
        if (error instanceof jose.errors.JWSSignatureVerificationFailed) continue;
        if (error instanceof jose.errors.JWTExpired) throw new TokenRefused('The token has expired');
        throw new TokenRefused(`The token is not valid: ${(error as Error).message}`);
      }
    }
    return null;
  }
}
