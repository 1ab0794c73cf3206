import { EVENT_STREAM, FIELD_CALL_ID, FIELD_REQUEST } from '../lib/protocol/wire-names';
import { openCall } from './calls';
import { getRequestUri } from './config';
import { sseReader } from './fetch-stream';
import { postFields, postHeaders } from './post';
import { failWith, readCommands } from './transport';
import type { CallOptions, SijaxCall } from './types';
import { emit, streamCut } from './util';

/** How much of an upload's body has been sent, in bytes. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/** Options of `Sijax.upload()`. */
export interface UploadOptions extends CallOptions {
  /** Called as the form's bytes go out; `sijax:upload-progress` on document says so too. */
  onUploadProgress?(progress: UploadProgress): void;
}

/**
 * Uploads a form to its upload callback (`<form id>_upload`): a multipart POST over
 * XMLHttpRequest, so that its progress is seen, the Sijax fields first (the server knows the
 * call before the first file), then the form's own entries (those named like a Sijax field or a
 * `data` key are left out). The answer streams back as an event stream, each batch run as it
 * arrives; the handle resolves with the handler's return value. `abort()` stops the upload, and
 * the handler with it.
 */
export function upload<T = unknown>(
  target: HTMLFormElement | string,
  options: UploadOptions = {},
): SijaxCall<T> {
  const form =
    typeof target === 'string' ? (document.querySelector(target) as HTMLFormElement) : target;
  const xhr = new XMLHttpRequest();
  const [call, handle] = openCall(form.id + '_upload', [form.id], options, () => xhr.abort());
  const fields = postFields(call, [form.id]);
  const names = Object.keys(fields);
  const body = new FormData();
  for (const name of names) body.append(name, fields[name]);
  new FormData(form).forEach((value, name) => names.includes(name) || body.append(name, value));
  // The URL names the call too: its guards and the CSRF check run before the body is read.
  const url = options.url || getRequestUri();
  const query = new URLSearchParams({ [FIELD_REQUEST]: call.name, [FIELD_CALL_ID]: call.id });
  xhr.open('POST', url + (url.includes('?') ? '&' : '?') + String(query));
  const headers = postHeaders(EVENT_STREAM);
  for (const name in headers) xhr.setRequestHeader(name, headers[name]);
  xhr.upload.onprogress = (progress) => {
    options.onUploadProgress?.(progress);
    const { loaded, total } = progress;
    emit('upload-progress', { call: call.name, id: call.id, loaded, total });
  };
  let push: ((text: string) => void) | undefined;
  let read = 0;
  // Only the new part of the answer each time: every batch runs once, as soon as it is complete.
  const feed = () => {
    if (!push && xhr.getResponseHeader('Content-Type')?.startsWith(EVENT_STREAM))
      push = sseReader(call);
    if (!push) return;
    push(xhr.responseText.slice(read));
    read = xhr.responseText.length;
  };
  xhr.onprogress = feed;
  // The end of the answer, or a lost connection: before the stream began, a network error;
  // after, a cut (upload calls are not resumable), unless its end had come.
  xhr.onload = xhr.onerror = () => {
    try {
      feed();
      // Not an event stream: a refusal, as JSON commands.
      if (!push && xhr.status) readCommands(call, xhr.status, xhr.responseText);
      else if (!call.ended && !call.error) throw push ? streamCut() : Error('Network error');
      call.settle();
    } catch (e) {
      failWith(call)(e as Error);
    }
  };
  xhr.send(body);
  return handle as SijaxCall<T>;
}
