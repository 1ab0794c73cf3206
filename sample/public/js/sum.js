import { $, busy } from './dom.js';
import { errorSlot } from './errors.js';

const errors = errorSlot($('#card-sum'));

$('#add').addEventListener('click', async (event) => {
  errors.clear();
  // An empty field is NaN, sent as null: the server refuses it with 400, shown in the card.
  const args = [$('#add-a').valueAsNumber, $('#add-b').valueAsNumber];
  $('#sum').textContent = '…';
  try {
    const call = Sijax.request('add', args, { onError: errors.onError });
    $('#sum').textContent = String(await busy(event.target, call));
  } catch {
    $('#sum').textContent = '?';
  }
});
