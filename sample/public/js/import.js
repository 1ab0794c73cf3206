import { $, busy } from './dom.js';
import { errorSlot } from './errors.js';

const errors = errorSlot($('#card-import'));

/** The upload's bar is the page's own: the browser knows how much of the file has gone. */
function showUpload({ loaded, total }) {
  const bar = $('#upload-bar');
  bar.max = total;
  bar.value = loaded;
  $('#upload-progress').textContent = `${Math.round((100 * loaded) / total)}%`;
}

$('#import').addEventListener('submit', (event) => {
  event.preventDefault();
  errors.clear();
  showUpload({ loaded: 0, total: 1 });
  $('#import-status').textContent = 'Uploading…';
  // The rows bar and the status are the server's: its batches set them as the import goes.
  const call = Sijax.upload(event.target, {
    onUploadProgress: showUpload,
    onError: errors.onError,
  });
  busy(event.target.querySelector('button'), call).catch(() => {
    $('#import-status').textContent = 'Import failed';
  });
});
