import { Injectable } from '@nestjs/common';
import { SijaxCallback, type SijaxResponse } from '../lib';
import { escapeHtml } from './escape-html';

type Fields = Record<string, unknown>;

const isFields = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Receives `Sijax.getFormValues('#profile')`: `address[city]` nests, `tags[]` is an array. */
@Injectable()
export class FormHandler {
  @SijaxCallback('save_profile')
  save(response: SijaxResponse, values: unknown) {
    // The object is built by the browser: trust no field's type or presence.
    const form = isFields(values) ? values : {};
    const address = isFields(form.address) ? form.address : {};
    const tags = Array.isArray(form.tags) ? form.tags.map(text).filter(Boolean) : [];
    const rows: [string, string][] = [
      ['Name', text(form.name)],
      ['Street', text(address.street)],
      ['City', text(address.city)],
      ['Tags', tags.join(', ') || '(none)'],
    ];
    const list = rows.map(([key, value]) => `<dt>${key}</dt><dd>${escapeHtml(value)}</dd>`);
    response.html('#profile-result', `<p>Saved:</p><dl>${list.join('')}</dl>`);
  }
}
