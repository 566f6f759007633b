/**
 * The part of stompit (which ships without type declarations) Climate uses, typed. Only this file loads it.
 */
import type { Readable, Writable } from 'node:stream';

export type Headers = Record<string, string | number>;

/** An incoming MESSAGE (a readable body). */
export interface StompitMessage extends Readable {
  headers: Record<string, string>;
  readString(encoding: BufferEncoding, callback: (error: Error | null, body?: string) => void): void;
}

export interface StompitSubscription {
  getId(): string | number;
}

export interface StompitError extends Error {
  longMessage?: string;
  isTransportError?: () => boolean;
  isProtocolError?: () => boolean;
  isApplicationError?: () => boolean;
}

/** A frame whose body is being read (ERROR). */
export interface StompitIncomingFrame extends Readable {
  command: string;
  headers: Record<string, string>;
}

type CommandHandler = (this: StompitClient, frame: StompitIncomingFrame, beforeSendResponse: () => void) => void;

export interface StompitClient {
  headers?: Record<string, string>;
  on(event: 'error', listener: (error: StompitError) => void): this;
  on(event: 'end' | 'finish' | 'connect', listener: () => void): this;
  once(event: 'error', listener: (error: StompitError) => void): this;
  removeListener(event: string, listener: (...args: never[]) => void): this;
  sendFrame(command: string, headers: Headers, options?: { onReceipt?: () => void }): Writable;
  setImplicitSubscription(id: string, ack: string, listener: (error: Error | null, message: StompitMessage) => void): StompitSubscription;
  ack(message: StompitMessage, headers?: Headers, options?: unknown, callback?: (error?: Error) => void): void;
  nack(message: StompitMessage, headers?: Headers, options?: unknown, callback?: (error?: Error) => void): void;
  disconnect(callback?: (error: Error | null) => void): void;
  destroy(error?: Error): void;
  createApplicationError(message: string): StompitError;
  setCommandHandlers(handlers: Record<string, CommandHandler>): void;
  getTransportSocket(): { destroyed?: boolean; unref?: () => void };
}

export interface StompitConnectOptions {
  host: string;
  port: number;
  /** 0: no TCP connect timeout (Climate keeps its own for the whole handshake). */
  timeout: number;
  ssl?: boolean;
  connectHeaders: Headers;
  /** The connection is dropped when nothing arrived for the negotiated heart-beat interval plus this, ms. */
  heartbeatDelayMargin?: number;
}

interface StompitModule {
  connect(options: StompitConnectOptions, callback: (error: StompitError | null, client: StompitClient) => void): StompitClient;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const stompit = require('stompit') as StompitModule;

export const connect = stompit.connect;
