import { randomBytes } from 'crypto';
import type { SijaxCommand } from '../../protocol/commands';
import {
  createChunkFrame,
  firstChunkPadding,
  scriptChunk,
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
  readonly heartbeat = '\n';
  readonly ending = '';
  readonly preamble: string;
  private readonly nonce = createNonce();
  private readonly frame: ChunkFrame;

  /** `numbered`: each chunk carries its offset (resumable calls). */
  constructor(callId?: string, numbered = false) {
    this.frame = createChunkFrame(callId, this.nonce, numbered);
    this.preamble = firstChunkPadding(this.nonce);
  }

  headers(): Record<string, string> {
    return iframeHeaders(this.nonce);
  }

  batch(commands: readonly SijaxCommand[], offset: number): string {
    return scriptChunk(this.frame, commands, offset);
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
