import { BadRequestException, Injectable } from '@nestjs/common';
import { createInterface } from 'node:readline';
import { UploadCallback, type UploadedFile, type UploadResponse } from '../lib';
import { JobsService } from './jobs.service';

/** The bar moves this many times over an import, whatever its size. */
const UPDATES = 10;

/** Lines of a spooled file, read as a stream: the file is never in memory whole. */
function lines(file: UploadedFile): AsyncIterable<string> {
  return createInterface({ input: file.stream(), crlfDelay: Infinity });
}

/** Rows of a CSV: its lines after the header, blank ones left out. */
async function* rows(file: UploadedFile): AsyncGenerator<string> {
  let header = true;
  for await (const line of lines(file)) {
    if (header) header = false;
    else if (line.trim() !== '') yield line;
  }
}

/**
 * The upload callback of `<form id="import">`: the page sends a CSV with `Sijax.upload()` and
 * shows its upload progress; once the file is in (spooled to a temporary file, removed when the
 * call ends), the handler counts its rows, then imports them, yielding `N of M` to a second bar.
 */
@Injectable()
export class ImportHandler {
  constructor(private readonly jobs: JobsService) {}

  @UploadCallback('import', { upload: { files: 1, fileSize: 20 * 1024 * 1024 } })
  async *import(response: UploadResponse, files: UploadedFile[]) {
    const [file] = files;
    // The form comes from the browser: check it like any other input.
    if (!file || file.size === 0) throw new BadRequestException('Choose a CSV file to import');
    response.html('#import-status', `Counting the rows of ${file.name}…`);
    yield;
    let total = 0;
    for await (const _row of rows(file)) total++;
    response
      .attr('#rows-bar', 'max', Math.max(total, 1))
      .attr('#rows-bar', 'value', 0)
      .html('#rows-progress', `0 of ${total}`)
      .html('#import-status', 'Importing…');
    yield;
    const every = Math.ceil(total / UPDATES);
    let done = 0;
    for await (const _row of rows(file)) {
      // A real import would store the row here.
      if (++done % every !== 0 && done !== total) continue;
      // Slow on purpose, so that the bar is seen; a cancel stops the job at once.
      await this.jobs.step(done, response.signal);
      response.attr('#rows-bar', 'value', done).html('#rows-progress', `${done} of ${total}`);
      yield;
    }
    // The file input is cleared for the next import; the handle resolves with the count.
    response.html('#import-status', `Imported ${total} rows`).resetForm();
    return total;
  }
}
