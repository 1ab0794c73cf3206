import { $, busy } from './dom.js';

$('#add').addEventListener('click', async (event) => {
  const args = [$('#add-a').valueAsNumber, $('#add-b').valueAsNumber];
  $('#sum').textContent = '…';
  try {
    $('#sum').textContent = String(await busy(event.target, Sijax.request('add', args)));
  } catch {
    // Shown by the `sijax:error` listener.
    $('#sum').textContent = '?';
  }
});
