import { $, busy } from './dom.js';

/** The upload's bar is the page's own: the browser knows how much of the file has gone. */
function showUpload({ loaded, total }) {
  const bar = $('#upload-bar');
  bar.max = total;
  bar.value = loaded;
  $('#upload-progress').textContent = `${Math.round((100 * loaded) / total)}%`;
}

$('#import').addEventListener('submit', (event) => {
  event.preventDefault();
  showUpload({ loaded: 0, total: 1 });
  $('#import-status').textContent = 'Uploading…';
  // The rows bar and the status are the server's: its batches set them as the import goes.
  const call = Sijax.upload(event.target, { onUploadProgress: showUpload });
  busy(event.target.querySelector('button'), call).catch(() => {
    // The error itself is shown by the `sijax:error` listener.
    $('#import-status').textContent = 'Import failed';
  });
});
