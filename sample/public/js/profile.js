import { $ } from './dom.js';
import { errorSlot } from './errors.js';

const errors = errorSlot($('#card-profile'));

$('#profile').addEventListener('submit', (event) => {
  event.preventDefault();
  errors.clear();
  Sijax.request('save_profile', [Sijax.getFormValues('#profile')], { onError: errors.onError });
});
