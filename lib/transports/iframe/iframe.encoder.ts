import { randomBytes } from 'crypto';
import type { SijaxCommand } from '../../protocol/commands';
import {
  END_OFFSET,
  createChunkFrame,
  firstChunkPadding,
  scriptChunk,
  scriptChunkOfJson,
  startChunk,
  type ChunkFrame,
} from '../../protocol/iframe-chunk';
import type { StreamEncoder } from '../stream-encoder';

/**
 * Headers of an iframe document: never cached or buffered, only framed by its own origin, and
 * with its own script policy, so it works inside an app whose CSP forbids inline scripts.
 */
export function iframeHeaders(nonce: string): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'SAMEORIGIN',
    'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; frame-ancestors 'self'`,
  };
}

export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

/** The original Comet transport: a hidden iframe's document of `<script>` chunks. */
export class IframeEncoder implements StreamEncoder {
  readonly heartbeat: string;
  readonly ending: string;
  private readonly nonce = createNonce();
  private readonly frame: ChunkFrame;
  private readonly heartbeatMs: number;

  /**
   * `resumable`: each chunk carries its offset, and the document opens and ends with a marker
   * chunk, so that the page tells a resumable call, and an end from a cut.
   */
  constructor(callId?: string, resumable = false, heartbeatMs = 0) {
    this.frame = createChunkFrame(callId, this.nonce, resumable);
    this.heartbeatMs = heartbeatMs;
    const numbered = this.frame.numbered;
    this.ending = numbered ? scriptChunk(this.frame, [], END_OFFSET) : '';
    // A newline keeps proxies from timing out; a resumable call's page also needs to see it.
    const plain = createChunkFrame(callId, this.nonce);
    this.heartbeat = numbered ? scriptChunk(plain, []) : '\n';
  }

  headers(): Record<string, string> {
    return iframeHeaders(this.nonce);
  }

  preamble(): string {
    const padding = firstChunkPadding(this.nonce);
    return this.frame.numbered ? padding + startChunk(this.frame, this.heartbeatMs) : padding;
  }

  batch(commands: readonly SijaxCommand[], offset: number): string {
    return scriptChunk(this.frame, commands, offset);
  }

  batchOfJson(json: string, offset: number): string {
    return scriptChunkOfJson(this.frame, json, offset);
  }

  /** A whole one-chunk document, for a refusal answered before any stream began. */
  static document(
    commands: readonly SijaxCommand[],
    callId?: string,
  ): { headers: Record<string, string>; body: string } {
    const encoder = new IframeEncoder(callId);
    return { headers: encoder.headers(), body: encoder.batch(commands, 1) };
  }
}
